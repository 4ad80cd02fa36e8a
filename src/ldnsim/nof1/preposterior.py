"""What more weeks of diary would tell: preposterior simulation of the decision.

For each horizon (weeks), :func:`more_weeks` draws ``n_sim`` "true" patients from the current posterior
(benefit, level, placebo, trend, onset time constant, noise scale), simulates the coming days of the diary
given the days already rated (the noise is drawn conditionally on the patient's own past residuals, so a
current flare carries over), rounds and thins it like a real diary (completion rate), re-runs the analysis
on the longer diary and records the decision. ``p_decided`` is the probability that the decision is no longer
``undecided`` after that many more weeks: "N more weeks would decide it with probability p".
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ..errors import InputError
from .analysis import DECISION_UNDECIDED, Fit, _fit, decide, noise_cov, one_blas_thread

__all__ = ["more_weeks"]


def more_weeks(
    f: Fit,
    weeks=(4, 8, 12),
    *,
    n_sim: int = 20,
    seed: int = 0,
    completion: float = 0.9,
    on_ldn_future: np.ndarray | None = None,
    expect_future: np.ndarray | None = None,
) -> list[dict]:
    """Preposterior decision probabilities per horizon; future schedules default to the last day's."""
    with one_blas_thread():
        return _more_weeks(
            f,
            weeks,
            n_sim=n_sim,
            seed=seed,
            completion=completion,
            on_ldn_future=on_ldn_future,
            expect_future=expect_future,
        )


def _more_weeks(f, weeks, *, n_sim, seed, completion, on_ldn_future, expect_future):
    rng = np.random.default_rng(seed)
    weeks = sorted(int(w) for w in weeks)
    m = 7 * weeks[-1]
    T = f.y.size
    u_f = np.full(m, f.on_ldn[-1]) if on_ldn_future is None else np.asarray(on_ldn_future, float)[:m]
    e_f = np.full(m, f.expect[-1]) if expect_future is None else np.asarray(expect_future, float)[:m]
    u_all = np.concatenate([f.on_ldn, u_f])
    e_all = np.concatenate([f.expect, e_f])
    obs = np.flatnonzero(np.isfinite(f.y))
    fut = np.arange(T, T + m, dtype=float)
    # conditional noise of the future days given the past residuals (scale 1; c multiplies later)
    days_all = np.concatenate([obs.astype(float), fut])
    cov = noise_cov(days_all, f.priors)
    n = obs.size
    Lp = linalg.cholesky(cov[:n, :n], lower=True)
    A = linalg.cho_solve((Lp, True), cov[:n, n:]).T  # (m, n)
    C = cov[n:, n:] - A @ cov[:n, n:]
    Lc = linalg.cholesky(C + 1e-9 * np.eye(m), lower=True)
    # design columns over past + future
    from ._onset import first_order

    s = f.cache["settings"]
    d = f.draws(n=max(n_sim, 1), seed=seed + 1)
    tt_all = (np.arange(T + m) - f.t_mid) / 365.0
    g_all = first_order(e_all, f.priors.placebo_onset_days, f.priors.placebo_offset_days)
    out = {w: [] for w in weeks}
    for i in range(n_sim):
        tau = d["tau"][i]
        fixed = s.get("fixed_tau")
        on = first_order(u_all, tau) if fixed is not None else f.priors.onset(u_all, tau)
        mu = d["level"][i] + d["trend"][i] * tt_all - d["placebo"][i] * g_all - d["beta"][i] * on
        resid = f.y[obs] - mu[obs]
        noise = A @ resid + d["scale"][i] * (Lc @ rng.standard_normal(m))
        yf = np.round(np.clip(mu[T:] + noise, 0.0, 10.0))
        yf[rng.random(m) > completion] = np.nan
        for w in weeks:
            k = 7 * w
            y2 = np.concatenate([f.y, yf[:k]])
            try:
                f2 = _fit(y2, u_all[: T + k], e_all[: T + k], priors=f.priors, **s)
            except InputError:  # a simulated diary the analysis refuses (too few rated days): undecided
                out[w].append(DECISION_UNDECIDED)
                continue
            out[w].append(decide(f2.p_fraction_at_least(f.priors.cid_fraction)))
    res = []
    for w in weeks:
        dec = np.array(out[w])
        res.append(
            {
                "weeks": w,
                "p_decided": float(np.mean(dec != DECISION_UNDECIDED)),
                "p_benefit": float(np.mean(dec == "clinically important benefit")),
                "p_no_benefit": float(np.mean(dec == "no clinically important benefit")),
                "n_sim": n_sim,
            }
        )
    return res
