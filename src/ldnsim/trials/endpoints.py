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


def _lag1(seg: np.ndarray) -> tuple[float, int]:
    """Sum of lag-1 products and count over consecutive non-missing days (demeaned segment)."""
    x = seg - np.nanmean(seg)
    prod = x[1:] * x[:-1]
    ok = ~np.isnan(prod)
    return float(np.sum(prod[ok])), int(ok.sum())


def within_patient_reduction_p(x: np.ndarray, base: tuple[int, int], end: tuple[int, int]) -> np.ndarray:
    """One-sided p-value per patient that daily ratings in ``end`` are lower than in ``base``.

    Welch-type t-test on the two windows with the sample sizes shrunk to their effective values
    ``n (1 - r) / (1 + r)``, r = the patient's pooled lag-1 autocorrelation (clipped to [0, 0.9]):
    daily diary ratings are autocorrelated, and a naive t-test would call too many patients responders.
    """
    out = np.full(x.shape[0], np.nan)
    for i in range(x.shape[0]):
        sa = x[i, base[0] : base[1]]
        sb = x[i, end[0] : end[1]]
        a, b = sa[~np.isnan(sa)], sb[~np.isnan(sb)]
        if a.size < 3 or b.size < 3:
            continue
        va, vb = a.var(ddof=1), b.var(ddof=1)
        if va + vb == 0:
            out[i] = 0.0 if b.mean() < a.mean() else 1.0
            continue
        pa, ca = _lag1(sa)
        pb, cb = _lag1(sb)
        den = float(np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2))
        r = 0.0 if den == 0 or ca + cb == 0 else (pa + pb) / (ca + cb) * (a.size + b.size) / den
        r = min(max(r, 0.0), 0.9)
        f = (1.0 - r) / (1.0 + r)
        na, nb = max(a.size * f, 2.0), max(b.size * f, 2.0)
        se = np.sqrt(va / na + vb / nb)
        t = (b.mean() - a.mean()) / se
        df = max(na + nb - 2.0, 1.0)
        out[i] = float(stats.t.cdf(t, df))
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
