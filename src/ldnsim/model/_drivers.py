"""Effect-site concentrations → the system's drivers: the receptor layer's occupancies and the
high-affinity (pM) antagonist site of the ultra-low-dose regime, over ``xp``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..receptors import occupancy_xp, receptor_constants
from ..system import DRIVER_NAMES

__all__ = ["ULD_ANALYTES", "uld_site", "driver_values", "baseline_drivers"]

#: analytes that occupy the high-affinity (pM) antagonist site of the ultra-low-dose regime
ULD_ANALYTES = ("naltrexone", "naloxone")


def uld_site(effect_nM: Mapping[str, Any], K_uld_pM: Any, xp: Any) -> Any:
    """Occupancy of the high-affinity antagonist site: ``c / (c + K_uld)``, ``c`` the summed effect-site
    concentration (nM) of :data:`ULD_ANALYTES` present, ``K_uld_pM`` (pM; system parameter) → nM.
    0.0 where no such analyte is present."""
    c = None
    for a in ULD_ANALYTES:
        if a in effect_nM:
            c = effect_nM[a] if c is None else c + effect_nM[a]
    if c is None:
        c = 0.0
    return c / (c + K_uld_pM * 1e-3)


def driver_values(effect_nM: Mapping[str, Any], consts: Mapping[str, Any], K_uld_pM: Any, xp: Any,
                  endogenous: Any = 1.0) -> dict[str, Any]:
    """Every driver of :data:`ldnsim.system.DRIVER_NAMES` from effect-site concentrations (nM, ≥ 0):
    :func:`ldnsim.receptors.occupancy_xp` with ``consts`` (:func:`ldnsim.receptors.receptor_constants`) and
    :func:`uld_site`. Values have the concentrations' shape, or are the scalar 0.0 where no analyte acts
    (callers broadcast)."""
    occ = occupancy_xp(effect_nM, consts, xp, endogenous=endogenous)
    out = {k: occ.get(k, 0.0) for k in DRIVER_NAMES if k != "uld_site"}
    out["uld_site"] = uld_site(effect_nM, K_uld_pM, xp)
    return out


def baseline_drivers(n: int) -> dict[str, Any]:
    """The drug-free drivers of ``n`` patients (each ``(n,)``): resting endogenous tone at μ, all else 0."""
    import numpy as np

    base = occupancy_xp({}, receptor_constants([]), np)
    return {k: np.broadcast_to(np.asarray(base.get(k, 0.0), dtype=float), (n,)) for k in DRIVER_NAMES}
