"""Load benchmark of the CDS Hooks service (issue 16; not a timed test).

Starts ``uvicorn`` (one process, the app of ``ldnsim serve``) on a free localhost port, then:

1. **load**: ``--clients`` concurrent clients (default 50) for ``--seconds`` (default 30), each sending one
   call after another: realistic hooks (patient-view with a 12-entry prefetch, order-sign, order-select
   with draft orders; LDN beside opioids and other medicines) and ``--malformed`` (default 5 %) malformed
   ones (a malformed FHIR resource, a wrong Content-Type, 1,000 nested brackets, not JSON, a 150 kB
   medication text). Reports requests/s, the count of 5xx, p50/p99 latency (ms) of the well-formed calls.
2. **isolation**: a probe sends one small patient-view call every 50 ms for ``--probe-seconds``, first alone
   (baseline) and then while another client sends 150 kB calls back to back; reports the probe's p50/p99/max
   with and without, and the added p99 (the issue's target: a 150 kB request delays others by < 100 ms).

Run: ``.venv/bin/python bench/cds_load.py [--clients 50 --seconds 30]``; prints one JSON document. The
numbers depend on the machine and on what else runs on it: the JSON records the CPU count and load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PID = "bench-patient"


def _mr(rid: str, text: str, status: str = "active") -> dict:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{PID}"},
        "medicationCodeableConcept": {"text": text},
    }


def _bundle(*res: dict) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in res]}


ACTIVE = [
    "naltrexone 4.5 mg capsule nightly",
    "oxycodone 5 mg q6h prn",
    "sertraline 50 mg daily",
    "Tylenol #3 1 tab q6h prn",
    "metformin 500 mg bid",
    "loperamide 2 mg prn",
    "lisinopril 10 mg daily",
    "tramadol 50 mg q6h prn",
    "atorvastatin 20 mg nightly",
    "gabapentin 300 mg tid",
    "ibuprofen 400 mg prn",
    "levothyroxine 50 mcg daily",
]


def realistic(rng: random.Random) -> tuple[str, dict]:
    kind = rng.choice(["patient-view", "order-sign", "order-select"])
    meds = rng.sample(ACTIVE, 12)
    prefetch = {
        "medications": _bundle(*[_mr(f"m{i}", t) for i, t in enumerate(meds[:8])]),
        "statements": _bundle(*[_mr(f"s{i}", t) for i, t in enumerate(meds[8:])]),
    }
    body: dict = {
        "hook": kind,
        "hookInstance": f"b-{rng.random()}",
        "context": {"patientId": PID},
        "prefetch": prefetch,
    }
    if kind != "patient-view":
        draft = _bundle(
            _mr(
                "d1",
                rng.choice(["hydrocodone 5 mg q4h", "naltrexone 4.5 mg nightly", "codeine 30 mg q4h"]),
                "draft",
            )
        )
        body["context"]["draftOrders"] = draft
        if kind == "order-select":
            body["context"]["selections"] = ["MedicationRequest/d1"]
    return f"/cds-services/ldn-opioid-{kind}", body


def big(n_chars: int = 150_000) -> tuple[str, bytes]:
    body = {
        "hook": "patient-view",
        "hookInstance": "big",
        "context": {"patientId": PID},
        "prefetch": {
            "medications": _bundle(
                _mr("ldn", "naltrexone 4.5 mg nightly"), _mr("x", "morphine " + "x" * n_chars)
            )
        },
    }
    return "/cds-services/ldn-opioid-patient-view", json.dumps(body).encode()


def malformed(rng: random.Random) -> tuple[str, bytes, str]:
    path = "/cds-services/ldn-opioid-patient-view"
    ok = {"hook": "patient-view", "hookInstance": "m", "context": {"patientId": PID}}
    choice = rng.randrange(5)
    if choice == 0:
        res = [_mr("ldn", "naltrexone 4.5 mg nightly"), {**_mr("bad", "tramadol"), "dosageInstruction": 5}]
        return (
            path,
            json.dumps({**ok, "prefetch": {"medications": _bundle(*res)}}).encode(),
            "application/json",
        )
    if choice == 1:
        return path, json.dumps(ok).encode(), "text/plain"
    if choice == 2:
        return path, b"[" * 1000 + b"]" * 1000, "application/json"
    if choice == 3:
        return path, b"{not json", "application/json"
    p, raw = big()
    return p, raw, "application/json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1)


class _Conn:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams. The load generator shares the two cores
    with the server it measures; httpx costs several times the server's CPU per call (bench/web_load.py
    measured it), which inflated the tail latencies this benchmark reported before."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, ctype: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: keep-alive\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            if k.lower() == "content-length":
                length = int(v)
            elif k.lower() == "connection" and v.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(base: str, clients: int, seconds: float, frac_bad: float) -> dict:
    host, port = base.removeprefix("http://").split(":")
    lat_ok: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        rng = random.Random(i)
        conn = _Conn(host, int(port))
        while time.perf_counter() < deadline:
            bad = rng.random() < frac_bad
            if bad:
                path, raw, ctype = malformed(rng)
            else:
                path, body = realistic(rng)
                raw, ctype = json.dumps(body).encode(), "application/json"
            t0 = time.perf_counter()
            try:
                code = await asyncio.wait_for(conn.post(path, raw, ctype), 60)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
                conn.close()
                continue
            ms = (time.perf_counter() - t0) * 1000
            statuses[code] = statuses.get(code, 0) + 1
            if not bad:
                lat_ok.append(ms)
        conn.close()

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    n = sum(statuses.values())
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": n,
        "req_per_s": round(n / wall, 1),
        "status_counts": dict(sorted(statuses.items())),
        "http_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "transport_errors": errors,
        "p50_ms": _pct(lat_ok, 0.50),
        "p99_ms": _pct(lat_ok, 0.99),
        "max_ms": _pct(lat_ok, 1.0),
        "client_cpu_ms_per_request": round(1000 * (time.process_time() - cpu0) / max(1, n), 2),
    }


async def isolation(base: str, seconds: float) -> dict:
    import httpx

    path, body = realistic(random.Random(99))
    small = json.dumps({**body, "hook": "patient-view", "context": {"patientId": PID}}).encode()
    small_path = "/cds-services/ldn-opioid-patient-view"
    big_path, big_raw = big()
    headers = {"content-type": "application/json"}

    async def probe(http: httpx.AsyncClient, stop: float) -> list[float]:
        out = []
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            r = await http.post(base + small_path, content=small, headers=headers)
            assert r.status_code == 200, r.text
            out.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.05)
        return out

    async def hammer(http: httpx.AsyncClient, stop: float) -> int:
        n = 0
        while time.perf_counter() < stop:
            r = await http.post(base + big_path, content=big_raw, headers=headers)
            assert r.status_code == 200, r.text
            n += 1
        return n

    async with httpx.AsyncClient(timeout=60) as a, httpx.AsyncClient(timeout=60) as b:
        alone = await probe(a, time.perf_counter() + seconds)
        stop = time.perf_counter() + seconds
        during, n_big = await asyncio.gather(probe(a, stop), hammer(b, stop))
    p99_alone, p99_during = _pct(alone, 0.99), _pct(during, 0.99)
    return {
        "probe_alone_ms": {"p50": _pct(alone, 0.5), "p99": p99_alone, "max": _pct(alone, 1.0)},
        "probe_with_150kB_ms": {"p50": _pct(during, 0.5), "p99": p99_during, "max": _pct(during, 1.0)},
        "big_requests": n_big,
        "added_p99_ms": round((p99_during or 0) - (p99_alone or 0), 1),
        "added_p50_ms": round((_pct(during, 0.5) or 0) - (_pct(alone, 0.5) or 0), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--malformed", type=float, default=0.05)
    ap.add_argument("--probe-seconds", type=float, default=10.0)
    args = ap.parse_args()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "ldnsim.web.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "error",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(base + "/cds-services", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # warm-up: vocabulary and rules loaded before measuring
        path, body = realistic(random.Random(0))
        httpx.post(base + path, json=body, timeout=60)
        doc = {
            "machine": {"cpus": os.cpu_count(), "loadavg_before": [round(x, 1) for x in os.getloadavg()]},
            "load": asyncio.run(load(base, args.clients, args.seconds, args.malformed)),
            "isolation": asyncio.run(isolation(base, args.probe_seconds)),
        }
        doc["machine"]["loadavg_after"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
