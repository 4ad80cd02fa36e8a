"""Per-patient endpoints from diary data: % reduction, NRS change, responders, composite responders.

Windows are in trial days (day 0 = first baseline day). A patient's endpoint for a treatment uses the
last phase in which that treatment was given; baseline is the mean of the ``baseline_phase``. Missing
diary days are skipped; an endpoint with no data is NaN and the patient is left out of that analysis.
"""

from __future__ import annotations

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


def _seg_stats(seg: np.ndarray):
    """Per-row count, mean, sum of squares about the mean, and lag-1 product sum/count (NaN-aware)."""
    ok = ~np.isnan(seg)
    n = ok.sum(axis=1)
    mean = np.where(n > 0, np.nansum(seg, axis=1) / np.maximum(n, 1), np.nan)
    x = seg - mean[:, None]
    ss = np.nansum(x * x, axis=1)
    prod = x[:, 1:] * x[:, :-1]
    pok = ~np.isnan(prod)
    return n, mean, ss, np.where(pok, prod, 0.0).sum(axis=1), pok.sum(axis=1)


def within_patient_reduction_p(x: np.ndarray, base: tuple[int, int], end: tuple[int, int]) -> np.ndarray:
    """One-sided p-value per patient that daily ratings in ``end`` are lower than in ``base``.

    Welch-type t-test on the two windows with the sample sizes shrunk to their effective values
    ``n (1 - r) / (1 + r)``, r = the patient's pooled lag-1 autocorrelation (clipped to [0, 0.9]):
    daily diary ratings are autocorrelated, and a naive t-test would call too many patients responders.
    """
    na, ma, ssa, pa, ca = _seg_stats(x[:, base[0] : base[1]])
    nb, mb, ssb, pb, cb = _seg_stats(x[:, end[0] : end[1]])
    valid = (na >= 3) & (nb >= 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        va = ssa / np.maximum(na - 1, 1)
        vb = ssb / np.maximum(nb - 1, 1)
        den = ssa + ssb
        r = np.where((den > 0) & (ca + cb > 0), (pa + pb) / np.maximum(ca + cb, 1) * (na + nb) / den, 0.0)
        r = np.clip(np.nan_to_num(r), 0.0, 0.9)
        f = (1.0 - r) / (1.0 + r)
        ea, eb = np.maximum(na * f, 2.0), np.maximum(nb * f, 2.0)
        se = np.sqrt(va / ea + vb / eb)
        t = (mb - ma) / se
        p = stats.t.cdf(t, np.maximum(ea + eb - 2.0, 1.0))
    flat = valid & (va + vb == 0)
    p = np.where(flat, np.where(mb < ma, 0.0, 1.0), p)
    return np.where(valid, p, np.nan)


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
