"""The first-order onset/offset response shared by the N-of-1 priors, analysis and samplers (days)."""

from __future__ import annotations

import numpy as np
from scipy import signal

__all__ = ["first_order", "ldn_onset"]


def first_order(target: np.ndarray, tau_on: float, tau_off: float | None = None) -> np.ndarray:
    """Daily first-order response to a 0/1 target: rises with ``tau_on``, decays with ``tau_off`` (days).

    Same update as :func:`ldnsim.trials.placebo.expectation_course` (day d's value includes day d's step).
    """
    target = np.asarray(target, float)
    a_on = 1.0 - np.exp(-1.0 / max(tau_on, 1e-9))
    if tau_off is None or tau_off == tau_on:
        return signal.lfilter([a_on], [1.0, -(1.0 - a_on)], target)
    a_off = 1.0 - np.exp(-1.0 / max(tau_off, 1e-9))
    out = np.empty_like(target)
    level = 0.0
    for d, x in enumerate(target):
        level += (a_on if x > level else a_off) * (x - level)
        out[d] = level
    return out


def ldn_onset(target: np.ndarray, tau_slow: float, fast_fraction: float, tau_fast: float) -> np.ndarray:
    """LDN's two-phase onset/offset state for a 0/1 target (days): a share ``fast_fraction`` follows the
    target with ``tau_fast`` (days), the rest with ``tau_slow`` — the form of the calibrated model's glial
    benefit (:func:`ldnsim.nof1.priors.derive_onset_prior`). ``fast_fraction = 0``: the first-order state."""
    slow = first_order(target, tau_slow)
    if fast_fraction <= 0.0:
        return slow
    return fast_fraction * first_order(target, tau_fast) + (1.0 - fast_fraction) * slow
