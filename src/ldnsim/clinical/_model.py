"""Model side of the hold and restart planners: a seeded virtual population through PK and receptors.

Uses the public contracts ``ldnsim.pk.simulate_pk`` (→ ``effect_nM`` patient × time × analyte),
``ldnsim.pk.Covariates``, ``ldnsim.pk.sample_eta`` and ``ldnsim.receptors.occupancy`` (→ fractions per
receptor site). If the drug has no PK file the planner reports the model as unavailable and falls
back to the published rule — never to a shorter number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["ModelUnavailable", "population_occupancy", "time_below", "SITE_KEYS"]

#: the planners' site → the ``occupancy()`` key read: the μ *agonist* site is the unweighted agonist occupancy
SITE_KEYS = {"mu_antagonist": "mu_antagonist", "mu_agonist": "mu_agonist_occupancy"}


class ModelUnavailable(Exception):
    """The model cannot be run for this input (no PK file for a drug, no dose); the reason is the message."""


def population_occupancy(
    events: Sequence[Any],
    times_h: np.ndarray,
    site: str,
    *,
    drugs: Sequence[str],
    covariates: dict,
    n: int,
    seed: int,
    variant: str = "full",
) -> np.ndarray:
    """Occupancy (patient × time) at ``site`` ("mu_antagonist" or "mu_agonist") for a seeded population;
    ``variant``'s occupancy variant (``"full/parent-transient"``, data/occupancy.yaml) sets naltrexone's
    effect-site values (the drug file's, i.e. the default, when none is named)."""
    from ..pk import (  # lazy: clinical commands start fast
        Covariates,
        load_drug,
        sample_eta,
        simulate_pk_arrays,
        with_occupancy,
    )
    from ..receptors import occupancy
    from ..units import check_seed

    rng = np.random.default_rng(check_seed(seed))
    eta: dict[str, np.ndarray] = {}
    for d in drugs:
        try:
            spec = load_drug(d)
        except Exception as exc:  # unknown drug file
            raise ModelUnavailable(f"no PK file for {d!r} ({exc})") from exc
        for k, v in sample_eta(spec, n, rng).items():
            eta[f"{d}/{k}"] = v
    cov = Covariates(**{k: v for k, v in covariates.items() if v is not None})
    eta = with_occupancy(eta, variant, list(drugs)) or {}
    res = simulate_pk_arrays(list(events), np.asarray(times_h, dtype=float), covariates=cov, eta=eta,
                             variables=("effect_nM",))
    eff = res.effect_nM
    assert eff is not None
    conc = {a: np.asarray(eff[:, :, i], dtype=float) for i, a in enumerate(res.analytes)}
    occ = occupancy(conc)
    arr = np.asarray(occ[SITE_KEYS[site]], dtype=float)
    arr = np.broadcast_to(arr, (n, len(times_h))) if arr.ndim == 1 else arr
    if not np.all(np.isfinite(arr)):
        raise ModelUnavailable("occupancy contained non-finite values")
    return arr


def time_below(times_h: np.ndarray, curve: np.ndarray, threshold: float, t0: float) -> float | None:
    """First time after ``t0`` from which ``curve`` stays below ``threshold`` (h after t0); None: never."""
    t = np.asarray(times_h, dtype=float)
    c = np.asarray(curve, dtype=float)
    mask = t >= t0
    t, c = t[mask], c[mask]
    above = np.nonzero(c >= threshold)[0]
    if above.size == 0:
        return 0.0
    last = above[-1]
    if last + 1 >= t.size:
        return None
    # linear interpolation of the crossing between the last sample above and the next one
    t1, t2, c1, c2 = t[last], t[last + 1], c[last], c[last + 1]
    frac = (c1 - threshold) / (c1 - c2) if c1 != c2 else 1.0
    return float(t1 + frac * (t2 - t1) - t0)
