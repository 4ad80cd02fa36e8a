"""A plan's decision characteristics, from virtual patients of the calibrated model (and the validation).

:func:`operating_characteristics` generates ``n`` virtual patients for the plan (:mod:`ldnsim.nof1.virtual`),
analyses each diary at the given analysis days, and reports per analysis time: coverage of the true benefit
by the 90 % credible interval, sensitivity (responders — true benefit >= 30 % of their untreated level —
called ``clinically important benefit``), specificity (non-responders not called so), the share left
``undecided``, and, with ``comparators=True``, the same for the t-test and the AR(1) model without onset
(:mod:`ldnsim.nof1.comparators`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from .analysis import DECISION_NO, DECISION_UNDECIDED, DECISION_WORKS, fit, one_blas_thread, summarise
from .comparators import ar1_no_onset, ttest
from .virtual import model_shapes, virtual_diaries

__all__ = ["operating_characteristics", "rates"]


def rates(decisions: list[str], responder: np.ndarray) -> dict:
    dec = np.asarray(decisions)
    r = np.asarray(responder, bool)
    pos = dec == DECISION_WORKS

    def frac(mask):
        return float(mask.mean()) if mask.size else float("nan")

    return {
        "sensitivity": frac(pos[r]),
        "specificity": frac(~pos[~r]),
        "undecided": frac(dec == DECISION_UNDECIDED),
        "correct_no": frac(dec[~r] == DECISION_NO),
        "false_no": frac(dec[r] == DECISION_NO),
        "n_responders": int(r.sum()),
        "n_nonresponders": int((~r).sum()),
    }


def operating_characteristics(
    on_ldn: np.ndarray,
    expect: np.ndarray,
    *,
    analysis_days: list[int],
    n: int = 100,
    n_shapes: int = 60,
    blinded: bool = False,
    seed: int = 0,
    comparators: bool = False,
    dropout_per_week: float = 0.02,
    shapes=None,
) -> dict:
    """See the module docstring. ``analysis_days``: diary lengths (days from the start) to analyse at."""
    T = max(analysis_days)
    if T > len(on_ldn):
        raise InputError("analysis_days", "beyond the plan's end", value=T)
    sh = shapes if shapes is not None else model_shapes(on_ldn[:T], n_shapes, seed=seed)
    v = virtual_diaries(
        n, on_ldn[:T], expect[:T], sh, blinded=blinded, seed=seed + 1, dropout_per_week=dropout_per_week
    )
    out: dict[str, Any] = {"n": n, "n_responders": int(v.responder.sum()), "by_day": []}
    methods = ["model"] + (["ttest", "ar1"] if comparators else [])
    with one_blas_thread():
        for day in analysis_days:
            res: dict[str, dict[str, list[Any]]] = {
                m: {"decisions": [], "cover": [], "width": [], "est": []} for m in methods
            }
            kept = []
            for i in range(n):
                y, u, e = v.y[i, :day], on_ldn[:day], expect[:day]
                try:
                    s = summarise(fit(y, u, e, blinded=blinded))
                except InputError:
                    continue  # too few rated days (early dropout): not analysable
                kept.append(i)
                b = s["benefit_nrs"]
                _acc(res["model"], s["decision"], b["lo"], b["hi"], b["median"], v.beta[i])
                if comparators:
                    t = ttest(y, u)
                    _acc(res["ttest"], t["decision"], t["lo"], t["hi"], t["estimate"], v.beta[i])
                    a = ar1_no_onset(y, u)
                    _acc(res["ar1"], a["decision"], a["lo"], a["hi"], a["estimate"], v.beta[i])
            k = np.array(kept, int)
            row: dict[str, Any] = {"day": day, "weeks": day / 7, "analysed": int(k.size)}
            for m in methods:
                r = res[m]
                cover = np.array(r["cover"], float)
                row[m] = {
                    **rates(r["decisions"], v.responder[k]),
                    "coverage90": float(np.nanmean(cover)) if cover.size else float("nan"),
                    "ci_width": float(np.nanmedian(r["width"])) if r["width"] else float("nan"),
                    "rmse": float(np.sqrt(np.nanmean((np.array(r["est"]) - v.beta[k]) ** 2))),
                }
            out["by_day"].append(row)
    out["truth"] = {"beta": v.beta, "level": v.level, "responder": v.responder}
    return out


def _acc(r, decision, lo, hi, est, truth):
    r["decisions"].append(decision)
    ok = np.isfinite(lo) and np.isfinite(hi)
    r["cover"].append(float(lo <= truth <= hi) if ok else np.nan)
    r["width"].append(hi - lo if ok else np.nan)
    r["est"].append(est)
