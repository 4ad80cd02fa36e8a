"""Placebo (expectation) response: its size depends on blinding and design, its time course on the phases.

Model: a patient's expectation fraction ``pi_i(d) = E_blinding * r_i * g(d)`` multiplies the model pain
by ``(1 - pi_i(d))``. ``E_blinding`` is the mean expectation effect for the design's blinding (double,
single, open; calibrated for double and single), ``r_i`` the patient's placebo responsiveness
(population trait, mean 1), and ``g(d)`` in [0, 1] rises towards 1 with time constant ``onset_days``
during treated phases and decays with ``offset_days`` during untreated ones (baseline, washout,
follow-up). In blinded designs drug and placebo phases carry the same expectation (patients cannot
tell them apart); in open-label designs only an active treatment does. Regression to the mean is not
part of this: it arises in :mod:`ldnsim.trials.measurement` from screening on noisy, fluctuating pain.

Design features (:func:`design_expectation`): ``E_blinding`` is the value for a REFERENCE design (daily
diary, 12 weeks long); a trial's own value is ``cap * sigmoid(logit(E_blinding / cap) + b_len * ln(weeks /
12) + b_recall * recall)`` with ``weeks`` its longest sequence, ``recall`` 1 for a recall rating (e.g. 7-day
recall NRS) and 0 for a daily diary. ``b_len`` and ``b_recall`` (``placebo.design.*`` in realism.yaml) and
the blinding values are estimated by the Bayesian calibration (:mod:`ldnsim.calibration`); with both
coefficients 0 a trial's expectation is exactly ``E_blinding``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["expectation_course", "placebo_fraction", "design_expectation", "REFERENCE_WEEKS"]

#: the reference design of the expectation values: a 12-week trial with a daily diary
REFERENCE_WEEKS = 12.0


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


def design_expectation(
    e_ref: float, *, weeks: float, recall: bool, cap: float, length_logit: float, recall_logit: float
) -> float:
    """Mean expectation fraction of a design from its reference value ``e_ref`` (daily diary, 12 weeks).

    weeks: trial length (weeks, > 0); recall: True for a recall rating, False for a daily diary;
    cap: the largest mean expectation fraction (the logistic's ceiling, 0 < cap <= 0.9);
    length_logit: change of the logit per unit ln(weeks / 12); recall_logit: logit shift of a recall rating.
    """
    if not 0.0 < cap <= 0.9:
        raise ValueError(f"placebo.expectation_cap must be in (0, 0.9], got {cap}")
    if length_logit == 0.0 and recall_logit == 0.0:
        return float(e_ref)
    q = min(max(float(e_ref) / cap, 1e-9), 1.0 - 1e-9)
    z = np.log(q / (1.0 - q)) + length_logit * np.log(max(weeks, 1e-9) / REFERENCE_WEEKS)
    z += recall_logit * (1.0 if recall else 0.0)
    return float(cap / (1.0 + np.exp(-z)))
