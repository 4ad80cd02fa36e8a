"""The numpy engine (default): vectorised over the patients of a chunk, chunked over the population.

Per chunk: sample the patients (seeded blocks), set up their PK (modal form), parameters and untreated steady
state, then advance all of them one macro-step at a time with error control (:func:`._base.advance`).

Memory is O(chunk × states): a chunk's patients are sampled, simulated over the whole schedule and reduced
(endpoint days per patient, population sums per day) before the next chunk starts, so a trial of 10 million
patients never holds patients × days × states.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from typing import Any

import numpy as np

from ..errors import SolverError
from ._base import Engine, Problem, Result, advance, patient_blocks, register_engine

__all__ = ["NumpyEngine", "run_chunk", "assemble"]


def run_chunk(problem: Problem, start: int, stop: int, xp: Any = np,
              advance_fn: Any = None) -> dict[str, Any]:
    """Simulate patients ``start … stop-1`` over the whole schedule; returns their endpoints and day sums.

    ``xp`` / ``advance_fn`` let other engines reuse this loop with their own array namespace and stepper.
    """
    model = problem.model
    pats = patient_blocks(model, problem.seed, start, stop)
    chunk = model.setup(pats)
    n = stop - start
    days = problem.days
    per_day = int(round(24.0 / model.dt_h))
    ep_days = list(problem.endpoint_days)
    ep = np.zeros((n, len(ep_days)))
    day_sum = np.zeros(days)
    day_sumsq = np.zeros(days)
    pair = getattr(model, "step_pair", None)
    if advance_fn is not None:
        adv = advance_fn
    else:
        def one(y, d, p, dt):
            return advance(model.step, y, d, p, dt, problem.rtol, problem.atol, np,
                           max_level=problem.max_level, pair=pair)

        adv = _in_batches(one, n, SUB_BATCH)
    # numpy's own stepper takes drivers that are zero throughout as (1, P) (less work, same numbers)
    drivers = chunk.drivers
    if advance_fn is None and pair is not None and hasattr(chunk, "compact_drivers"):
        drivers = chunk.compact_drivers
    y = chunk.y0
    p = chunk.p
    refined = 0
    pain_day = np.zeros(n)
    for k in range(model.steps):
        d = drivers(k)
        y, pain, r = adv(y, d, p, model.dt_h)
        refined += r
        pain_day += np.asarray(pain)
        if (k + 1) % per_day == 0:
            day = k // per_day
            mean = pain_day / per_day
            if not np.all(np.isfinite(mean)):
                bad = np.nonzero(~np.isfinite(mean))[0]
                raise SolverError(f"non-finite pain for patient(s) {(bad[:5] + start).tolist()} on day {day}")
            day_sum[day] += float(np.sum(mean))
            day_sumsq[day] += float(np.sum(mean * mean))
            if day in ep_days:
                ep[:, ep_days.index(day)] = mean
            pain_day = np.zeros(n)
    y = np.asarray(y)
    if not np.all(np.isfinite(y)):
        raise SolverError("non-finite state at the end of the run (solver failure)")
    return with_baseline(problem, chunk, {
        "start": start, "stop": stop, "pain_endpoints": ep, "final_state": y, "day_sum": day_sum,
        "day_sumsq": day_sumsq, "refined": refined})


def with_baseline(problem: Problem, chunk: Any, out: dict[str, Any]) -> dict[str, Any]:
    """A chunk's output with each patient's untreated steady-state pain added when a reducer will read it
    (:func:`_strip` drops it again)."""
    if problem.reducer is not None and hasattr(chunk, "baseline_pain"):
        out["baseline_pain"] = chunk.baseline_pain()
    return out


#: patients stepped together inside a chunk (numpy): the step's temporaries of 24 samples × 2,048 patients
#: (~400 kB each) stay nearer the CPU (L2 cache): ~1.2× faster per patient than stepping 4,096 at once
#: (measured, docs/engines.md); each patient's numbers do not depend on the batching
SUB_BATCH = 2048


def _in_batches(adv: Any, n: int, size: int) -> Any:
    """``adv(y, d, p, dt)`` applied to consecutive slices of ``size`` patients, results concatenated."""
    if n <= size:
        return adv
    cuts = [slice(a, min(n, a + size)) for a in range(0, n, size)]

    def part(v: Any, sl: slice) -> Any:
        return v[sl] if np.ndim(v) else v

    p_parts: dict[int, list] = {}  # the parameters are the same every step: sliced once

    def batched(y, d, p, dt):
        if id(p) not in p_parts:
            p_parts.clear()
            p_parts[id(p)] = [{k: part(v, sl) for k, v in p.items()} for sl in cuts]
        ys, pains, refined = [], [], 0
        for sl, p_sl in zip(cuts, p_parts[id(p)], strict=True):
            y1, pain, r = adv(y[sl], {k: v[:, sl] for k, v in d.items()}, p_sl, dt)
            ys.append(y1)
            pains.append(pain)
            refined += r
        return np.concatenate(ys), np.concatenate(pains), refined

    return batched


def assemble(problem: Problem, parts: list[dict[str, Any]], engine: str) -> Result:
    """Combine chunk outputs (any order) into a :class:`Result` (patients in order)."""
    parts = sorted(parts, key=lambda o: o["start"])
    keep = problem.keep_patients
    return Result(
        engine=engine,
        model=getattr(problem.model, "name", "model"),
        n_patients=problem.n_patients,
        days=problem.days,
        endpoint_days=tuple(problem.endpoint_days),
        state_names=tuple(problem.model.state_names),
        pain_endpoints=np.concatenate([o["pain_endpoints"] for o in parts]) if keep else None,
        final_state=np.concatenate([o["final_state"] for o in parts]) if keep else None,
        day_sum=np.sum([o["day_sum"] for o in parts], axis=0),
        day_sumsq=np.sum([o["day_sumsq"] for o in parts], axis=0),
        steps=int(sum(o.get("refined", 0) for o in parts)),
        reduced=_add_up([o["reduced"] for o in parts if "reduced" in o]),
    )


def _add_up(dicts: list[dict[str, Any]]) -> dict[str, Any]:
    """Element-wise sums of the reducer outputs of the chunks (keys in the first chunk's order)."""
    if not dicts:
        return {}
    return {k: sum((np.asarray(d[k], dtype=float) for d in dicts[1:]), np.asarray(dicts[0][k], dtype=float))
            for k in dicts[0]}


def _strip(problem: Problem, out: dict[str, Any]) -> dict[str, Any]:
    """A chunk's output as kept: the reducer's summary added, the per-patient arrays dropped unless kept."""
    out = dict(out)
    if problem.reducer is not None:
        out["reduced"] = problem.reducer(out)
    out.pop("baseline_pain", None)
    if not problem.keep_patients:
        out["pain_endpoints"] = None
        out["final_state"] = None
    return out


class NumpyEngine(Engine):
    """Vectorised numpy engine; ``trace_memory=True`` measures peak Python-heap memory (tracemalloc)."""

    name = "numpy"

    def __init__(self, trace_memory: bool = False, progress: bool = False):
        self.trace_memory = trace_memory
        self.progress = progress

    def run(self, problem: Problem, *, progress: bool | None = None) -> Result:
        show = self.progress if progress is None else progress
        return run_in_process(self, problem, None, show)


def run_in_process(engine: Any, problem: Problem, advance_fn: Any, show: bool,
                   chunk_fn: Any = None) -> Result:
    """Every chunk of ``problem`` in this process, one after the other (the numpy and jax engines): timed,
    with a progress bar if ``show`` and peak traced memory if ``engine.trace_memory``. ``chunk_fn(problem,
    start, stop)`` replaces :func:`run_chunk` (the jax engine's fused path)."""
    t0 = time.perf_counter()
    if engine.trace_memory:
        tracemalloc.start()
    try:
        parts = []
        bar = _progress(show, problem.n_patients)
        for start, stop in problem.chunks():
            out = (chunk_fn(problem, start, stop) if chunk_fn is not None
                   else run_chunk(problem, start, stop, advance_fn=advance_fn))
            parts.append(_strip(problem, out))
            bar(stop - start)
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if engine.trace_memory else 0.0
    finally:
        if engine.trace_memory:
            tracemalloc.stop()
    res = assemble(problem, parts, engine.name)
    res.wall_s = time.perf_counter() - t0
    res.peak_mib = peak
    return res


def _progress(show: bool, total: int) -> Any:
    """``advance(k)`` for a progress display of ``total`` patients on stderr: a rich bar on a terminal, else
    a plain line at every further 5% with the elapsed time and an estimate of what is left (logs of long
    runs)."""
    if not show:
        return lambda k: None
    if not sys.stderr.isatty():
        t0 = time.perf_counter()
        state = {"done": 0, "next": 0.05}

        def line(k: int) -> None:
            state["done"] += k
            frac = state["done"] / max(total, 1)
            if frac + 1e-12 >= state["next"] or state["done"] >= total:
                el = time.perf_counter() - t0
                left = el * (1 - frac) / frac if frac > 0 else float("nan")
                sys.stderr.write(f"ldnsim: {state['done']:,}/{total:,} patients ({frac:.0%}), "
                                 f"{el / 60:.1f} min elapsed, ~{left / 60:.1f} min left\n")
                sys.stderr.flush()
                while state["next"] <= frac + 1e-12:
                    state["next"] += 0.05

        return line
    from rich.progress import Progress

    prog = Progress(transient=True)
    prog.start()
    task = prog.add_task("patients", total=total)
    done = [0]

    def advance(k: int) -> None:
        done[0] += k
        prog.update(task, advance=k)
        if done[0] >= total:
            prog.stop()

    return advance


register_engine("numpy", NumpyEngine)
