"""The dask engine (extra ``ldnsim[distributed]``): chunks of patients — of one trial, of replicate trials or
of sensitivity samples — spread over a dask.distributed cluster.

``DaskEngine()`` starts a :class:`distributed.LocalCluster` (one single-threaded worker process per core by
default); ``DaskEngine(address="tcp://scheduler:8786")`` uses an existing cluster.

Security of the local cluster (dask moves pickled code between its processes, so whoever can connect to
the scheduler can run code as this user): every process binds to 127.0.0.1 only and talks TLS with
mutual authentication on a throw-away certificate (``Security.temporary()``, in memory, never on disk),
so other local users cannot connect. The scheduler's HTTP server (which dask starts even with
``dashboard_address=None``, on 8787) binds to 127.0.0.1 on a random port and serves only the health
route, unless ``dashboard=True``. On Ctrl-C the cluster is closed quietly (no worker tracebacks).

Each task runs one chunk with the numpy (or jax) engine's loop and returns only that chunk's reductions,
so what travels back is O(chunk × endpoints).
Chunks are whole sampling blocks, so results equal the numpy engine's.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import LdnsimError
from ._base import Engine, Problem, Result, register_engine
from .numpy_engine import _progress, _strip, assemble, run_chunk

__all__ = ["DaskEngine", "dask_available"]


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _workers_ignore_sigint() -> Iterator[None]:
    """Worker processes started inside inherit an ignored SIGINT (kept across spawn's exec, and Python
    leaves a signal ignored at start-up alone): Ctrl-C in a terminal reaches the whole process group, and
    only this process should react — by closing the cluster — instead of every worker printing a
    KeyboardInterrupt traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _task(problem: Problem, start: int, stop: int, inner: str) -> dict[str, Any]:
    if inner == "jax":
        from .jax_engine import JaxEngine

        adv = JaxEngine()._advance_fn(problem)
        return _strip(problem, run_chunk(problem, start, stop, advance_fn=adv))
    return _strip(problem, run_chunk(problem, start, stop))


class DaskEngine(Engine):
    """Distributed engine.

    address: scheduler address (``None`` starts a LocalCluster); n_workers / threads_per_worker: for the
    LocalCluster (default: one single-threaded process per core; ``processes=False`` for in-process thread
    workers); inner: ``numpy`` or ``jax`` on the workers.
    """

    name = "dask"

    def __init__(self, address: str | None = None, n_workers: int | None = None, threads_per_worker: int = 1,
                 inner: str = "numpy", progress: bool = False, processes: bool = True,
                 dashboard: bool = False, security: Any = None):
        self.processes = processes
        self.address = address
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.inner = inner
        self.progress = progress
        self.dashboard = dashboard
        self.security = security  # for address=: the cluster's distributed.Security (TLS), if any
        self._client: Any = None
        self._cluster: Any = None

    def available(self) -> bool:
        return dask_available()

    @property
    def client(self) -> Any:
        if self._client is None:
            if not dask_available():
                raise LdnsimError("the dask engine needs dask.distributed: pip install 'ldnsim[distributed]'")
            from distributed import Client, LocalCluster

            if self.address:
                self._client = Client(self.address, security=self.security)
            else:
                import os

                import dask

                n = self.n_workers or os.cpu_count() or 1
                # dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also switches off
                # glibc's dynamic mmap threshold: every (samples × patients) temporary of the step (~0.1-0.4
                # MB) is then mmap'ed and unmapped, and the workers spent as much time in page faults as in
                # numpy (sys ≈ user time). Large thresholds keep those arrays on the heap (docs/engines.md).
                env = {"MALLOC_TRIM_THRESHOLD_": str(256 * 2**20), "MALLOC_MMAP_THRESHOLD_": str(64 * 2**20)}
                cfg: dict[str, Any] = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in env.items()}
                if not self.dashboard:  # the scheduler always starts an HTTP server: health route only
                    cfg["distributed.scheduler.http.routes"] = ["distributed.http.health"]
                    cfg["distributed.worker.http.routes"] = ["distributed.http.health"]
                with dask.config.set(cfg), _workers_ignore_sigint():
                    self._cluster = LocalCluster(**self._local_cluster_kwargs(n))
                self._client = Client(self._cluster)
        return self._client

    def _local_cluster_kwargs(self, n: int) -> dict[str, Any]:
        """Local, authenticated, no dashboard unless asked (see the module docstring)."""
        from distributed import Security

        kw: dict[str, Any] = {
            "n_workers": n,
            "threads_per_worker": self.threads_per_worker,
            "processes": self.processes,
            "dashboard_address": "127.0.0.1:8787" if self.dashboard else "127.0.0.1:0",
            "worker_dashboard_address": None,
            # workers' warnings (e.g. tasks cancelled by Ctrl-C) are not news to the user; errors still show
            "silence_logs": logging.ERROR,
        }
        if self.processes:  # worker processes: TLS on localhost with a throw-away certificate
            kw.update(host="127.0.0.1", protocol="tls://", security=Security.temporary())
        else:  # threads in this process: in-process transport, no listening socket for the comms
            kw.update(protocol="inproc://")
        return kw

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def warmup(self, model: Any) -> None:
        """Import ldnsim and load the data files on every worker (a 1-patient, 1-step run of ``model``), so
        that timings measure simulation rather than worker start-up."""
        client = self.client
        pr = Problem(model, n_patients=1, endpoint_days=(0,))
        n = len(client.scheduler_info().get("workers", {})) or 1
        futs = [client.submit(_task, pr, 0, 1, self.inner, pure=False) for _ in range(2 * n)]
        client.gather(futs)

    def run(self, problem: Problem, *, progress: bool | None = None) -> Result:
        return self.run_many([problem], progress=progress)[0]

    def run_many(self, problems: Sequence[Problem], *, progress: bool | None = None) -> list[Result]:
        """Run several problems (replicate trials, sensitivity samples) at once: every chunk of every problem
        is one task, so the whole batch load-balances over the cluster."""
        client = self.client
        t0 = time.perf_counter()
        futures = []
        for i, pr in enumerate(problems):
            fut_pr = client.scatter(pr, broadcast=True)
            for start, stop in pr.chunks():
                futures.append((i, client.submit(_task, fut_pr, start, stop, self.inner, pure=False)))
        from distributed import as_completed

        show = self.progress if progress is None else progress
        bar = _progress(show, sum(pr.n_patients for pr in problems))
        which = {fut.key: i for i, fut in futures}
        parts: list[list[dict[str, Any]]] = [[] for _ in problems]
        try:
            for fut in as_completed([f for _, f in futures]):
                out = fut.result()
                parts[which[fut.key]].append(out)  # assemble() orders the chunks by their first patient
                bar(out["stop"] - out["start"])
        except KeyboardInterrupt:  # Ctrl-C: close the cluster quietly (its shutdown chatter is not news)
            logging.getLogger("distributed").setLevel(logging.CRITICAL)
            self.close()
            raise
        wall = time.perf_counter() - t0
        out = []
        for pr, ps in zip(problems, parts, strict=True):
            res = assemble(pr, ps, self.name)
            res.wall_s = wall
            res.info["workers"] = len(client.scheduler_info().get("workers", {}))
            out.append(res)
        return out


register_engine("dask", DaskEngine)
