"""Load on the web app's medication check: N concurrent clients for T seconds against localhost.

    PYTHONPATH=src python bench/web_load.py [--clients 50] [--seconds 30] [--json]

Starts ``ldnsim serve`` (one uvicorn process, as a user would) on a free localhost port in a subprocess,
then runs ``clients`` asyncio clients (a minimal keep-alive HTTP/1.1 client each, with its own session
cookie: they GET /check once for the session and CSRF token, then POST a five-entry list — an opioid,
LDN, two others and an unrecognised entry — in a loop until the time is up). Reports requests/s,
latency p50/p90/p99/max of the POSTs (ms) and the errors
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
from urllib.parse import urlencode

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


class _Conn:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (cheap, so the load generator does not
    take the CPU the server is being measured on; httpx costs several times more per request)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookie = ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nConnection: keep-alive\r\n"
        if self.cookie:
            head += f"Cookie: {self.cookie}\r\n"
        if body:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            if k.lower() == "content-length":
                length = int(v)
            elif k.lower() == "set-cookie":
                self.cookie = v.strip().split(";", 1)[0]
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _client(base: str, stop_at: float, lat: list[float], errors: list[str]) -> None:
    host, port = base.removeprefix("http://").split(":")
    c = _Conn(host, int(port))
    try:
        try:
            _, page = await asyncio.wait_for(c.request("GET", "/check"), 10)
            tok = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        except Exception as exc:  # noqa: BLE001 - counted, not raised
            errors.append(f"GET: {type(exc).__name__}")
            return
        body = urlencode({"csrf": tok, "meds": LIST}).encode()
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                status, page = await asyncio.wait_for(c.request("POST", "/check", body), 10)
                if status != 200 or b'data-severity="critical"' not in page:
                    errors.append(f"HTTP {status}")
            except Exception as exc:  # noqa: BLE001
                errors.append(type(exc).__name__)
                c.close()
                c = _Conn(host, int(port))
                continue
            lat.append(time.perf_counter() - t0)
    finally:
        c.close()


async def _run(base: str, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    cpu0 = time.process_time()
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
        "client_cpu_ms_per_request": round(1000 * (time.process_time() - cpu0) / max(1, a.size), 2),
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
