"""Load on the web app's medication check: N concurrent clients for T seconds against localhost.

    PYTHONPATH=src python bench/web_load.py [--clients 50] [--seconds 30] [--json]

Starts ``ldnsim serve`` (one uvicorn process, as a user would) on a free localhost port in a subprocess,
then runs ``clients`` asyncio clients (httpx, one cookie jar each: they GET /check once for the session and
CSRF token, then POST a five-entry list — an opioid, LDN, two others and an unrecognised entry — in a loop
until the time is up). Reports requests/s, latency p50/p90/p99/max of the POSTs (ms) and the errors
(non-200 answers, transport errors, timeouts). Bounded: the run stops at ``seconds`` and each request
times out after 10 s. Target (issue 14): 50 clients × 30 s on 2 cores, p99 < 300 ms, zero errors.
Not a test: the figure depends on the machine and what else runs on it; the server's own CPU time per
request (from /proc) is reported beside it as the load-independent cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import numpy as np

LIST = "Percocet 5/325 q6h prn\nLDN 4.5 mg nightly\nibuprofen 400 mg tds\nsertraline 50 mg\nzzqx 5 mg"


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _client(base: str, stop_at: float, lat: list[float], errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as c:
        try:
            r = await c.get("/check")
            tok = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
        except Exception as exc:  # noqa: BLE001 - counted, not raised
            errors.append(f"GET: {type(exc).__name__}")
            return
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                r = await c.post("/check", data={"csrf": tok, "meds": LIST})
                ok = r.status_code == 200 and 'data-severity="critical"' in r.text
                if not ok:
                    errors.append(f"HTTP {r.status_code}")
            except Exception as exc:  # noqa: BLE001
                errors.append(type(exc).__name__)
                continue
            lat.append(time.perf_counter() - t0)


async def _run(base: str, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    stop_at = t0 + seconds
    await asyncio.gather(*(_client(base, stop_at, lat, errors) for _ in range(clients)))
    wall = time.perf_counter() - t0
    a = np.array(lat) * 1000
    q = np.percentile(a, [50, 90, 99]) if a.size else [float("nan")] * 3
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": int(a.size),
        "requests_per_s": round(a.size / wall, 1),
        "p50_ms": round(float(q[0]), 1),
        "p90_ms": round(float(q[1]), 1),
        "p99_ms": round(float(q[2]), 1),
        "max_ms": round(float(a.max()), 1) if a.size else None,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if not (1 <= a.clients <= 500 and 1 <= a.seconds <= 300):
        ap.error("clients 1-500, seconds 1-300")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = tempfile.TemporaryDirectory(prefix="ldnsim-web-bench-")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ldnsim",
            "serve",
            "--port",
            str(port),
            "--no-secure-cookies",
            "--diary-db",
            f"{tmp.name}/diary.sqlite",
            "--accounts-db",
            f"{tmp.name}/accounts.sqlite",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise SystemExit(
                "server did not start: " + (server.stderr.read().decode() if server.stderr else "")
            )
        httpx.post(base + "/check", data={"meds": LIST})  # warm the imports (refused: no CSRF token)
        cpu0, load0 = _cpu_s(server.pid), os.getloadavg()[0]
        doc = asyncio.run(_run(base, a.clients, a.seconds))
        cpu = _cpu_s(server.pid) - cpu0
        # load-independent: the server's own CPU per request, and what one core could serve at that cost
        doc["server_cpu_ms_per_request"] = round(1000 * cpu / max(1, doc["requests"] + a.clients), 2)
        doc["one_core_capacity_req_per_s"] = round(1000 / max(doc["server_cpu_ms_per_request"], 1e-3))
        doc["load_average_1min"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
    finally:
        server.terminate()
        server.wait(timeout=10)
        tmp.cleanup()
    if a.json:
        print(json.dumps(doc))
    else:
        print(
            f"{doc['clients']} clients × {doc['seconds']} s: {doc['requests']} checks, "
            f"{doc['requests_per_s']} req/s; p50 {doc['p50_ms']} ms, p90 {doc['p90_ms']} ms, "
            f"p99 {doc['p99_ms']} ms, max {doc['max_ms']} ms; "
            f"errors {doc['errors']} {doc['error_kinds']}; "
            f"server CPU {doc['server_cpu_ms_per_request']} ms/request "
            f"(one core: ~{doc['one_core_capacity_req_per_s']} req/s); "
            f"load average {doc['load_average_1min']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
