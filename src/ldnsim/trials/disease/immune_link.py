"""The one place where the disease trials call the immune module (:func:`ldnsim.immune.simulate_immune`).

Returns each variable as a daily array (patients × days, day 0 = first trial day). Tests of the trial
mechanics may set :data:`SIMULATE_IMMUNE` to a test double (as :data:`ldnsim.trials.model.SIMULATE`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ...errors import SolverError

__all__ = ["SIMULATE_IMMUNE", "get_simulate_immune", "immune_daily", "MECHANISM_VARS", "READOUT_VAR"]

#: the immune module's ``simulate_immune``; ``None`` means the real one (looked up at call time)
SIMULATE_IMMUNE: Callable[..., Any] | None = None

#: the inflammation each condition's readout reads
READOUT_VAR = {"crohns": "mucosal_inflammation", "ms": "cns_inflammation"}

#: variables kept (patient mean by day) for the report's mechanism panel, when the module returns them
MECHANISM_VARS = (
    "ogfr_occupancy",
    "ogf",
    "ogfr_density",
    "lymphocyte_proliferation",
    "mucosal_inflammation",
    "cns_inflammation",
    "cytokines",
)


def get_simulate_immune():
    if SIMULATE_IMMUNE is not None:
        return SIMULATE_IMMUNE
    try:
        from ...immune import simulate_immune
    except ModuleNotFoundError as exc:  # an install without the immune module: say so, no traceback
        if "ldnsim.immune" not in str(exc):
            raise
        from ...errors import LdnsimError

        raise LdnsimError(
            "condition: the immune module (ldnsim.immune) that Crohn's and MS designs run on "
            "is not in this installation"
        ) from None
    return simulate_immune


def _time_in_days(ds, n_days: int) -> np.ndarray:
    t = np.asarray(ds["time"].values, float)
    unit = str(ds["time"].attrs.get("units", ds["time"].attrs.get("unit", ""))).lower()
    if (
        unit.startswith("h")
        or unit == "hour"
        or (not unit.startswith("d") and t.size and t.max() > 1.5 * n_days)
    ):
        return t / 24.0
    return t


def immune_daily(
    regimen,
    n_days: int,
    condition: str,
    n_patients: int,
    *,
    seed: int | None,
    params: Mapping[str, float] | None = None,
    engine: str | None = None,
) -> dict[str, np.ndarray]:
    """Immune-module variables at days 0..n_days−1 (patients × days). Raises SolverError when the readout
    variable is missing, of the wrong shape or not finite (never a silent NaN)."""
    kw: dict[str, Any] = {"params": dict(params) if params else None, "n_patients": int(n_patients),
                          "seed": seed}
    if engine is not None:
        kw["engine"] = engine
    ds = get_simulate_immune()(regimen, int(n_days), condition, **kw)
    if (
        "day" in ds.coords and ds["day"].size == ds["time"].size
    ):  # daily means, day 0, 1, ... (the module's form)
        td = np.asarray(ds["day"].values, float)
    else:
        td = _time_in_days(ds, n_days)
    days = np.arange(n_days, dtype=float)
    out: dict[str, np.ndarray] = {}
    need = READOUT_VAR[condition]
    for name in {need, *MECHANISM_VARS}:
        if name not in ds.data_vars:
            continue
        da = ds[name]
        if set(da.dims) != {"patient", "time"}:
            continue
        v = np.asarray(da.transpose("patient", "time").values, float)
        daily = (
            np.stack([np.interp(days, td, row) for row in v]) if v.shape[1] > 1 else np.repeat(v, n_days, 1)
        )
        out[name] = daily
    if need not in out:
        raise SolverError(
            f"the immune module returned no {need!r} (patient x time) for condition {condition!r}"
        )
    r = out[need]
    if r.shape[0] != n_patients:
        raise SolverError(f"the immune module returned {r.shape[0]} patients, expected {n_patients}")
    if not np.all(np.isfinite(r)):
        raise SolverError(f"the immune module returned non-finite {need}")
    return out
