"""The dask engine (extra ``ldnsim[distributed]``): chunks of patients — of one trial, of replicate trials or
of sensitivity samples — spread over a dask.distributed cluster.

``DaskEngine()`` starts a :class:`distributed.LocalCluster` (one single-threaded worker process per core by
default); ``DaskEngine(address="tcp://scheduler:8786")`` uses an existing cluster. Each task runs one chunk
with the numpy (or jax) engine's loop and returns only that chunk's reductions, so what travels back is
O(chunk × endpoints). Chunks are whole sampling blocks, so results equal the numpy engine's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
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
                 inner: str = "numpy", progress: bool = False, processes: bool = True):
        self.processes = processes
        self.address = address
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.inner = inner
        self.progress = progress
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
                self._client = Client(self.address)
            else:
                import os

                import dask

                n = self.n_workers or os.cpu_count() or 1
                # dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also switches off
                # glibc's dynamic mmap threshold: every (samples × patients) temporary of the step (~0.1-0.4
                # MB) is then mmap'ed and unmapped, and the workers spent as much time in page faults as in
                # numpy (sys ≈ user time). Large thresholds keep those arrays on the heap (docs/engines.md).
                env = {"MALLOC_TRIM_THRESHOLD_": str(256 * 2**20), "MALLOC_MMAP_THRESHOLD_": str(64 * 2**20)}
                with dask.config.set({f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in env.items()}):
                    self._cluster = LocalCluster(n_workers=n, threads_per_worker=self.threads_per_worker,
                                                 processes=self.processes, dashboard_address=None)
                self._client = Client(self._cluster)
        return self._client

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
        for fut in as_completed([f for _, f in futures]):
            out = fut.result()
            parts[which[fut.key]].append(out)  # assemble() orders the chunks by their first patient
            bar(out["stop"] - out["start"])
        wall = time.perf_counter() - t0
        out = []
        for pr, ps in zip(problems, parts, strict=True):
            res = assemble(pr, ps, self.name)
            res.wall_s = wall
            res.info["workers"] = len(client.scheduler_info().get("workers", {}))
            out.append(res)
        return out


register_engine("dask", DaskEngine)
