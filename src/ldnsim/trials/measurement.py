"""What a trial measures: fluctuating pain, noisy screening, autocorrelated daily diaries, missed
diary days, secondary symptoms, global impression, dropout and missed doses.

All pain values inside are on the 0–10 NRS; :func:`to_scale` converts to the design's diary scale
(0–10 or 0–100, rounded to whole scale points like a real rating). Parameters come from
``ldnsim/data/trials/realism.yaml`` (overridden by ``calibrated.yaml`` and the design's ``realism``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "realism_parameters",
    "ou_process",
    "ar1_noise",
    "Observed",
    "observe",
    "dropout_days",
    "missed_dose_mask",
    "to_scale",
]


def realism_parameters(
    overrides: Mapping[str, float] | None = None, *, use_calibrated: bool = True, variant: str = "full"
) -> dict:
    """Flat dict of the realism parameters (dotted keys, e.g. ``placebo.expectation.double``): the
    defaults of realism.yaml, then the calibrated values of ``variant``, then ``overrides``."""
    from ..data.parameter_set import load_parameter_set, realism_defaults

    flat: dict[str, float]
    if use_calibrated:  # the one parameter set: realism.yaml with the variant's calibrated values
        flat = dict(load_parameter_set(variant).realism)
    else:  # the starting values of realism.yaml only (what ldnsim.trials.calibrate starts from)
        flat = realism_defaults()
    if overrides:
        for k, v in overrides.items():
            if v is not None:
                flat[k] = float(v)
    return flat


def ou_process(rng: np.random.Generator, n: int, n_days: int, sd: float, tau_days: float) -> np.ndarray:
    """Stationary Ornstein–Uhlenbeck samples (n x n_days), daily steps, marginal SD ``sd``."""
    phi = float(np.exp(-1.0 / max(tau_days, 1e-9)))
    return ar1_noise(rng, n, n_days, sd, phi)


def ar1_noise(rng: np.random.Generator, n: int, n_days: int, sd: float, phi: float) -> np.ndarray:
    """Stationary AR(1) noise (n x n_days) with marginal SD ``sd`` and lag-1 correlation ``phi``."""
    eps = rng.normal(0.0, 1.0, (n, n_days))
    out = np.empty((n, n_days))
    if n_days == 0:
        return out
    out[:, 0] = eps[:, 0]
    s = np.sqrt(max(1.0 - phi * phi, 0.0))
    for d in range(1, n_days):
        out[:, d] = phi * out[:, d - 1] + s * eps[:, d]
    return sd * out


@dataclass
class Observed:
    """Measured data of a group of patients (arrays patients x days, 0–10 scale, NaN = missing)."""

    latent: np.ndarray  # what the patient feels (model pain x placebo + fluctuation), no rating noise
    diary: np.ndarray  # daily pain rating
    fatigue: np.ndarray  # secondary symptom ratings (share part of the pain change)
    sleep: np.ndarray
    pgi_noise: np.ndarray  # per-patient noise of the global impression (percentage points)


def observe(
    rng: np.random.Generator,
    model_pain: np.ndarray,
    placebo_frac: np.ndarray,
    fluctuation: np.ndarray,
    baseline_days: tuple[int, int],
    p: Mapping[str, float],
    scale_max: int,
) -> Observed:
    """Turn model pain (patients x days, NRS) into what a diary records."""
    n, n_days = model_pain.shape
    latent = np.clip(model_pain * (1.0 - placebo_frac) + fluctuation, 0.0, 10.0)
    noise = ar1_noise(rng, n, n_days, p["diary.sd_nrs"], p["diary.ar1"])
    diary = to_scale(np.clip(latent + noise, 0.0, 10.0), scale_max) * (10.0 / scale_max)
    missing = rng.random((n, n_days)) > p["diary.completion"]
    diary[missing] = np.nan
    a, b = baseline_days
    base = latent[:, a:b].mean(axis=1, keepdims=True)
    secondary = []
    for _ in range(2):
        level = np.clip(rng.normal(6.0, 1.2, (n, 1)), 1.0, 9.0)
        s = level + p["secondary.loading"] * (latent - base)
        s = s + ar1_noise(rng, n, n_days, p["secondary.sd_nrs"], p["diary.ar1"])
        s = np.round(np.clip(s, 0.0, 10.0))
        s[missing] = np.nan
        secondary.append(s)
    pgi = rng.normal(0.0, p["diary.pgi_sd_pct"], n)
    return Observed(latent=latent, diary=diary, fatigue=secondary[0], sleep=secondary[1], pgi_noise=pgi)


def to_scale(nrs: np.ndarray, scale_max: int) -> np.ndarray:
    """0–10 values to whole points of a 0–10 or 0–100 scale."""
    return np.round(np.asarray(nrs) * (scale_max / 10.0))


def dropout_days(rng: np.random.Generator, n: int, n_days: int, per_week: float) -> np.ndarray:
    """Day on which each patient drops out (``n_days`` = completed), constant weekly hazard."""
    if per_week <= 0:
        return np.full(n, n_days)
    daily = 1.0 - (1.0 - min(per_week, 0.999)) ** (1.0 / 7.0)
    d = rng.geometric(daily, n)  # first failure, 1-based
    return np.minimum(d - 1 + 1, n_days).astype(int)


def missed_dose_mask(rng: np.random.Generator, n_doses: int, adherence: float) -> np.ndarray:
    """Boolean mask of doses missed (True = missed) for one adherence level."""
    return rng.random(n_doses) > adherence
