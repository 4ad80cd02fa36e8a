"""A small in-process job queue for slow work (virtual trials): a bounded worker pool, never the request.

``submit`` returns a job id at once (or raises :class:`QueueFull` → HTTP 503 when ``max_pending`` jobs
wait or run); a worker thread runs the function with a ``progress(done, total, stage)`` callback; the
page polls :meth:`JobQueue.get` for the state. Finished jobs are kept (the latest ``keep``) so their
reports stay reachable.
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

__all__ = ["Job", "JobQueue", "QueueFull"]


class QueueFull(Exception):
    """Too many jobs waiting or running."""


@dataclass
class Job:
    id: str
    title: str
    state: str = "queued"  # queued | running | done | failed
    done: int = 0
    total: int = 1
    stage: str = ""
    result: Any = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def fraction(self) -> float:
        return 1.0 if self.state == "done" else min(1.0, self.done / self.total) if self.total else 0.0


class JobQueue:
    def __init__(self, workers: int = 1, max_pending: int = 4, keep: int = 50) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ldnsim-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pending = max_pending
        self.keep = keep

    def submit(self, title: str, fn: Callable[[Callable[[int, int, str], None]], Any]) -> Job:
        with self._lock:
            active = sum(j.state in ("queued", "running") for j in self._jobs.values())
            if active >= self.max_pending:
                raise QueueFull(f"{active} jobs are already waiting or running; try again when one finishes")
            job = Job(id=secrets.token_urlsafe(9), title=title)
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                old = next(j for j in self._jobs.values())
                if old.state in ("queued", "running"):
                    break
                self._jobs.pop(old.id)
        self._pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn) -> None:
        job.state = "running"

        def progress(done: int, total: int, stage: str = "") -> None:
            job.done, job.total, job.stage = int(done), max(1, int(total)), stage

        try:
            job.result = fn(progress)
            job.state = "done"
        except InputError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # noqa: BLE001 - reported on the job page, and logged
            traceback.print_exc()
            job.error, job.state = f"internal error ({type(exc).__name__}); this is a bug", "failed"
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        return list(reversed(self._jobs.values()))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
