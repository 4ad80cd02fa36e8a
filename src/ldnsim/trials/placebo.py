"""Placebo (expectation) response: its size depends on blinding and design, its time course on the phases.

Model: a patient's expectation fraction ``pi_i(d) = E_blinding * r_i * g(d)`` multiplies the model pain
by ``(1 - pi_i(d))``. ``E_blinding`` is the mean expectation effect for the design's blinding (double,
single, open; calibrated for double and single), ``r_i`` the patient's placebo responsiveness
(population trait, mean 1), and ``g(d)`` in [0, 1] rises towards 1 with time constant ``onset_days``
during treated phases and decays with ``offset_days`` during untreated ones (baseline, washout,
follow-up). In blinded designs drug and placebo phases carry the same expectation (patients cannot
tell them apart); in open-label designs only an active treatment does. Regression to the mean is not
part of this: it arises in :mod:`ldnsim.trials.measurement` from screening on noisy, fluctuating pain.
"""

from __future__ import annotations

import numpy as np

__all__ = ["expectation_course", "placebo_fraction"]


def expectation_course(
    phase_days: list[tuple[int, int]],
    treated: list[bool],
    onset_days: float,
    offset_days: float,
) -> np.ndarray:
    """Unit expectation time course g(d), one value per trial day (day 0 = first baseline day).

    phase_days: (start_day, end_day) of each phase, end exclusive, contiguous.
    treated: for each phase, whether it carries an expectation (a blinded or active treatment).
    """
    n_days = phase_days[-1][1] if phase_days else 0
    target = np.zeros(n_days)
    for (a, b), on in zip(phase_days, treated, strict=True):
        if on:
            target[a:b] = 1.0
    g = np.zeros(n_days)
    a_on = 1.0 - np.exp(-1.0 / max(onset_days, 1e-9))
    a_off = 1.0 - np.exp(-1.0 / max(offset_days, 1e-9))
    level = 0.0
    for d in range(n_days):
        alpha = a_on if target[d] > level else a_off
        level = level + alpha * (target[d] - level)
        g[d] = level
    return g


def placebo_fraction(course: np.ndarray, expectation: float, responsiveness: np.ndarray) -> np.ndarray:
    """Per-patient placebo fraction (patients x days), clipped to [0, 0.9]."""
    return np.clip(np.outer(np.asarray(responsiveness, float) * float(expectation), course), 0.0, 0.9)
