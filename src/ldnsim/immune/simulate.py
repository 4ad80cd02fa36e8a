"""``ldnsim.immune.simulate_immune``: regimen → PK → OGFr occupancy → OGF/OGFr adaptation → lymphocyte
proliferation → cytokines and tissue inflammation (gut mucosa for Crohn's disease, CNS for MS).

For research and education only; not medical advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._disclaimer import DISCLAIMER
from ..errors import InputError
from ..units import check_seed
from ._model import ImmuneModel
from ._params import condition_names, condition_params
from ._rhs import OUTPUT_NAMES, STATE_LABELS
from ._run import ENGINES, run

__all__ = ["simulate_immune", "MAX_DAYS", "MAX_PATIENT_DAYS"]

MAX_DAYS = 3653  # ten years
#: patients × days held in memory (9 outputs each, float64): ~0.15 GB at the limit
MAX_PATIENT_DAYS = 2_000_000

_ATTRS: dict[str, dict[str, str]] = {
    "ogfr_occupancy": {"units": "fraction 0-1", "long_name": "OGFr occupancy by naltrexone + 6β-naltrexol "
                       "(unbound plasma, competitive with OGF), daily mean"},
    **{k: {"units": "relative", "long_name": v} for k, v in STATE_LABELS.items()},
    "cytokines": {"units": "relative to untreated (1)",
                  "long_name": "pro-inflammatory cytokine output (TNF-α, IL-6, IFN-γ, IL-17)"},
    "ogfr_signal": {"units": "relative to untreated (1)",
                    "long_name": "OGF–OGFr complex (density × OGF-bound fraction), the inhibitory signal"},
    "ogfr_blockade_hours": {"units": "h/day",
                            "long_name": "hours of the day with OGFr occupancy by drug above 50%"},
}


def simulate_immune(
    regimen: Any,
    days: float,
    condition: str,
    *,
    params: Mapping[str, Any] | None = None,
    engine: Any = "numpy",
    n_patients: int = 1,
    seed: int | None = None,
    rtol: float = 1e-2,
    atol: float = 1e-5,
) -> Any:
    """Simulate the peripheral immune / OGF–OGFr module under a regimen, for one patient or many.

    regimen: a :class:`~ldnsim.regimen.Regimen`, regimen text (``"naltrexone 4.5 mg nightly"``), a list of
        :class:`~ldnsim.regimen.DoseEvent` (hours from t = 0) or ``None`` / ``""`` (untreated).
    days: simulated days (> 0, ≤ 3653; a fraction is rounded up to whole days).
    condition: ``"crohns"`` (gut mucosal inflammation) or ``"ms"`` (CNS/peripheral immune activity); presets
        in ``ldnsim/data/immune/conditions.yaml``. Any other name raises :class:`~ldnsim.errors.InputError`
        naming ``condition`` and the accepted values.
    params: immune parameter overrides (``ldnsim.immune.parameter_names()`` or a condition field
        ``gut_drive`` / ``cns_drive``): a number for every patient or an array of ``n_patients`` values.
    engine: ``"numpy"`` (default), ``"jax"`` or ``"dask"`` (or an engine instance of those kinds); they agree
        to ~1e-15 (docs/immune.md).
    n_patients: number of patients (1 … 100,000).
    seed: ``None``: identical typical patients. An integer: virtual patients drawn in the engines' seeded
        blocks — immune inter-individual variability (the data file's ``cv``) and the drug files' PK random
        effects — the same patients on every engine.
    rtol, atol: error control of the daily step (step doubling, per patient; the engines' defaults: the
        daily step is accepted almost everywhere, within ~0.3% of rtol=1e-4 over 30 days of LDN).

    Returns an ``xarray.Dataset`` with dims ``patient × time`` (daily means; ``time`` in hours at mid-day,
    with ``time_h``, ``time_days`` and the index ``day`` like :func:`ldnsim.simulate`) holding
    ``ogfr_occupancy`` (0–1), ``ogf``, ``ogfr_density``, ``lymphocyte_proliferation`` (relative, untreated
    = 1), ``mucosal_inflammation`` (untreated Crohn's = 1, 0 = healed; 0 throughout for MS),
    ``cns_inflammation`` (untreated MS = 1; 0 throughout for Crohn's), ``cytokines`` (relative, untreated
    = 1), ``ogfr_signal`` and ``ogfr_blockade_hours`` (h/day with OGFr occupancy above 50%), and
    ``final_state`` (patient × state). ``attrs``: condition, engine, units, disclaimer.
    """
    from ..engines import Problem
    from ..model import time_dataset

    cond = condition_params(condition)  # InputError naming 'condition' and the accepted values
    try:
        days_f = float(days)
    except (TypeError, ValueError):
        raise InputError("days", "must be a number of days", accepted=f"> 0 and ≤ {MAX_DAYS}",
                         value=days) from None
    if not (np.isfinite(days_f) and 0 < days_f <= MAX_DAYS):
        raise InputError("days", "out of range", accepted=f"> 0 and ≤ {MAX_DAYS} days", value=days)
    n_days = int(np.ceil(days_f))
    if isinstance(n_patients, bool) or not isinstance(n_patients, int | np.integer) \
            or not 1 <= int(n_patients) <= 100_000:
        raise InputError("n_patients", "must be an integer", accepted="1-100000", value=n_patients)
    n = int(n_patients)
    if n * n_days > MAX_PATIENT_DAYS:
        raise InputError("n_patients", f"patients × days too large ({n} × {n_days})",
                         accepted=f"≤ {MAX_PATIENT_DAYS:,} patient-days per call")
    seed = check_seed(seed)
    name = getattr(engine, "name", engine)
    if not isinstance(name, str) or name not in ENGINES:
        raise InputError("engine", "unknown engine", accepted=", ".join(ENGINES), value=name)
    if params is not None and not isinstance(params, Mapping):
        raise InputError("params", "must be a mapping of parameter name to value",
                         value=type(params).__name__)
    for k, v in (params or {}).items():
        if np.ndim(v) and np.shape(v) != (n,):
            raise InputError(str(k), f"needs one value per patient ({n})", value=np.shape(v))
    model = ImmuneModel(regimen, cond["name"], n_days, params=params, population=seed is not None)
    # the parameters are checked once for every patient before any engine starts
    from ._params import resolve_params

    resolve_params(cond, n, overrides=params)
    problem = Problem(model, n_patients=n, seed=0 if seed is None else seed, rtol=rtol, atol=atol,
                      endpoint_days=(0,))
    res = run(problem, engine)
    daily = res["daily"]
    data: dict[str, Any] = {}
    for i, k in enumerate(OUTPUT_NAMES):
        v = daily[:, :, i] * (24.0 if k == "ogfr_blockade_hours" else 1.0)
        data[k] = (("patient", "time"), v, _ATTRS[k])
    data["final_state"] = (("patient", "state"), res["final_state"],
                           {"long_name": "state at the end of the run (relative)"})
    ds = time_dataset(
        data, {"patient": np.arange(n), "state": list(model.state_names)},
        np.arange(n_days) * 24.0 + 12.0, np.arange(n_days, dtype=float), daily=True,
        attrs={"condition": model.condition, "conditions_covered": ", ".join(condition_names()),
               "engine": res["engine"], "days": days_f, "n_patients": n,
               "seed": "none (typical patients)" if seed is None else str(seed),
               "refined_patient_steps": res["refined"],
               "time_units": "h from the start (daily means at mid-day; time_days: days)",
               "model": "ldnsim.immune peripheral immune / OGF-OGFr module (docs/immune.md)",
               "disclaimer": DISCLAIMER},
    )
    return ds
