"""Statistics of virtual trials: paired/unpaired comparisons, mixed models, dose-finding estimates,
and summaries over replicate trials (distribution of the estimate, power).

Every function returns plain floats (``None`` where a quantity is undefined, never NaN) so results
go straight into the CLI's JSON.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

__all__ = [
    "paired_continuous",
    "unpaired_continuous",
    "paired_binary",
    "unpaired_binary",
    "mixed_model_crossover",
    "logistic_ed",
    "reversal_ed50",
    "replicate_summary",
    "wilson",
    "cohens_d",
    "cohens_dz",
    "dose_for_response",
]


def _f(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _clean(*arrs):
    m = np.ones(len(arrs[0]), bool)
    for a in arrs:
        m &= ~np.isnan(np.asarray(a, float))
    return [np.asarray(a, float)[m] for a in arrs]


def paired_continuous(a, b, alpha: float = 0.05) -> dict:
    """Mean of within-patient differences a − b, t-based CI, paired t-test p."""
    a, b = _clean(a, b)
    d = a - b
    n = d.size
    out = {
        "test": "paired t-test",
        "n": int(n),
        "difference": _f(d.mean()) if n else None,
        "ci95": [None, None],
        "p_value": None,
    }
    if n >= 2:
        se = d.std(ddof=1) / math.sqrt(n)
        t = stats.t.ppf(1 - alpha / 2, n - 1)
        out["ci95"] = [_f(d.mean() - t * se), _f(d.mean() + t * se)]
        if se > 0:
            out["p_value"] = _f(2 * stats.t.sf(abs(d.mean() / se), n - 1))
        else:
            out["p_value"] = 1.0 if d.mean() == 0 else 0.0
    return out


def unpaired_continuous(a, b, alpha: float = 0.05) -> dict:
    """Difference of means a − b, Welch CI and p."""
    a = np.asarray(a, float)[~np.isnan(np.asarray(a, float))]
    b = np.asarray(b, float)[~np.isnan(np.asarray(b, float))]
    out = {
        "test": "Welch t-test",
        "n": [int(a.size), int(b.size)],
        "difference": _f(a.mean() - b.mean()) if a.size and b.size else None,
        "ci95": [None, None],
        "p_value": None,
    }
    if a.size >= 2 and b.size >= 2:
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        se = math.sqrt(va + vb)
        if se > 0:
            df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
            t = stats.t.ppf(1 - alpha / 2, df)
            diff = a.mean() - b.mean()
            out["ci95"] = [_f(diff - t * se), _f(diff + t * se)]
            out["p_value"] = _f(2 * stats.t.sf(abs(diff / se), df))
    return out


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, c - h), min(1.0, c + h))


def paired_binary(a, b) -> dict:
    """Difference of proportions a − b in the same patients; Newcombe (method 10) CI, exact McNemar p."""
    a, b = _clean(a, b)
    n = a.size
    out = {"test": "McNemar exact", "n": int(n), "difference": None, "ci95": [None, None], "p_value": None}
    if n == 0:
        return out
    b10 = int(np.sum((a == 1) & (b == 0)))
    b01 = int(np.sum((a == 0) & (b == 1)))
    b11 = int(np.sum((a == 1) & (b == 1)))
    b00 = n - b10 - b01 - b11
    p1, p2 = (b10 + b11) / n, (b01 + b11) / n
    diff = p1 - p2
    l1, u1 = wilson(b10 + b11, n)
    l2, u2 = wilson(b01 + b11, n)
    # Newcombe 1998 method 10 with the phi correction
    denom = math.sqrt(max((b10 + b11) * (b00 + b01) * (b01 + b11) * (b00 + b10), 0))
    phi = 0.0
    if denom > 0:
        num = b11 * b00 - b10 * b01
        num = max(num - n / 2, 0) if num > 0 else num
        phi = num / denom
    dl = math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0))
    du = math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0))
    out["difference"] = _f(diff)
    out["ci95"] = [_f(max(-1.0, diff - dl)), _f(min(1.0, diff + du))]
    m = b10 + b01
    out["p_value"] = 1.0 if m == 0 else _f(min(1.0, 2 * stats.binom.cdf(min(b10, b01), m, 0.5)))
    return out


def unpaired_binary(a, b) -> dict:
    """Difference of proportions a − b in independent groups; Newcombe hybrid score CI, Fisher exact p."""
    a = np.asarray(a, float)[~np.isnan(np.asarray(a, float))]
    b = np.asarray(b, float)[~np.isnan(np.asarray(b, float))]
    out = {
        "test": "Fisher exact",
        "n": [int(a.size), int(b.size)],
        "difference": None,
        "ci95": [None, None],
        "p_value": None,
    }
    if a.size == 0 or b.size == 0:
        return out
    ka, kb = int(a.sum()), int(b.sum())
    p1, p2 = ka / a.size, kb / b.size
    l1, u1 = wilson(ka, a.size)
    l2, u2 = wilson(kb, b.size)
    d = p1 - p2
    out["difference"] = _f(d)
    out["ci95"] = [
        _f(d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
        _f(d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)),
    ]
    out["p_value"] = _f(stats.fisher_exact([[ka, a.size - ka], [kb, b.size - kb]])[1])
    return out


def mixed_model_crossover(values, patient, treatment, period, sequence, a: str, b: str) -> dict | None:
    """Linear mixed model ``value ~ treatment + period + sequence + (1 | patient)`` (statsmodels
    MixedLM, REML); returns the treatment effect a − b with Wald CI and p, or None if it cannot be fit."""
    import pandas as pd
    import statsmodels.formula.api as smf

    df = pd.DataFrame(
        {"y": values, "patient": patient, "treatment": treatment, "period": period, "sequence": sequence}
    ).dropna()
    df = df[df.treatment.isin([a, b])]
    if df.patient.nunique() < 4 or df.treatment.nunique() < 2:
        return None
    df["trt"] = (df.treatment == a).astype(float)
    terms = ["trt"]
    if df.period.nunique() > 1:
        terms.append("C(period)")
    if df.sequence.nunique() > 1:
        terms.append("C(sequence)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = smf.mixedlm("y ~ " + " + ".join(terms), df, groups=df["patient"]).fit(reml=True)
        est = fit.params["trt"]
        lo, hi = fit.conf_int().loc["trt"]
        p = fit.pvalues["trt"]
    except Exception:  # singular fits etc.: report no mixed model rather than fail
        return None
    if not all(math.isfinite(x) for x in (est, lo, hi, p)):
        return None
    return {
        "model": "MixedLM y ~ treatment + period + sequence + (1|patient)",
        "difference": float(est),
        "ci95": [float(lo), float(hi)],
        "p_value": float(p),
        "n": int(df.patient.nunique()),
    }


def logistic_ed(doses, responses, q: float = 0.5) -> float | None:
    """Dose with response probability ``q`` from a logistic regression of response on dose (mg);
    None when the fit fails or the slope is not positive."""
    import statsmodels.api as sm

    x, y = _clean(doses, responses)
    if x.size < 3 or np.unique(y).size < 2 or np.unique(x).size < 2:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
        b0, b1 = fit.params
    except Exception:
        return None
    if not (math.isfinite(b0) and math.isfinite(b1)) or b1 <= 1e-6:
        return None
    return float((math.log(q / (1 - q)) - b0) / b1)


def reversal_ed50(doses, responses) -> float | None:
    """Up-and-down estimate of ED50: mean dose from the first response reversal on (Dixon-style)."""
    d = np.asarray(doses, float)
    r = np.asarray(responses, float)
    if d.size == 0:
        return None
    first = 0
    for i in range(1, r.size):
        if r[i] != r[i - 1]:
            first = i - 1
            break
    return float(d[first:].mean())


def replicate_summary(estimates, p_values, favourable_sign: int = 1, alpha: float = 0.05) -> dict:
    """Distribution of a contrast over replicate trials: mean, 2.5–97.5% range, power."""
    est = np.array([np.nan if e is None else e for e in estimates], float)
    pv = np.array([np.nan if p is None else p for p in p_values], float)
    ok = ~np.isnan(est)
    out = {
        "n": int(est.size),
        "difference_mean": None,
        "difference_sd": None,
        "difference_ci95": [None, None],
        "power": None,
    }
    if ok.any():
        e = est[ok]
        out["difference_mean"] = _f(e.mean())
        out["difference_sd"] = _f(e.std(ddof=1)) if e.size > 1 else 0.0
        out["difference_ci95"] = [_f(np.percentile(e, 2.5)), _f(np.percentile(e, 97.5))]
        sig = (np.nan_to_num(pv, nan=1.0) < alpha) & (np.sign(np.nan_to_num(est)) == favourable_sign)
        out["power"] = _f(sig.mean())
    return out


def _z_ci(est: float, se: float, z: float = 1.959964) -> list[float | None]:
    return [_f(est - z * se), _f(est + z * se)]


def cohens_d(a, b) -> dict:
    """Standardised difference of two independent groups: (mean a − mean b) / pooled SD (Cohen's d),
    95% CI from the large-sample SE sqrt((na + nb)/(na nb) + d²/(2 (na + nb))) (Hedges & Olkin 1985),
    p from Student's t-test."""
    a = np.asarray(a, float)[~np.isnan(np.asarray(a, float))]
    b = np.asarray(b, float)[~np.isnan(np.asarray(b, float))]
    out = {"test": "Cohen's d (pooled SD)", "n": [int(a.size), int(b.size)], "difference": None,
           "ci95": [None, None], "p_value": None}
    if a.size < 2 or b.size < 2:
        return out
    sp = math.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2))
    if sp <= 0:
        return out
    d = (a.mean() - b.mean()) / sp
    se = math.sqrt((a.size + b.size) / (a.size * b.size) + d * d / (2 * (a.size + b.size)))
    out.update(difference=_f(d), ci95=_z_ci(d, se), p_value=_f(stats.ttest_ind(a, b).pvalue))
    return out


def cohens_dz(a, b) -> dict:
    """Standardised within-patient difference: mean(a − b) / SD(a − b) (Cohen's d_z), 95% CI from the
    large-sample SE sqrt(1/n + d_z²/(2n)), p from the paired t-test."""
    a, b = _clean(a, b)
    d = a - b
    out = {"test": "Cohen's d_z (paired)", "n": int(d.size), "difference": None, "ci95": [None, None],
           "p_value": None}
    if d.size < 2 or d.std(ddof=1) <= 0:
        return out
    dz = d.mean() / d.std(ddof=1)
    se = math.sqrt(1.0 / d.size + dz * dz / (2 * d.size))
    out.update(difference=_f(dz), ci95=_z_ci(dz, se), p_value=_f(stats.ttest_1samp(d, 0.0).pvalue))
    return out


def dose_for_response(
    doses, responses, q: float, dose_range: tuple[float, float], alpha: float = 0.05
) -> dict:
    """Dose (mg) with response probability ``q`` from a logistic regression, only where the data
    identify it: the slope must be positive with one-sided Wald p < ``alpha`` and the dose must lie within
    the tested ``dose_range``. Otherwise ``{"value": None, "identifiable": False, "reason": …}`` — never a
    negative or extrapolated dose from a flat dose–response."""
    import statsmodels.api as sm

    x, y = _clean(doses, responses)
    none = {"value": None, "identifiable": False}
    if x.size < 3 or np.unique(y).size < 2 or np.unique(x).size < 2:
        return {**none, "reason": "too few doses or responses to fit a dose-response"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
        b0, b1 = (float(v) for v in fit.params)
        se1 = float(fit.bse[1])
    except Exception:
        return {**none, "reason": "the logistic fit failed"}
    if not (math.isfinite(b0) and math.isfinite(b1) and math.isfinite(se1)) or se1 <= 0:
        return {**none, "reason": "the logistic fit failed"}
    p_slope = float(stats.norm.sf(b1 / se1))
    if b1 <= 0 or p_slope >= alpha:
        return {**none, "reason": f"not identifiable: the dose-response is flat (slope {b1:.3g} per mg, "
                                  f"one-sided p = {p_slope:.2g})"}
    ed = (math.log(q / (1 - q)) - b0) / b1
    lo, hi = dose_range
    if not lo <= ed <= hi:
        return {**none, "reason": f"not identifiable: the fitted dose ({ed:.3g} mg) lies outside the tested "
                                  f"doses {lo:g}-{hi:g} mg"}
    return {"value": float(ed), "identifiable": True, "reason": None}
