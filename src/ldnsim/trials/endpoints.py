"""Per-patient endpoints from diary data: % reduction, NRS change, responders, composite responders.

Windows are in trial days (day 0 = first baseline day). A patient's endpoint for a treatment uses the
last phase in which that treatment was given; baseline is the mean of the ``baseline_phase``. Missing
diary days are skipped; an endpoint with no data is NaN and the patient is left out of that analysis.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from .design import Endpoint
from .measurement import Observed

__all__ = ["window_mean", "endpoint_values", "within_patient_reduction_p"]


def window_mean(x: np.ndarray, a: int, b: int) -> np.ndarray:
    """Mean over days [a, b) per patient, ignoring missing days (NaN when all missing)."""
    seg = x[:, a:b]
    cnt = np.sum(~np.isnan(seg), axis=1)
    s = np.nansum(seg, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)


def within_patient_reduction_p(x: np.ndarray, base: tuple[int, int], end: tuple[int, int]) -> np.ndarray:
    """One-sided Welch t-test p-value per patient that the ``end`` window is lower than ``base``."""
    out = np.full(x.shape[0], np.nan)
    for i in range(x.shape[0]):
        a = x[i, base[0] : base[1]]
        b = x[i, end[0] : end[1]]
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if a.size < 2 or b.size < 2:
            continue
        if np.ptp(a) == 0 and np.ptp(b) == 0:
            out[i] = 0.0 if b.mean() < a.mean() else 1.0
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ttest_ind(b, a, equal_var=False, alternative="less")
        out[i] = float(res.pvalue) if np.isfinite(res.pvalue) else 1.0
    return out


def endpoint_values(ep: Endpoint, obs: Observed, base: tuple[int, int], phase: tuple[int, int]) -> np.ndarray:
    """Endpoint value per patient for one treatment phase [start, end) (days) and baseline window."""
    b0 = window_mean(obs.diary, *base)
    a_end = max(phase[0], phase[1] - ep.last_days)
    e = window_mean(obs.diary, a_end, phase[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * (b0 - e) / b0
    pct = np.where(b0 > 0, pct, np.nan)
    if ep.kind == "pct_reduction":
        return pct
    if ep.kind == "change":
        return e - b0
    if ep.kind == "responder":
        ok = pct >= ep.threshold_pct
        if ep.min_nrs_drop is not None:
            ok &= (b0 - e) >= ep.min_nrs_drop
        if ep.or_global_impression_pct is not None:
            lb = obs.latent[:, base[0] : base[1]].mean(axis=1)
            le = obs.latent[:, a_end : phase[1]].mean(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                perceived = 100.0 * (lb - le) / np.where(lb > 0, lb, np.nan) + obs.pgi_noise
            ok |= np.nan_to_num(perceived, nan=-np.inf) >= ep.or_global_impression_pct
        return np.where(np.isnan(pct), np.nan, ok.astype(float))
    # composite_responder
    w_end = (max(phase[0], phase[1] - ep.window_days), phase[1])
    p_pain = within_patient_reduction_p(obs.diary, base, w_end)
    ok = p_pain < ep.alpha
    if ep.secondary is not None:
        p_f = within_patient_reduction_p(obs.fatigue, base, w_end) < ep.alpha
        p_s = within_patient_reduction_p(obs.sleep, base, w_end) < ep.alpha
        ok &= (p_f | p_s) if ep.secondary == "any" else (p_f & p_s)
    return np.where(np.isnan(p_pain), np.nan, ok.astype(float))
