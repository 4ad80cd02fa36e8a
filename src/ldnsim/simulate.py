"""``ldnsim.simulate``: regimen → PK → receptor occupancy → neuroimmune system → pain, for one or
many patients at once (vectorised over patients).

For research and education only; not medical advice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ._disclaimer import DISCLAIMER
from .errors import InputError
from .system import (
    DRIVER_NAMES,
    STATE_LABELS,
    STATE_NAMES,
    condition_params,
    healthy_state,
    high_branch_start,
    integrate,
    resolve_params,
    steady_state,
)
from .system._integrate import OUTPUT_ALGEBRA

__all__ = ["simulate", "COVARIATE_COLUMNS", "OCCUPANCY_NAMES"]

#: patient-table columns read as PK covariates (ldnsim.pk.Covariates) or the ESR covariate
COVARIATE_COLUMNS = ("weight_kg", "hepatic", "egfr_ml_min", "cyp2d6", "esr_mm_h")
#: occupancy outputs of the receptor layer kept in the result
OCCUPANCY_NAMES = ("mu_antagonist", "mu_agonist", "mu_endogenous", "tlr4_inhibition", "tlr4_agonism",
                   "nmda_block", "nox2_inhibition", "uld_site")
#: analytes that occupy the high-affinity (pM) antagonist site of the ultra-low-dose regime
ULD_ANALYTES = ("naltrexone", "naloxone")
MAX_DAYS = 36525
_UNITS = {
    "pain_nrs": "NRS 0-10",
    "plasma_ng_ml": "ng/mL",
    "effect_nM": "nM (unbound effect site)",
    **{k: "fraction 0-1" for k in OCCUPANCY_NAMES},
    **{k: "relative to healthy (1)" for k in ("cytokines", "ros", "glutamate", "nmda_drive", "opioid_tone",
                                               "firing")},
}


def _events(regimen: Any, until_h: float) -> list:
    from .regimen import DoseEvent, Regimen

    if regimen is None:
        return []
    if isinstance(regimen, str):
        if not regimen.strip():
            return []
        regimen = Regimen.parse(regimen)
    if hasattr(regimen, "events") and callable(regimen.events):
        evs = list(regimen.events(until_h))
    elif isinstance(regimen, DoseEvent):
        evs = [regimen]
    elif isinstance(regimen, Sequence):
        evs = list(regimen)
        for i, ev in enumerate(evs):
            if not all(hasattr(ev, a) for a in ("time_h", "drug", "dose_mg")):
                raise InputError(f"regimen[{i}]", "must be a DoseEvent", value=repr(ev))
    else:
        raise InputError("regimen", "must be a Regimen, regimen text or a list of DoseEvent",
                         value=type(regimen).__name__)
    return [ev for ev in evs if float(ev.time_h) < until_h]


def _patient_table(patients: Any, params: Mapping[str, Any] | None) -> tuple[int, dict, dict, Any, list]:
    """Split the patient table into PK covariates, ESR, and per-patient system parameters."""
    from .system import parameter_names

    sys_names = set(parameter_names()) | {"glial_drive", "tlr4_fraction", "peripheral_drive"}
    overrides: dict[str, Any] = {}
    for k, v in (params or {}).items():
        if k not in sys_names:
            from .errors import UnknownNameError

            raise UnknownNameError("parameter", k, sorted(sys_names))
        overrides[k] = v
    if patients is None:
        return 1, {}, overrides, None, []
    import pandas as pd

    if not isinstance(patients, pd.DataFrame):
        raise InputError("patients", "must be a pandas DataFrame, one row per patient",
                         value=type(patients).__name__)
    n = len(patients)
    if n == 0:
        raise InputError("patients", "has no rows")
    cov: dict[str, Any] = {}
    used = []
    for col in patients.columns:
        c = str(col)
        if c in ("weight_kg", "hepatic", "egfr_ml_min", "cyp2d6"):
            cov[c] = patients[col].to_numpy()
            used.append(c)
        elif c in sys_names:
            try:
                overrides[c] = patients[col].to_numpy(dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"patients.{c}", "must be numeric") from None
            used.append(c)
    esr = None
    if "esr_mm_h" in patients.columns:
        try:
            esr = patients["esr_mm_h"].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise InputError("patients.esr_mm_h", "must be numeric (mm/h)") from None
        used.append("esr_mm_h")
    return n, cov, overrides, esr, used


def _daily(x: np.ndarray, per_day: int) -> np.ndarray:
    """Means over consecutive blocks of ``per_day`` samples along axis 0."""
    n = x.shape[0] // per_day
    return x[: n * per_day].reshape(n, per_day, *x.shape[1:]).mean(axis=1)


MAX_N_SUB = 1440  # one driver sample a minute at the daily step
MAX_SAMPLES = 50_000_000  # patients × steps × n_sub: memory bound of the reference integrator


def simulate(
    regimen: Any = None,
    condition: str = "fibromyalgia",
    days: float = 180,
    patients: Any = None,
    variant: str = "full",
    output: str = "daily",
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    *,
    esr_mm_h: float | None = None,
    dt_h: float = 24.0,
    n_sub: int = 24,
    engine: str | None = None,
) -> xr.Dataset:
    """Simulate the neuroimmune pain system under a regimen, for one patient or many.

    regimen: a :class:`ldnsim.regimen.Regimen`, regimen text (``"naltrexone 4.5 mg nightly for 12
        weeks"``), a list of :class:`~ldnsim.regimen.DoseEvent`, or ``None`` (untreated).
        Event times are hours from the start of the simulation (t = 0).
    condition: preset name (``ldnsim/data/system/conditions.yaml``): healthy, fibromyalgia, crps,
        painful_diabetic_neuropathy, chronic_low_back_pain, osteoarthritis. Patients of a chronic
        condition start on the untreated steady state of the high-pain branch.
    days: simulated days (> 0, ≤ 36525).
    patients: optional ``pandas.DataFrame``, one row per patient. Accepted columns:

        - PK covariates (:class:`ldnsim.pk.Covariates`): ``weight_kg`` (kg), ``hepatic``
          (none/mild/moderate/severe), ``egfr_ml_min`` (mL/min), ``cyp2d6`` (pm/im/em/um);
        - ``esr_mm_h``: erythrocyte sedimentation rate (mm/h, 0–150), scales the TLR4-dependent
          glial drive as ``(esr/esr_ref_mm_h)**esr_exponent``;
        - any system parameter name of ``ldnsim.system.parameter_names()`` (e.g. ``glial_drive``,
          ``k_Sd``, ``tlr4_ic50_nM``) or condition field (``glial_drive``, ``tlr4_fraction``,
          ``peripheral_drive``): a per-patient value overriding the default.

        Other columns (ids, descriptive or trial-layer traits) are ignored; the columns used are
        listed in ``attrs["patient_columns_used"]``.
    variant: ``"full"`` (TLR4 and μ mechanisms) or ``"mu-only"`` (TLR4 effects switched off).
    output: ``"daily"`` (daily means) or ``"hourly"`` (values at the sub-step midpoints).
    params: typical values overriding system parameters for every patient (``name -> value``).
    seed: accepted for the engine contract; the system itself is deterministic.
    esr_mm_h: ESR for every patient (mm/h) when the patient table has none.
    dt_h, n_sub: macro-step (h, must divide 24) and driver samples per step (numerics; defaults
        verified in tests/system/test_numerics.py).
    engine: ``None`` (default) runs this reference integrator and returns everything below. A name
        from :func:`ldnsim.engines.available_engines` (``numpy``, ``jax``, ``dask``) runs the
        population engines instead (docs/engines.md): daily ``pain_nrs`` and the final states only,
        streamed so that large populations fit in memory.

    Returns an ``xarray.Dataset`` with dims ``patient × time`` (and ``analyte`` for
    concentrations, ``dose`` for the dose events): ``pain_nrs``, every state of
    :data:`ldnsim.system.STATE_NAMES`, the algebraic quantities (cytokines, ros, glutamate,
    nmda_drive, opioid_tone, firing), the occupancies, ``plasma_ng_ml``/``effect_nM``, and
    ``dose_time_h``/``dose_drug``/``dose_mg``/``dose_formulation``. Coordinates ``time_h`` (hours
    from t = 0: the middle of each day for daily output) and ``time_days``. ``attrs`` carry
    units, condition, variant and the disclaimer.
    """
    if engine is not None:
        return _simulate_on_engine(engine, regimen, condition, days, patients, variant, output, params, seed,
                                   esr_mm_h)
    del seed  # deterministic; kept for the engine contract
    days_f = _check_days(days)
    if output not in ("daily", "hourly"):
        raise InputError("output", f"unknown output {output!r}", accepted="daily or hourly", value=output)
    if not (isinstance(dt_h, int | float) and 0.25 <= dt_h <= 24 and (24.0 / dt_h) == int(24.0 / dt_h)):
        raise InputError("dt_h", "must divide 24 h", accepted="24, 12, 8, 6, 4, 3, 2, 1, 0.5, 0.25",
                         value=dt_h)
    if isinstance(n_sub, bool) or not isinstance(n_sub, int | np.integer) or not 1 <= n_sub <= MAX_N_SUB:
        raise InputError("n_sub", "out of range", accepted=f"an integer 1-{MAX_N_SUB}", value=n_sub)
    n_sub = int(n_sub)
    n_days = int(np.ceil(days_f))
    steps_per_day = int(round(24.0 / dt_h))
    n_steps = n_days * steps_per_day
    cond = condition_params(condition)
    n_pat, cov, overrides, esr, used = _patient_table(patients, params)
    if n_pat * n_steps * n_sub > MAX_SAMPLES:  # bounded memory: one float64 driver array ≤ 400 MB
        raise InputError(
            "patients",
            "patients × days × samples per day too large for the reference integrator",
            accepted=f"≤ {MAX_SAMPLES:.0e} driver samples (here {n_pat} × {n_steps} × {n_sub}); larger "
            "populations: engine='numpy'|'jax'|'dask' (streamed) or ldnsim population-trial",
        )
    if esr is None and esr_mm_h is not None:
        esr = np.full(n_pat, float(esr_mm_h))
    p = resolve_params(cond, n_pat, overrides=overrides, esr_mm_h=esr, variant=variant)

    until_h = n_days * 24.0
    events = _events(regimen, until_h)
    if not events and output == "daily":
        n_sub = 1  # constant drivers: one sample per step is exact
    t_sub = (np.arange(n_steps * n_sub) + 0.5) * (dt_h / n_sub)
    drivers, conc, analytes, baseline = _drivers(events, t_sub, cov, p, n_pat)
    p["phi0"] = baseline["mu_endogenous"]

    # initial state: healthy, or the untreated steady state of the chronic (high-pain) branch
    guess = high_branch_start(np, n_pat) if cond["start"] == "high" else healthy_state(np, n_pat)
    base_d = {k: np.broadcast_to(v, (1, n_pat)) for k, v in baseline.items()}
    y0 = _steady_state(guess, base_d, p)
    res = integrate(y0, drivers, p, dt_h=dt_h, n_sub=n_sub, hourly=(output == "hourly"))

    if output == "daily":
        states = _daily(res["states_mean"], steps_per_day)
        alg = {k: _daily(res[k], steps_per_day) for k in OUTPUT_ALGEBRA}
        per_day = steps_per_day * n_sub
        drv = {k: _daily(drivers[k], per_day) for k in OCCUPANCY_NAMES}
        cc = {k: _daily(v, per_day) for k, v in conc.items()}
        time_h = np.arange(n_days) * 24.0 + 12.0
    else:
        w = (np.arange(n_sub) + 0.5) / n_sub
        s0, s1 = res["states"][:-1], res["states"][1:]
        states = (s0[:, None] + (s1 - s0)[:, None] * w[None, :, None, None]).reshape(-1, *s0.shape[1:])
        alg = {k: res[k] for k in OUTPUT_ALGEBRA}
        drv = {k: drivers[k] for k in OCCUPANCY_NAMES}
        cc = conc
        time_h = t_sub
    keep = time_h < days_f * 24.0 + 1e-9 if output == "hourly" else np.arange(n_days) < days_f
    time_days = np.arange(n_days, dtype=float) if output == "daily" else time_h / 24.0
    ds = _assemble(states[keep], {k: v[keep] for k, v in alg.items()},
                   {k: v[keep] for k, v in drv.items()}, {k: v[keep] for k, v in cc.items()}, analytes,
                   time_h[keep], time_days[keep], events, n_pat)
    ds.attrs.update(
        {
            "condition": cond["name"],
            "variant": variant,
            "output": output,
            "days": days_f,
            "dt_h": dt_h,
            "n_sub": n_sub,
            "time_units": "h from the start of the simulation (time_days: days)",
            "disclaimer": DISCLAIMER,
            "patient_columns_used": ",".join(used),
            "model": "ldnsim.system reduced neuroimmune model (docs/model.md)",
        }
    )
    return ds


_STEADY: dict[bytes, np.ndarray] = {}


def _steady_state(guess: np.ndarray, drivers: Mapping[str, np.ndarray], p: Mapping[str, Any]) -> np.ndarray:
    """:func:`ldnsim.system.steady_state`, remembered for the same start, drivers and parameters (a trial
    simulates the same patients under several arms; the search is deterministic)."""
    import hashlib

    h = hashlib.sha1()
    for name, v in (("_guess", guess), *sorted(drivers.items()), *sorted(p.items())):
        a = np.ascontiguousarray(v, dtype=float)
        h.update(name.encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    key = h.digest()
    y0 = _STEADY.get(key)
    if y0 is None:
        y0 = steady_state(guess, drivers, p)
        if len(_STEADY) >= 32:
            _STEADY.pop(next(iter(_STEADY)))
        _STEADY[key] = y0
    return y0.copy()


def _occupancy(effect: Mapping[str, np.ndarray], ic50: np.ndarray, n_t: int) -> dict[str, np.ndarray]:
    """Receptor-layer occupancies (each (n_pat, n_t)); the TLR4 IC50 may differ between patients."""
    from .receptors import occupancy

    n_pat = ic50.size
    out = {k: np.zeros((n_pat, n_t)) for k in DRIVER_NAMES if k != "uld_site"}
    for val in np.unique(ic50):
        rows = np.nonzero(ic50 == val)[0]
        sub = {a: c[rows] for a, c in effect.items()}
        occ = occupancy(sub, endogenous=1.0, params={"tlr4_ic50_nM": float(val)})
        for k in out:
            out[k][rows] = np.broadcast_to(np.asarray(occ.get(k, 0.0), dtype=float), (rows.size, n_t))
    return out


def _drivers(events: list, t_sub: np.ndarray, cov: Mapping[str, Any], p: Mapping[str, np.ndarray],
             n_pat: int) -> tuple[dict, dict, list, dict]:
    """PK on the sub-step grid → receptor occupancies → system drivers (each (n_time, n_pat)).

    Returns (drivers, concentrations (n_time, n_pat, n_analyte), analyte names, drug-free drivers (n_pat,)).
    """
    ic50 = np.asarray(p["tlr4_ic50_nM"], dtype=float)
    base = _occupancy({}, ic50, 1)
    baseline = {k: v[:, 0] for k, v in base.items()}
    baseline["uld_site"] = np.zeros(n_pat)
    if not events:
        drivers = {k: np.broadcast_to(baseline[k][None, :], (t_sub.size, n_pat)) for k in DRIVER_NAMES}
        return drivers, {}, [], baseline
    from .pk import Covariates, simulate_pk

    covar = Covariates(**cov) if cov else None
    if covar is not None and covar.n_patients not in (1, n_pat):
        raise InputError("patients", "covariate columns must have one value per patient")
    pk = simulate_pk(events, t_sub, covariates=covar)
    analytes = [str(a) for a in pk["analyte"].values]
    eff = np.broadcast_to(pk["effect_nM"].values, (n_pat, t_sub.size, len(analytes)))
    pla = np.broadcast_to(pk["plasma_ng_ml"].values, (n_pat, t_sub.size, len(analytes)))
    conc = {"plasma_ng_ml": np.ascontiguousarray(pla.transpose(1, 0, 2)),
            "effect_nM": np.ascontiguousarray(eff.transpose(1, 0, 2))}
    e_tp = conc["effect_nM"]  # (n_time, n_pat, n_analyte): the drivers' layout
    if not np.all(np.isfinite(e_tp)) or np.any(e_tp < -1e-9):
        raise InputError("effect_nM", "must be finite and non-negative (nM)")
    effect = {a: np.maximum(e_tp[:, :, i], 0.0) for i, a in enumerate(analytes)}
    drivers = _occupancy_tp(effect, ic50, (t_sub.size, n_pat))
    c_uld = sum((effect[a] for a in ULD_ANALYTES if a in effect), np.zeros((t_sub.size, n_pat)))
    k_uld = p["K_uld_pM"][None, :] * 1e-3
    drivers["uld_site"] = c_uld / (c_uld + k_uld)
    return drivers, conc, analytes, baseline


def _occupancy_tp(effect: Mapping[str, np.ndarray], ic50: np.ndarray,
                  shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Receptor-layer occupancies (each (n_time, n_pat)) from concentrations (n_time, n_pat), every patient
    at once (the TLR4 IC50 may differ between patients): the equations of
    :func:`ldnsim.receptors.occupancy` as the engines run them (:func:`ldnsim.engines.occupancy_xp`)."""
    from .engines.model import occupancy_xp, receptor_constants

    consts = receptor_constants(list(effect), {"tlr4_ic50_nM": ic50})
    occ = occupancy_xp(effect, consts, np)
    return {k: np.ascontiguousarray(np.broadcast_to(np.asarray(occ.get(k, 0.0), dtype=float), shape))
            for k in DRIVER_NAMES if k != "uld_site"}


def _assemble(states, alg, drv, conc, analytes, time_h, time_days, events, n_pat) -> xr.Dataset:
    dims = ("patient", "time")
    data: dict[str, Any] = {}
    data["pain_nrs"] = (dims, alg["pain_nrs"].T, {"units": _UNITS["pain_nrs"]})
    for i, name in enumerate(STATE_NAMES):
        data[name] = (dims, states[:, :, i].T,
                      {"units": "relative/fraction", "long_name": STATE_LABELS[name]})
    for k in OUTPUT_ALGEBRA:
        if k != "pain_nrs":
            data[k] = (dims, alg[k].T, {"units": _UNITS[k]})
    for k in OCCUPANCY_NAMES:
        data[k] = (dims, np.asarray(drv[k]).T, {"units": _UNITS[k]})
    if analytes:
        for k in ("plasma_ng_ml", "effect_nM"):
            data[k] = (("patient", "time", "analyte"), conc[k].transpose(1, 0, 2), {"units": _UNITS[k]})
    else:
        for k in ("plasma_ng_ml", "effect_nM"):
            data[k] = (("patient", "time", "analyte"), np.zeros((n_pat, time_h.size, 0)),
                       {"units": _UNITS[k]})
    data["dose_time_h"] = (("dose",), np.array([float(e.time_h) for e in events]), {"units": "h"})
    data["dose_drug"] = (("dose",), np.array([str(e.drug) for e in events], dtype=object))
    data["dose_mg"] = (("dose",), np.array([float(e.dose_mg) for e in events]), {"units": "mg"})
    data["dose_formulation"] = (("dose",), np.array([str(getattr(e, "formulation", "ir")) for e in events],
                                                    dtype=object))
    coords = {
        "patient": np.arange(n_pat),
        "time_h": (("time",), time_h, {"units": "h"}),
        "time_days": (("time",), time_days, {"units": "d (daily output: day index, mean over that day)"}),
        "analyte": np.array(analytes, dtype=object) if analytes else np.array([], dtype=object),
    }
    return xr.Dataset(data, coords=coords)


def _simulate_on_engine(engine, regimen, condition, days, patients, variant, output, params, seed, esr_mm_h):
    """``simulate(..., engine=NAME)``: the population engines' daily pain (see docs/engines.md)."""
    from .engines import available_engines, simulate_daily

    known = available_engines()
    if engine not in known:
        raise InputError("engine", "unknown or unavailable engine", accepted=", ".join(known), value=engine)
    if output != "daily":
        raise InputError("output", "the population engines return daily output only", accepted="daily",
                         value=output)
    days_f = _check_days(days)
    if esr_mm_h is not None:
        import pandas as pd

        patients = pd.DataFrame(index=[0]) if patients is None else patients.copy()
        if "esr_mm_h" not in patients:
            patients["esr_mm_h"] = float(esr_mm_h)
    return simulate_daily(regimen, condition, int(np.ceil(days_f)), patients, engine=engine, variant=variant,
                          params=params, seed=0 if seed is None else int(seed))


def _check_days(days: Any) -> float:
    """``days`` as a float in (0, MAX_DAYS], or an InputError naming the field."""
    try:
        days_f = float(days)
    except (TypeError, ValueError):
        raise InputError("days", "must be a number of days", value=days) from None
    if not (np.isfinite(days_f) and 0 < days_f <= MAX_DAYS):
        raise InputError("days", "out of range", accepted=f"> 0 and ≤ {MAX_DAYS} days", value=days)
    return days_f
