"""The reference engine: ldnsim's model integrated the plain way, on the fixed macro-step.

PK from the dense matrix-exponential solution of :func:`ldnsim.pk.simulate_pk` on the whole driver grid,
the drivers (:func:`ldnsim.model.driver_values`), the untreated steady state
(:func:`ldnsim.model.untreated_start`) and :func:`ldnsim.system.integrate` — exponential Heun with the
rates averaged over the ``n_sub`` driver samples of each macro-step, no error control. It keeps every
trajectory (states, algebra, drivers, concentrations), which is what :func:`ldnsim.simulate` labels;
:meth:`ReferenceEngine.run` reduces them to the engine contract's :class:`~ldnsim.engines.Result`
(docs/engines.md).

Against the population engines: they take the same full step wherever their step-doubling error test
passes; with ``max_level=0`` (never refine) their numbers are this engine's to ~1e-13 (their PK is the
modal form of the same linear systems).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import InputError, SolverError
from ..model import (
    driver_values,
    patient_covariates,
    patient_params,
    receptor_constants,
    untreated_start,
    with_occupancy,
)
from ..system import DRIVER_NAMES, OUTPUT_ALGEBRA, algebra, integrate
from ._base import Engine, Problem, Result, patient_blocks, register_engine
from .numpy_engine import run_in_process, with_baseline

__all__ = ["ReferenceEngine", "pk_drivers", "trajectories"]

#: patients integrated together by :meth:`ReferenceEngine.run` (the whole driver grid is held: days × 24 ×
#: patients × drivers)
BATCH = 64


def pk_drivers(events: list[Any], t_sub: np.ndarray, covariates: Any, eta: Mapping[str, np.ndarray] | None,
               p: Mapping[str, Any], baseline: Mapping[str, np.ndarray],
               n_pat: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[str]]:
    """PK on the sub-step grid ``t_sub`` (h) → the system's drivers, each (n_time, n_pat).

    Returns (drivers, concentrations ``plasma_ng_ml`` / ``effect_nM`` (n_time, n_pat, n_analyte), analyte
    names); without events the drug-free ``baseline`` drivers.
    """
    if not events:
        drivers = {k: np.broadcast_to(baseline[k][None, :], (t_sub.size, n_pat)) for k in DRIVER_NAMES}
        return drivers, {}, []
    from ..pk import simulate_pk

    if covariates is not None and covariates.n_patients not in (1, n_pat):
        raise InputError("patients", "covariate columns must have one value per patient")
    pk = simulate_pk(events, t_sub, covariates=covariates, eta=eta)
    analytes = [str(a) for a in pk["analyte"].values]
    eff = np.broadcast_to(pk["effect_nM"].values, (n_pat, t_sub.size, len(analytes)))
    pla = np.broadcast_to(pk["plasma_ng_ml"].values, (n_pat, t_sub.size, len(analytes)))
    conc = {"plasma_ng_ml": np.ascontiguousarray(pla.transpose(1, 0, 2)),
            "effect_nM": np.ascontiguousarray(eff.transpose(1, 0, 2))}
    e_tp = conc["effect_nM"]  # (n_time, n_pat, n_analyte): the drivers' layout
    if not np.all(np.isfinite(e_tp)) or np.any(e_tp < -1e-9):
        raise InputError("effect_nM", "must be finite and non-negative (nM)")
    effect = {a: np.maximum(e_tp[:, :, i], 0.0) for i, a in enumerate(analytes)}
    consts = receptor_constants(analytes, {"tlr4_ic50_nM": np.asarray(p["tlr4_ic50_nM"], dtype=float)})
    vals = driver_values(effect, consts, np.asarray(p["K_uld_pM"], dtype=float), np)
    shape = (t_sub.size, n_pat)
    drivers = {k: np.ascontiguousarray(np.broadcast_to(np.asarray(vals[k], dtype=float), shape))
               for k in DRIVER_NAMES}
    return drivers, conc, analytes


def _daily(x: np.ndarray, per_day: int) -> np.ndarray:
    """Means over consecutive blocks of ``per_day`` samples along axis 0."""
    n = x.shape[0] // per_day
    return np.asarray(x[: n * per_day].reshape(n, per_day, *x.shape[1:]).mean(axis=1))


def trajectories(model: Any, inputs: Mapping[str, Any], *, output: str = "daily",
                 n_sub: int | None = None) -> dict[str, Any]:
    """Every trajectory of the patients ``inputs`` (:func:`ldnsim.model.patient_inputs` form) under ``model``
    (:class:`~ldnsim.engines.LdnModel`: events, condition, variant, params, days, ``dt_h``).

    output: ``"daily"`` (daily means; time at mid-day) or ``"hourly"`` (values at the sub-step midpoints).
    n_sub: driver samples per macro-step (default ``model.n_sub``).
    Returns ``states`` (n_time, n_pat, n_states), ``algebra`` / ``drivers`` (name → (n_time, n_pat)),
    ``conc`` (name → (n_time, n_pat, n_analyte)), ``analytes``, ``time_h``, ``time_days``, ``final_state``
    (n_pat, n_states: at the end of the last step), ``y0`` / ``baseline`` / ``p`` (the untreated start).
    """
    n = len(inputs["_n"]) if np.ndim(inputs["_n"]) else int(inputs["_n"])
    n_days = int(model.days)
    dt_h = float(model.dt_h)
    n_sub = int(model.n_sub if n_sub is None else n_sub)
    steps_per_day = int(round(24.0 / dt_h))
    n_steps = n_days * steps_per_day
    p = patient_params(model.cond, inputs, model.params, model.variant)
    # the untreated steady state of the condition (the chronic branch for a chronic one), remembered: a
    # trial simulates the same patients under several arms
    baseline, y0 = untreated_start(model.cond, p, n, memo=True)
    t_sub = (np.arange(n_steps * n_sub) + 0.5) * (dt_h / n_sub)
    eta = {k[4:]: v for k, v in inputs.items() if k.startswith("eta:")} or None
    eta = with_occupancy(eta, model.variant, [e.drug for e in model.events])
    drivers, conc, analytes = pk_drivers(model.events, t_sub, patient_covariates(inputs), eta, p, baseline, n)
    res = integrate(y0, drivers, p, dt_h=dt_h, n_sub=n_sub, hourly=(output == "hourly"))
    if output == "daily":
        states = _daily(res["states_mean"], steps_per_day)
        alg = {k: _daily(res[k], steps_per_day) for k in OUTPUT_ALGEBRA}
        per_day = steps_per_day * n_sub
        drv = {k: _daily(drivers[k], per_day) for k in DRIVER_NAMES}
        cc = {k: _daily(v, per_day) for k, v in conc.items()}
        time_h = np.arange(n_days) * 24.0 + 12.0
        time_days = np.arange(n_days, dtype=float)
    else:
        w = (np.arange(n_sub) + 0.5) / n_sub
        s0, s1 = res["states"][:-1], res["states"][1:]
        states = (s0[:, None] + (s1 - s0)[:, None] * w[None, :, None, None]).reshape(-1, *s0.shape[1:])
        alg = {k: res[k] for k in OUTPUT_ALGEBRA}
        drv = {k: drivers[k] for k in DRIVER_NAMES}
        cc = conc
        time_h = t_sub
        time_days = time_h / 24.0
    return {"states": states, "algebra": alg, "drivers": drv, "conc": cc, "analytes": analytes,
            "time_h": time_h, "time_days": time_days, "final_state": res["states"][-1], "y0": y0,
            "baseline": baseline, "p": p, "n_sub": n_sub}


class _Start:
    """What :func:`.numpy_engine.with_baseline` reads: each patient's untreated steady-state pain."""

    def __init__(self, parts: list[dict[str, Any]]):
        self.parts = parts

    def baseline_pain(self) -> np.ndarray:
        out = []
        for t in self.parts:
            d = {k: np.asarray(v, dtype=float)[None, :] for k, v in t["baseline"].items()}
            out.append(np.asarray(algebra(t["y0"][None], d, t["p"], np)["pain_nrs"])[0])
        return np.concatenate(out)


def run_chunk_reference(problem: Problem, start: int, stop: int) -> dict[str, Any]:
    """Patients ``start … stop-1`` (:func:`.patient_blocks`) on the fixed step: the chunk output of
    :func:`.numpy_engine.run_chunk` (daily pain on the endpoint days, day sums, final states)."""
    model = problem.model
    pats = dict(patient_blocks(model, problem.seed, start, stop))
    n = stop - start
    pats["_n"] = np.full(n, n)
    ep_days = list(problem.endpoint_days)
    ep = np.zeros((n, len(ep_days)))
    day_sum = np.zeros(problem.days)
    day_sumsq = np.zeros(problem.days)
    final = np.zeros((n, len(model.state_names)))
    parts = []
    for a in range(0, n, BATCH):
        b = min(n, a + BATCH)
        sub = {k: (np.asarray(v)[a:b] if np.ndim(v) else v) for k, v in pats.items()}
        t = trajectories(model, sub, output="daily")
        pain = t["algebra"]["pain_nrs"]  # (days, patients)
        if not np.all(np.isfinite(pain)):
            day, pat = np.argwhere(~np.isfinite(pain))[0]
            raise SolverError(f"non-finite pain for patient {start + a + pat} on day {day}")
        ep[a:b] = pain[ep_days].T
        day_sum += pain.sum(axis=1)
        day_sumsq += (pain * pain).sum(axis=1)
        final[a:b] = t["final_state"]
        parts.append(t)
    return with_baseline(problem, _Start(parts), {
        "start": start, "stop": stop, "pain_endpoints": ep, "final_state": final, "day_sum": day_sum,
        "day_sumsq": day_sumsq, "refined": 0})


class ReferenceEngine(Engine):
    """The reference integrator as an engine: fixed macro-step (``model.dt_h``), PK from
    :func:`ldnsim.pk.simulate_pk`, no error control (``problem.rtol``/``atol``/``max_level`` do not apply).
    :func:`ldnsim.simulate` runs it by default and labels :func:`trajectories`."""

    name = "reference"

    def __init__(self, trace_memory: bool = False, progress: bool = False):
        self.trace_memory = trace_memory
        self.progress = progress

    def run(self, problem: Problem, *, progress: bool | None = None) -> Result:
        show = self.progress if progress is None else progress
        return run_in_process(self, problem, None, show, chunk_fn=run_chunk_reference)

    def trajectories(self, model: Any, inputs: Mapping[str, Any], *, output: str = "daily",
                     n_sub: int | None = None) -> dict[str, Any]:
        """:func:`trajectories` (every state, algebra, driver and concentration over time)."""
        return trajectories(model, inputs, output=output, n_sub=n_sub)


register_engine("reference", ReferenceEngine)
