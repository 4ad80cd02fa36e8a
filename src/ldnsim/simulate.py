"""``ldnsim.simulate``: regimen → PK → receptor occupancy → neuroimmune system → pain, for one or
many patients at once (vectorised over patients). The facade: it checks the inputs, picks an engine
(:mod:`ldnsim.engines`; the reference engine by default) and labels the result (xarray).

For research and education only; not medical advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ._disclaimer import DISCLAIMER
from .engines import LdnModel, available_engines, get_engine, simulate_daily
from .errors import InputError
from .model import COVARIATE_COLUMNS, patient_inputs, patient_table, time_dataset
from .system import OUTPUT_ALGEBRA, STATE_LABELS, STATE_NAMES

__all__ = ["simulate", "COVARIATE_COLUMNS", "OCCUPANCY_NAMES"]

#: occupancy outputs of the receptor layer kept in the result
OCCUPANCY_NAMES = ("mu_antagonist", "mu_agonist", "mu_endogenous", "tlr4_inhibition", "tlr4_agonism",
                   "nmda_block", "nox2_inhibition", "uld_site")
MAX_DAYS = 36525
_UNITS = {
    "pain_nrs": "NRS 0-10",
    "plasma_ng_ml": "ng/mL",
    "effect_nM": "nM (unbound effect site)",
    **{k: "fraction 0-1" for k in OCCUPANCY_NAMES},
    **{k: "relative to healthy (1)" for k in ("cytokines", "ros", "glutamate", "nmda_drive", "opioid_tone",
                                               "firing")},
}


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
        - PK random effects ``eta:<drug>/<analyte or formulation>.<param>`` (e.g. ``eta:naltrexone/ir.F``,
          ``eta:naltrexone/naltrexone.CL``): log-scale multipliers of the drug file's value, as
          :func:`ldnsim.pk.sample_eta` draws them from the file's CVs (between-subject PK variability;
          without them every patient has the typical PK);
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
    engine: ``None`` or ``"reference"`` (default) runs the reference engine
        (:class:`ldnsim.engines.ReferenceEngine`: the fixed-step integrator) and returns everything below.
        Another name from :func:`ldnsim.engines.available_engines` (``numpy``, ``jax``, ``dask``) runs that
        population engine instead (docs/engines.md): daily ``pain_nrs`` and the final states only,
        streamed so that large populations fit in memory.

    Returns an ``xarray.Dataset`` with dims ``patient × time`` (and ``analyte`` for
    concentrations, ``dose`` for the dose events): ``pain_nrs``, every state of
    :data:`ldnsim.system.STATE_NAMES`, the algebraic quantities (cytokines, ros, glutamate,
    nmda_drive, opioid_tone, firing), the occupancies, ``plasma_ng_ml``/``effect_nM``, and
    ``dose_time_h``/``dose_drug``/``dose_mg``/``dose_formulation``. Index coordinate ``time`` (hours
    from t = 0: the middle of each day for daily output; ``ds.sel(time=36.0)``), with ``time_h`` (the
    same hours) and ``time_days``; daily output also has the index ``day`` (0, 1, …; ``ds.sel(day=3)``).
    ``attrs`` carry units, condition, variant, engine and the disclaimer.
    """
    from .data.conditions import disease_condition, refuse_disease_condition

    dis = disease_condition(condition) if isinstance(condition, str) else None
    if dis is not None:  # Crohn's/MS: never the pain model
        refuse_disease_condition(dis)
    if engine not in (None, "reference"):
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
    n_days = int(np.ceil(days_f))
    table = patient_table(patients, params)  # checks the table and the parameter names
    n_steps = n_days * int(round(24.0 / dt_h))
    if table.n * n_steps * int(n_sub) > MAX_SAMPLES:  # bounded memory: one float64 driver array ≤ 400 MB
        raise InputError(
            "patients",
            "patients × days × samples per day too large for the reference integrator",
            accepted=f"≤ {MAX_SAMPLES:.0e} driver samples (here {table.n} × {n_steps} × {n_sub}); larger "
            "populations: engine='numpy'|'jax'|'dask' (streamed) or ldnsim population-trial",
        )
    model = LdnModel(regimen, condition, n_days, variant=variant, params=params, population=False,
                     patients=patients, dt_h=dt_h, n_sub=int(n_sub))
    inputs = patient_inputs(patients) if patients is not None else {"_n": np.ones(1)}
    if "esr_mm_h" not in inputs and esr_mm_h is not None:
        inputs["esr_mm_h"] = np.full(table.n, float(esr_mm_h))
    # constant drivers (no dose) need one sample per step for daily means; hourly output keeps n_sub
    n_sub_run = model.n_sub if output == "daily" else int(n_sub)
    t = get_engine("reference").trajectories(model, inputs, output=output, n_sub=n_sub_run)

    time_h = t["time_h"]
    keep = time_h < days_f * 24.0 + 1e-9 if output == "hourly" else np.arange(n_days) < days_f
    ds = _assemble(t["states"][keep], {k: v[keep] for k, v in t["algebra"].items()},
                   {k: v[keep] for k, v in t["drivers"].items()}, {k: v[keep] for k, v in t["conc"].items()},
                   t["analytes"], time_h[keep], t["time_days"][keep], model.events, table.n,
                   daily=output == "daily")
    ds.attrs.update(
        {
            "condition": model.condition,
            "variant": variant,
            "output": output,
            "days": days_f,
            "dt_h": dt_h,
            "n_sub": t["n_sub"],
            "engine": "reference",
            "time_units": "h from the start of the simulation (time_days: days)",
            "disclaimer": DISCLAIMER,
            "patient_columns_used": ",".join(table.used),
            "model": "ldnsim.system reduced neuroimmune model (docs/model.md)",
        }
    )
    return ds


def _assemble(states, alg, drv, conc, analytes, time_h, time_days, events, n_pat, *,
              daily: bool) -> xr.Dataset:
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
        "analyte": np.array(analytes, dtype=object) if analytes else np.array([], dtype=object),
    }
    return time_dataset(data, coords, time_h, time_days, daily=daily)


def _simulate_on_engine(engine, regimen, condition, days, patients, variant, output, params, seed, esr_mm_h):
    """``simulate(..., engine=NAME)``: the population engines' daily pain (see docs/engines.md)."""
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
