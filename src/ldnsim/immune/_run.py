"""Running :class:`ImmuneModel` on the engines: numpy, jax (jit-compiled step) and dask (chunks as tasks).

Every engine runs the same loop per chunk of patients (:func:`run_chunk`): patients sampled in the engines'
seeded blocks (:func:`ldnsim.engines.patient_blocks`), one macro-step at a time with the engines' error
control
by step doubling (:func:`ldnsim.engines.advance`, per patient), the step outputs averaged per day. The numpy
engine runs it in this process; the jax engine swaps in its jit-compiled macro-step
(:meth:`ldnsim.engines.jax_engine.JaxEngine._advance_fn`); the dask engine sends each chunk to a worker.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, SolverError

__all__ = ["run", "run_chunk", "ENGINES"]

ENGINES = ("numpy", "jax", "dask")


def run_chunk(problem: Any, start: int, stop: int, advance_fn: Any = None) -> dict[str, Any]:
    """Patients ``start … stop-1`` over the whole schedule: ``{"start", "stop", "daily": (P, days, k),
    "final_state": (P, n_states), "refined": int}`` (``k`` = the model's outputs, daily means)."""
    from ..engines import advance, patient_blocks

    model = problem.model
    pats: dict[str, Any] = dict(patient_blocks(model, problem.seed, start, stop))
    pats["_start"], pats["_stop"] = start, stop
    chunk = model.setup(pats)
    n = stop - start
    per_day = int(round(24.0 / model.dt_h))
    k_out = len(model.output_names)
    daily = np.zeros((n, problem.days, k_out))
    if advance_fn is None:
        def advance_fn(y: Any, d: Any, p: Any, dt: float) -> Any:
            return advance(model.step, y, d, p, dt, problem.rtol, problem.atol, np,
                           max_level=problem.max_level, readout=model.readout)
    y = chunk.y0
    acc = np.zeros((n, k_out))
    refined = 0
    for k in range(model.steps):
        y, out, r = advance_fn(y, chunk.drivers(k), chunk.p, model.dt_h)
        refined += r
        acc += np.asarray(out)
        if (k + 1) % per_day == 0:
            daily[:, k // per_day] = acc / per_day
            acc = np.zeros((n, k_out))
    y = np.asarray(y)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(daily))):
        bad = np.nonzero(~np.all(np.isfinite(daily), axis=(1, 2)))[0]
        raise SolverError(f"non-finite immune state for patient(s) {(bad[:5] + start).tolist()}; check the "
                          "parameters (rates and gains must be finite and non-negative)")
    return {"start": start, "stop": stop, "daily": daily, "final_state": y, "refined": refined}


def _dask_task(problem: Any, start: int, stop: int) -> dict[str, Any]:
    return run_chunk(problem, start, stop)


def run(problem: Any, engine: Any = "numpy") -> dict[str, Any]:
    """Every chunk of ``problem`` (an :class:`ldnsim.engines.Problem` over an ImmuneModel) on ``engine``
    (``"numpy"``, ``"jax"``, ``"dask"`` or an engine instance of those kinds). Returns the chunks' outputs
    joined in patient order, with ``engine``."""
    from ..engines import Engine, get_engine

    eng: Any = engine if isinstance(engine, Engine) else None
    name = eng.name if eng is not None else engine
    if name not in ENGINES:
        raise InputError("engine", "unknown engine", accepted=", ".join(ENGINES), value=name)
    if eng is None:
        eng = get_engine(name)
    if not eng.available():
        raise InputError("engine", f"the {name} engine is not installed (pip install 'ldnsim[gpu]' for jax, "
                         "'ldnsim[distributed]' for dask)", accepted=", ".join(ENGINES), value=name)
    parts: list[dict[str, Any]] = []
    if name == "numpy":
        parts = [run_chunk(problem, a, b) for a, b in problem.chunks()]
    elif name == "jax":
        adv = eng._advance_fn(problem)
        parts = [run_chunk(problem, a, b, advance_fn=adv) for a, b in problem.chunks()]
    else:
        owned = engine is not eng  # a cluster this call started: closed again at the end
        try:
            client = eng.client
            fut_pr = client.scatter(problem, broadcast=True)
            futs = [client.submit(_dask_task, fut_pr, a, b, pure=False) for a, b in problem.chunks()]
            parts = client.gather(futs)
        finally:
            if owned:
                eng.close()
    parts = sorted(parts, key=lambda o: o["start"])
    return {"daily": np.concatenate([o["daily"] for o in parts]),
            "final_state": np.concatenate([o["final_state"] for o in parts]),
            "refined": int(sum(o["refined"] for o in parts)), "engine": name}
