"""The two comparators of the validation (docs/diary.md), run on the same virtual patients.

``ttest``: Welch t-test of the last 14 rated days against the baseline days (days before LDN); the estimate
is the mean reduction (NRS) with its 90 % confidence interval; decision ``clinically important benefit`` when
the one-sided p < 0.05 and the mean reduction is >= 30 % of the baseline mean, ``no clinically important
benefit`` when the upper 90 % confidence bound of the reduction is < 30 % of the baseline mean.

``ar1``: the Trialist-style model without the onset state — level, trend and a step change on LDN with AR(1)
residuals (lag-1 correlation integrated on a grid), no placebo term, same priors and decision rule as the
full model (:func:`ldnsim.nof1.analysis.fit` with ``fixed_tau`` ≈ 0, ``with_placebo=False``, ``noise="ar1"``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .analysis import DECISION_NO, DECISION_UNDECIDED, DECISION_WORKS, decide, fit

__all__ = ["ttest", "ar1_no_onset"]


def ttest(
    y: np.ndarray, on_ldn: np.ndarray, *, last_days: int = 14, cid_fraction: float = 0.3, level: float = 0.90
) -> dict:
    obs = np.isfinite(y)
    base = y[obs & (on_ldn == 0)]
    on_idx = np.flatnonzero(obs & (on_ldn > 0))
    last = y[on_idx[-last_days:]] if on_idx.size else np.array([])
    if base.size < 3 or last.size < 3:
        return {"estimate": np.nan, "lo": np.nan, "hi": np.nan, "decision": DECISION_UNDECIDED}
    diff = base.mean() - last.mean()
    v1, v2 = base.var(ddof=1) / base.size, last.var(ddof=1) / last.size
    se = np.sqrt(v1 + v2)
    if se == 0:
        se = 1e-9
    df = (v1 + v2) ** 2 / (v1**2 / (base.size - 1) + v2**2 / (last.size - 1) + 1e-300)
    q = stats.t.ppf(0.5 + level / 2, df)
    p_one = stats.t.sf(diff / se, df)
    cid = cid_fraction * base.mean()
    if p_one < 0.05 and diff >= cid:
        dec = DECISION_WORKS
    elif diff + q * se < cid:
        dec = DECISION_NO
    else:
        dec = DECISION_UNDECIDED
    return {"estimate": float(diff), "lo": float(diff - q * se), "hi": float(diff + q * se), "decision": dec}


def ar1_no_onset(y: np.ndarray, on_ldn: np.ndarray, *, priors=None, level: float = 0.90) -> dict:
    f = fit(y, on_ldn, fixed_tau=1e-6, with_placebo=False, noise="ar1", priors=priors)
    d = f.draws(n=2000)
    lo, hi = np.quantile(d["beta"], [(1 - level) / 2, 1 - (1 - level) / 2])
    return {
        "estimate": float(np.median(d["beta"])),
        "lo": float(lo),
        "hi": float(hi),
        "decision": decide(f.p_fraction_at_least(f.priors.cid_fraction)),
    }
