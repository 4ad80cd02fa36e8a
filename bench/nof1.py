"""Benchmark of the N-of-1 analysis (issue 13: one patient-year of daily entries in < 2 s on 2 cores).

Run: ``python bench/nof1.py [--repeats 5]``. Prints one JSON document (medians, seconds):

* ``analysis_s``: :func:`ldnsim.nof1.fit` + :func:`summarise` of 365 days (10 % missing) — the posterior,
  probabilities, decision;
* ``more_weeks_s``: the preposterior "N more weeks" (4, 8, 12 weeks; 20 simulated futures each: 60 refits);
* ``total_s``: both — what ``ldnsim nof1 analyse`` computes for an undecided patient;
* ``reference_s``: a maximum-likelihood regression with AR(1) errors of the same series (statsmodels
  SARIMAX, level + step on LDN), the classical single-model fit, in the same run; ratios to it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from ldnsim.nof1 import fit, more_weeks, summarise
from ldnsim.nof1.analysis import first_order


def _series(seed: int = 0, days: int = 365):
    rng = np.random.default_rng(seed)
    on = (np.arange(days) >= 14).astype(float)
    y = 6.5 - 1.5 * first_order(on, 35) - 1.0 * first_order(on, 29, 10) + rng.normal(0, 1.0, days)
    y = np.round(np.clip(y, 0, 10))
    y[rng.random(days) < 0.1] = np.nan
    return y, on


def _time(fn, repeats):
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    y, on = _series()
    f = fit(y, on)  # warm-up (imports, priors file)
    summarise(f)
    analysis = _time(lambda: summarise(fit(y, on)), a.repeats)
    mw = _time(lambda: more_weeks(f, (4, 8, 12), n_sim=20), a.repeats)

    def reference():
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        SARIMAX(y, exog=on, order=(1, 0, 0), trend="c", missing="drop").fit(disp=False)

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _time(reference, a.repeats)
    doc = {
        "days": int(y.size),
        "rated_days": int(np.isfinite(y).sum()),
        "analysis_s": analysis,
        "more_weeks_s": mw,
        "total_s": analysis + mw,
        "reference_s": ref,
        "ratio_analysis_to_reference": analysis / ref,
        "ratio_total_to_reference": (analysis + mw) / ref,
        "target_total_s": 2.0,
    }
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
