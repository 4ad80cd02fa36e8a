"""The fast deterministic Bayesian N-of-1 analysis of a daily pain series.

Model (day ``t`` = 0, 1, … from the first diary day; pain on the 0–10 NRS)::

    y_t = a + b * (t - t_mid) / 365 - pi * g_t - beta * s_t(tau) + e_t
    s_t = w * f_t(tau_fast) + (1 - w) * f_t(tau)              (two-phase onset/offset state of LDN)
    f_t(x) = f_{t-1} + (1 - exp(-1/x)) * (u_t - f_{t-1})      (first order, u_t = 1 on LDN)
    g_t = expectation course (onset/offset days of the trial layer), driven by "on a treatment the patient
          may believe is active": on LDN in open-label use, every treatment block in a blinded design
    e_t = diary AR(1) (SD diary_sd, lag-1 diary_ar1) + slow fluctuation (OU, SD fluct_sd, tau_f) + rounding,
          all times a patient-specific noise scale c

``beta`` (NRS points, positive = less pain) is the steady-state benefit of LDN beyond placebo; ``a`` the
untreated level; ``pi`` the placebo (expectation) effect in NRS points. Missing days are simply absent: the
noise covariance is built on the observed days, so gaps of any length are handled exactly.

The onset form, the fast share ``w`` and ``tau_fast`` (fixed) and the prior of the slow ``tau`` come from the
calibrated model's glial benefit curves (:func:`ldnsim.nof1.priors.derive_onset_prior`).

Computation: ``tau`` (16 equal-mass nodes of its log-normal prior, from the calibrated model) and ``c``
(9 nodes, log-normal prior) are on a grid; given them the model is linear-Gaussian in
``theta = (a, b, pi, beta)`` with a Gaussian prior, so ``theta`` is integrated analytically (one Cholesky of
the noise covariance per series, one Gram matrix for all grid nodes). The posterior is a mixture of
16 x 9 Gaussians: probabilities of linear functions of ``theta`` are exact; quantiles of nonlinear ones
(percent benefit) use 4000 draws. :func:`fit` returns a :class:`Fit`; :func:`summarise` the decision.

Decision rule (pre-stated; thresholds in ``data/nof1/priors.yaml``, IMMPACT, Dworkin 2008):
``clinically important benefit`` if P(beta >= 30 % of a) >= 0.8; ``no important benefit`` if that
probability <= 0.1; otherwise ``undecided``. P(beta >= 2 NRS) and P(beta > 0) are reported beside it.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg
from scipy.special import ndtr, ndtri

from ..errors import InputError
from ._onset import first_order
from .priors import Priors, load_priors

__all__ = [
    "Fit",
    "fit",
    "with_beta_prior",
    "summarise",
    "decide",
    "first_order",
    "DECISION_WORKS",
    "DECISION_NO",
    "DECISION_UNDECIDED",
]

N_TAU = 16
N_SCALE = 9
P_WORKS = 0.8
P_NO = 0.1
DECISION_WORKS = "clinically important benefit"
DECISION_NO = "no clinically important benefit"
DECISION_UNDECIDED = "undecided"
_PARAMS = ("level", "trend", "placebo", "beta")


_CONTROLLER = None


@contextmanager
def one_blas_thread():
    """Run dense linear algebra on one BLAS thread: these matrices are small (<= ~1000), and on a loaded
    machine multi-threaded OpenBLAS is 3-20x slower for them than one thread."""
    global _CONTROLLER
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield


def noise_cov(days: np.ndarray, p: Priors) -> np.ndarray:
    """Noise covariance (scale c = 1) between observed ``days`` (NRS^2)."""
    lag = np.abs(days[:, None] - days[None, :]).astype(float)
    cov = p.diary_sd_nrs**2 * np.exp(lag * np.log(p.diary_ar1))
    cov += p.fluct_sd_nrs**2 * np.exp(-lag / p.fluct_tau_days)
    cov[np.diag_indices_from(cov)] += p.rounding_var
    return cov


@dataclass
class Fit:
    """The posterior of one series: a mixture over the (scale, tau) grid of Gaussians in theta."""

    priors: Priors
    days: np.ndarray  # all days 0..T-1
    y: np.ndarray  # daily pain with NaN for missing days
    on_ldn: np.ndarray
    expect: np.ndarray
    taus: np.ndarray  # (K,)
    scales: np.ndarray  # (J,)
    weights: np.ndarray  # (J, K) posterior weights, sum 1
    means: np.ndarray  # (J, K, 4)
    covs: np.ndarray  # (J, K, 4, 4)
    log_evidence: float
    onset: np.ndarray  # (K, T) onset state per tau
    placebo_course: np.ndarray  # (T,)
    t_mid: float
    cache: dict = field(default_factory=dict, repr=False)

    # -- exact probabilities of linear functions --------------------------------------------------
    def prob_linear(self, coef, threshold: float = 0.0) -> float:
        """P(coef · theta >= threshold) under the posterior mixture (exact)."""
        c = np.asarray(coef, float)
        m = self.means @ c
        v = np.einsum("i,jkil,l->jk", c, self.covs, c)
        return float((self.weights * ndtr((m - threshold) / np.sqrt(np.maximum(v, 1e-300)))).sum())

    def p_any_benefit(self) -> float:
        return self.prob_linear([0, 0, 0, 1])

    def p_beta_at_least(self, nrs: float) -> float:
        return self.prob_linear([0, 0, 0, 1], nrs)

    def p_fraction_at_least(self, frac: float) -> float:
        """P(beta >= frac * level)."""
        return self.prob_linear([-frac, 0, 0, 1])

    # -- draws ---------------------------------------------------------------------------------------
    def draws(self, n: int = 4000, seed: int = 0) -> dict[str, np.ndarray]:
        key = (n, seed)
        if key in self.cache:
            return self.cache[key]
        rng = np.random.default_rng(seed)
        flat_w = self.weights.ravel()
        idx = rng.choice(flat_w.size, size=n, p=flat_w / flat_w.sum())
        j, k = np.unravel_index(idx, self.weights.shape)
        chol = np.linalg.cholesky(self.covs + 1e-12 * np.eye(4))
        z = rng.standard_normal((n, 4))
        theta = self.means[j, k] + np.einsum("nij,nj->ni", chol[j, k], z)
        out = {name: theta[:, i] for i, name in enumerate(_PARAMS)}
        out["tau"] = self.taus[k]
        out["scale"] = self.scales[j]
        out["tau_index"] = k
        lvl = np.where(np.abs(theta[:, 0]) < 0.05, 0.05, theta[:, 0])
        out["percent"] = 100.0 * theta[:, 3] / lvl
        self.cache[key] = out
        return out

    def effect_band(self, n: int = 1000, q=(0.05, 0.5, 0.95)) -> np.ndarray:
        """Quantiles over draws of the LDN effect on each day, beta * s_t(tau) (NRS; shape len(q) x T)."""
        d = self.draws()
        sel = slice(0, min(n, len(d["beta"])))
        eff = d["beta"][sel, None] * self.onset[d["tau_index"][sel]]
        return np.quantile(eff, q, axis=0)

    def fitted_band(self, n: int = 1000, q=(0.05, 0.5, 0.95)) -> np.ndarray:
        """Quantiles of the fitted mean pain a + trend - placebo - effect on each day (NRS)."""
        d = self.draws()
        sel = slice(0, min(n, len(d["beta"])))
        tt = (self.days - self.t_mid) / 365.0
        mu = (
            d["level"][sel, None]
            + d["trend"][sel, None] * tt
            - d["placebo"][sel, None] * self.placebo_course
            - d["beta"][sel, None] * self.onset[d["tau_index"][sel]]
        )
        return np.quantile(mu, q, axis=0)


def _tau_grid(p: Priors) -> np.ndarray:
    u = (np.arange(N_TAU) + 0.5) / N_TAU
    return np.exp(p.tau_log_mean + p.tau_log_sd * ndtri(u))


def _scale_grid(p: Priors) -> tuple[np.ndarray, np.ndarray]:
    z = np.linspace(-2.5, 2.5, N_SCALE)
    s = np.exp(p.noise_scale_log_sd * z)
    lw = -0.5 * z**2
    return s, lw - np.logaddexp.reduce(lw)


def fit(*args, **kw) -> Fit:
    """See :func:`_fit` (this wrapper pins BLAS to one thread for the duration)."""
    with one_blas_thread():
        return _fit(*args, **kw)


def _fit(
    y,
    on_ldn,
    expect=None,
    *,
    priors: Priors | None = None,
    blinded: bool = False,
    fixed_tau: float | None = None,
    with_placebo: bool = True,
    noise: str = "model",
) -> Fit:
    """Posterior of the benefit from a daily series.

    y: daily pain (NRS 0–10), one value per day from the first diary day, NaN where missing.
    on_ldn: 1 on days LDN was taken (or the LDN blocks of a blinded plan), else 0 (same length).
    expect: 1 on days the patient may believe they are treated (default: ``on_ldn`` in open-label use; in a
        blinded plan pass 1 for every treatment block, LDN or placebo).
    blinded: selects the blinded expectation size for the placebo prior.
    fixed_tau: fix the onset time constant (days) instead of integrating it (``1e-6`` = a step: the
        comparator "AR model without onset state").
    with_placebo: include the placebo term (the comparator drops it).
    noise: ``"model"`` (diary AR(1) + slow fluctuation + rounding, from the parameter set) or ``"ar1"``
        (a single AR(1) with lag-1 correlation integrated over a grid, the comparator's noise).
    """
    p = priors or load_priors()
    y = np.asarray(y, float)
    T = y.size
    u = np.asarray(on_ldn, float)
    if u.shape != y.shape:
        raise InputError("on_ldn", "must have one value per diary day", value=f"{u.size} vs {T}")
    ex = u if expect is None else np.asarray(expect, float)
    obs = np.flatnonzero(np.isfinite(y))
    if obs.size < 14:
        raise InputError(
            "diary",
            "too few days with a pain rating to analyse",
            accepted="at least 14 rated days",
            value=int(obs.size),
        )
    if np.any((y[obs] < 0) | (y[obs] > 10)):
        raise InputError("pain_avg", "outside the 0-10 NRS", accepted="0-10")
    if not np.any(u[obs] > 0) or not np.any(u[obs] == 0):
        raise InputError(
            "diary", "needs rated days both before/off and on LDN", accepted="a baseline and LDN days"
        )
    days = np.arange(T, dtype=float)
    yo = y[obs]
    taus = np.array([fixed_tau]) if fixed_tau is not None else _tau_grid(p)
    if fixed_tau is not None:  # a fixed first-order state (1e-6: a step, the AR(1) comparator)
        onset = first_order(u, fixed_tau)[None, :]
    else:  # the model's two-phase onset: fixed fast share, slow time constant on the grid
        onset = np.stack([p.onset(u, t) for t in taus])  # (K, T)
    g = first_order(ex, p.placebo_onset_days, p.placebo_offset_days) if with_placebo else np.zeros(T)
    t_mid = float(days[obs].mean())
    base = np.column_stack([np.ones(T), (days - t_mid) / 365.0, -g])[obs]  # y = a + b t - pi g - beta s
    # priors of theta = (a, b, pi, beta)
    pre = obs[u[obs] == 0]
    lvl0 = float(np.mean(y[pre])) if pre.size else float(np.mean(yo))
    e_frac = p.placebo_expectation_blinded if blinded else p.placebo_expectation_open
    pi0 = e_frac * lvl0 if with_placebo else 0.0
    pi_sd = max(p.placebo_sd_frac * e_frac * lvl0, 1e-3) if with_placebo else 1e-3
    m0 = np.array([lvl0, 0.0, pi0, p.beta_mean_nrs])
    v0 = np.array([p.level_sd_nrs, p.trend_sd_nrs_per_year, pi_sd, p.beta_sd_nrs]) ** 2
    noise_sets = _noise_sets(days[obs], p, noise)
    grams = []
    for cov, log_w_noise in noise_sets:
        L = linalg.cholesky(cov, lower=True, check_finite=False)
        logdet = 2.0 * np.log(np.diag(L)).sum()
        Z = linalg.solve_triangular(
            L, np.column_stack([yo, base, -onset[:, obs].T]), lower=True, check_finite=False
        )
        grams.append((Z.T @ Z, logdet, log_w_noise))  # (1+3+K)^2 Gram matrix of [y, X] whitened
    f = Fit(
        priors=p,
        days=days,
        y=y,
        on_ldn=u,
        expect=ex,
        taus=taus,
        scales=np.empty(0),
        weights=np.empty(0),
        means=np.empty(0),
        covs=np.empty(0),
        log_evidence=0.0,
        onset=onset,
        placebo_course=g,
        t_mid=t_mid,
    )
    f.cache["grams"] = grams
    f.cache["n_obs"] = int(yo.size)
    f.cache["m0"], f.cache["v0"] = m0, v0
    f.cache["settings"] = dict(blinded=blinded, fixed_tau=fixed_tau, with_placebo=with_placebo, noise=noise)
    return _condition(f, m0, v0)


def _condition(f: Fit, m0: np.ndarray, v0: np.ndarray) -> Fit:
    """Fill the posterior mixture of ``f`` for the theta prior N(m0, diag(v0)) (reuses the Gram matrices)."""
    scales, log_ws = _scale_grid(f.priors)
    all_logml, all_m, all_c = [], [], []
    for gram, logdet, log_w_noise in f.cache["grams"]:
        lm, mm, cc = _grid_posterior(gram, len(f.taus), m0, v0, scales, f.cache["n_obs"], logdet)
        all_logml.append(lm + log_ws[:, None] + log_w_noise)
        all_m.append(mm)
        all_c.append(cc)
    logml = np.concatenate(all_logml)
    f.means = np.concatenate(all_m)
    f.covs = np.concatenate(all_c)
    f.scales = np.tile(scales, len(f.cache["grams"]))
    f.log_evidence = float(np.logaddexp.reduce(logml.ravel()) - np.log(len(f.taus)))
    w = np.exp(logml - logml.max())
    f.weights = w / w.sum()
    for k in [k for k in f.cache if isinstance(k, tuple)]:
        del f.cache[k]  # drop cached draws
    return f


def with_beta_prior(f: Fit, mean: float, sd: float) -> Fit:
    """The same series re-conditioned on another benefit prior N(mean, sd^2) (used by the clinic pooling)."""
    from copy import copy

    g = copy(f)
    g.cache = dict(f.cache)
    g.priors = f.priors.with_beta(mean, sd)
    m0, v0 = f.cache["m0"].copy(), f.cache["v0"].copy()
    m0[3], v0[3] = mean, sd**2
    g.cache["m0"], g.cache["v0"] = m0, v0
    return _condition(g, m0, v0)


def _noise_sets(od: np.ndarray, p: Priors, noise: str) -> list[tuple[np.ndarray, float]]:
    if noise == "model":
        return [(noise_cov(od, p), 0.0)]
    if (
        noise == "ar1"
    ):  # one AR(1), lag-1 correlation on a uniform grid; marginal variance from the population
        lag = np.abs(od[:, None] - od[None, :])
        var = p.diary_sd_nrs**2 + p.fluct_sd_nrs**2 + p.rounding_var
        phis = np.linspace(0.05, 0.95, 10)
        return [(var * phi**lag + 1e-9 * np.eye(od.size), -np.log(phis.size)) for phi in phis]
    raise InputError("noise", f"unknown noise model {noise!r}", accepted="model, ar1")


def _grid_posterior(gram, K, m0, v0, scales, n, logdet):
    """Conjugate posterior of theta for every (scale, tau) node from the whitened Gram matrix."""
    yy = gram[0, 0]
    idx_base = [1, 2, 3]
    G = np.empty((K, 4, 4))
    bvec = np.empty((K, 4))
    for k in range(K):
        cols = [*idx_base, 4 + k]
        G[k] = gram[np.ix_(cols, cols)]
        bvec[k] = gram[0, cols]
    inv_c2 = 1.0 / scales**2  # (J,)
    V0i = np.diag(1.0 / v0)
    P = V0i[None, None] + inv_c2[:, None, None, None] * G[None]  # (J,K,4,4)
    rhs = (V0i @ m0)[None, None] + inv_c2[:, None, None] * bvec[None]  # (J,K,4)
    Lp = np.linalg.cholesky(P)
    cov = np.linalg.inv(P)
    mean = np.einsum("jkab,jkb->jka", cov, rhs)
    logdetP = 2.0 * np.log(np.diagonal(Lp, axis1=2, axis2=3)).sum(-1)
    quad = inv_c2[:, None] * yy + m0 @ V0i @ m0 - np.einsum("jka,jka->jk", mean, rhs)
    logml = -0.5 * (
        n * np.log(2 * np.pi) + logdet + 2 * n * np.log(scales)[:, None] + quad + np.log(v0).sum() + logdetP
    )
    return logml, mean, cov


def decide(p_important: float) -> str:
    """The pre-stated decision from P(benefit >= clinically important difference)."""
    if p_important >= P_WORKS:
        return DECISION_WORKS
    if p_important <= P_NO:
        return DECISION_NO
    return DECISION_UNDECIDED


def summarise(f: Fit, *, level: float = 0.90) -> dict:
    """The analysis document: benefit (NRS and %), credible intervals, probabilities, decision."""
    d = f.draws()
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    beta_q = np.quantile(d["beta"], [lo, 0.5, hi])
    pct_q = np.quantile(d["percent"], [lo, 0.5, hi])
    tau_q = np.quantile(d["tau"], [lo, 0.5, hi])
    p_imp = f.p_fraction_at_least(f.priors.cid_fraction)
    now = d["beta"] * f.onset[d["tau_index"], -1]
    obs = np.isfinite(f.y)
    return {
        "benefit_nrs": {
            "median": beta_q[1],
            "lo": beta_q[0],
            "hi": beta_q[2],
            "level": level,
            "meaning": "steady-state reduction of daily pain by LDN beyond placebo (NRS points)",
        },
        "benefit_percent": {"median": pct_q[1], "lo": pct_q[0], "hi": pct_q[2], "level": level},
        "benefit_now_nrs": {
            "median": float(np.median(now)),
            "lo": float(np.quantile(now, lo)),
            "hi": float(np.quantile(now, hi)),
        },
        "onset_tau_days": {"median": tau_q[1], "lo": tau_q[0], "hi": tau_q[2]},
        "placebo_nrs": {"median": float(np.median(d["placebo"]))},
        "level_nrs": {"median": float(np.median(d["level"]))},
        "p_any_benefit": f.p_any_benefit(),
        "p_benefit_ge_30pct": p_imp,
        "p_benefit_ge_2nrs": f.p_beta_at_least(f.priors.cid_nrs),
        "decision": decide(p_imp),
        "decision_rule": (
            f"'{DECISION_WORKS}' if P(benefit >= {f.priors.cid_fraction:.0%} of the untreated level) "
            f">= {P_WORKS}; '{DECISION_NO}' if <= {P_NO}; else '{DECISION_UNDECIDED}' "
            "(IMMPACT: Dworkin 2008)"
        ),
        "days": int(f.y.size),
        "rated_days": int(obs.sum()),
        "ldn_days": int((f.on_ldn > 0).sum()),
    }
