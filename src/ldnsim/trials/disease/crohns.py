"""Crohn's disease activity: mucosal inflammation → CDAI, PCDAI and CDEIS (pure functions).

Inputs are arrays patients × days of mucosal inflammation ``m`` from the immune module (relative:
untreated disease = 1, healed mucosa = 0). Each patient has a true baseline CDAI ``B``, CDEIS ``E`` and
PCDAI ``P``, a spontaneous-improvement share ``nu`` (natural course), an elasticity ``gamma`` (how closely
symptoms follow the mucosa) and a placebo responsiveness ``r``. With ``N(d) = 1 − nu (1 − exp(−d/tau))``:

    activity(d) = m(d) ** gamma · N(d)
    CDAI(d)     = floor + (B − floor) · activity(d) · (1 − pi(d))       (+ measurement noise per visit)
    CDEIS(d)    = E · activity(d)                                        (endoscopy: no expectation effect)
    PCDAI(d)    = pfloor + (P − pfloor) · activity(d) · (1 − pi(d))

``pi(d)`` is the expectation fraction of :mod:`ldnsim.trials.placebo`. Parameters: ``disease/crohns.yaml``.
Units: CDAI, PCDAI and CDEIS points; days from the entry visit (day 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["CrohnsTraits", "draw_traits", "activity", "cdai", "cdeis", "pcdai", "measure", "entry_visit"]


@dataclass(frozen=True)
class CrohnsTraits:
    """Per-patient traits (arrays of length n): true baselines, natural course, elasticity, placebo."""

    cdai0: np.ndarray
    cdeis0: np.ndarray
    pcdai0: np.ndarray
    nu: np.ndarray
    gamma: np.ndarray
    responsiveness: np.ndarray

    def take(self, rows: np.ndarray) -> CrohnsTraits:
        return CrohnsTraits(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list[CrohnsTraits]) -> CrohnsTraits:
        return CrohnsTraits(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in CrohnsTraits.__dataclass_fields__)
        )


def _lognormal_mean1(rng: np.random.Generator, n: int, cv: float) -> np.ndarray:
    s = np.sqrt(np.log1p(cv * cv))
    return np.exp(rng.normal(-0.5 * s * s, s, n))


def draw_traits(rng: np.random.Generator, n: int, p: Mapping[str, float]) -> CrohnsTraits:
    """Draw ``n`` candidates' traits (before screening)."""
    cdai0 = np.clip(
        rng.normal(p["cdai.baseline_mean"], p["cdai.baseline_sd"], n), p["cdai.floor"] + 1.0, 600.0
    )
    cdeis0 = np.clip(
        rng.normal(p["cdeis.baseline_mean"], p["cdeis.baseline_sd"], n), p["cdeis.minimum"], 44.0
    )
    pcdai0 = np.clip(
        rng.normal(p["pcdai.baseline_mean"], p["pcdai.baseline_sd"], n), p["pcdai.floor"] + 1.0, 100.0
    )
    mean, conc = p["natural_course.improvement_mean"], p["natural_course.improvement_concentration"]
    mean = min(max(mean, 1e-6), 1 - 1e-6)
    nu = rng.beta(mean * conc, (1.0 - mean) * conc, n)
    gamma = p["inflammation.elasticity"] * _lognormal_mean1(rng, n, p["inflammation.elasticity_cv"])
    resp = _lognormal_mean1(rng, n, p["placebo.responsiveness_cv"])
    return CrohnsTraits(cdai0, cdeis0, pcdai0, nu, gamma, resp)


def activity(inflammation: np.ndarray, tr: CrohnsTraits, p: Mapping[str, float]) -> np.ndarray:
    """Relative disease activity (patients × days; 1 = the patient's baseline)."""
    m = np.clip(np.asarray(inflammation, float), 0.0, None)
    d = np.arange(m.shape[1], dtype=float)
    nat = 1.0 - tr.nu[:, None] * (1.0 - np.exp(-d[None, :] / p["natural_course.tau_days"]))
    return m ** tr.gamma[:, None] * nat


def cdai(act: np.ndarray, placebo_frac: np.ndarray, tr: CrohnsTraits, p: Mapping[str, float]) -> np.ndarray:
    """True CDAI (points) without measurement noise."""
    f = p["cdai.floor"]
    return f + (tr.cdai0[:, None] - f) * act * (1.0 - placebo_frac)


def pcdai(act: np.ndarray, placebo_frac: np.ndarray, tr: CrohnsTraits, p: Mapping[str, float]) -> np.ndarray:
    """True PCDAI (points) without measurement noise."""
    f = p["pcdai.floor"]
    return f + (tr.pcdai0[:, None] - f) * act * (1.0 - placebo_frac)


def cdeis(act: np.ndarray, tr: CrohnsTraits) -> np.ndarray:
    """True CDEIS (points): the mucosa, no expectation effect."""
    return tr.cdeis0[:, None] * act


def measure(rng: np.random.Generator, true: np.ndarray, sd: float, lo: float, hi: float) -> np.ndarray:
    """One noisy visit reading of each value, within the scale's range."""
    return np.clip(true + rng.normal(0.0, sd, np.shape(true)), lo, hi)


def entry_visit(rng: np.random.Generator, tr: CrohnsTraits, p: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The entry (day 0) visit: measured CDAI, PCDAI and CDEIS. Inclusion is decided on these readings and
    they are the baseline of the change endpoints (regression to the mean follows from that)."""
    return {
        "cdai": measure(rng, tr.cdai0, p["cdai.measurement_sd"], 0.0, 600.0),
        "pcdai": measure(rng, tr.pcdai0, p["pcdai.measurement_sd"], 0.0, 100.0),
        "cdeis": measure(rng, tr.cdeis0, p["cdeis.measurement_sd"], 0.0, 44.0),
    }
