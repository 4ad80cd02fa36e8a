"""The full sampler: the same N-of-1 model with numpyro NUTS (optional extra ``ldnsim[bayes]``).

Identical model and priors to :func:`ldnsim.nof1.analysis.fit`, but the onset time constant ``tau`` and the
noise scale ``c`` are continuous (log-normal priors) instead of grid nodes, and everything is sampled
jointly with NUTS. It is the cross-check of the fast deterministic core (``tests/nof1/test_mcmc.py``) and
an option for users who want MCMC diagnostics; it takes seconds to tens of seconds where the core takes
milliseconds. :func:`nuts` returns the draws and a summary in the same units (NRS, days).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from ._onset import first_order
from .analysis import noise_cov
from .priors import Priors, load_priors

__all__ = ["nuts"]


def nuts(
    y,
    on_ldn,
    expect=None,
    *,
    priors: Priors | None = None,
    blinded: bool = False,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """NUTS draws of (level, trend, placebo, beta, tau, scale) and the 90 % interval of ``beta``."""
    try:
        import jax
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as dist
        from numpyro.infer import MCMC, NUTS
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise InputError(
            "sampler",
            "the NUTS sampler needs the 'bayes' extra",
            accepted="pip install 'ldnsim[bayes]'",
            value=str(exc),
        ) from None
    p = priors or load_priors()
    y = np.asarray(y, float)
    u = np.asarray(on_ldn, float)
    ex = u if expect is None else np.asarray(expect, float)
    obs = np.flatnonzero(np.isfinite(y))
    T = y.size
    days = np.arange(T, dtype=float)
    pre = obs[u[obs] == 0]
    lvl0 = float(np.mean(y[pre])) if pre.size else float(np.nanmean(y))
    e_frac = p.placebo_expectation_blinded if blinded else p.placebo_expectation_open
    g = first_order(ex, p.placebo_onset_days, p.placebo_offset_days)
    L = np.linalg.cholesky(noise_cov(days[obs], p))
    W = jnp.asarray(np.linalg.inv(L))  # whitening of the scale-1 noise on the rated days
    half_logdet = float(np.log(np.diag(L)).sum())
    tt = jnp.asarray((days - days[obs].mean()) / 365.0)
    g_j, u_j, yo, idx = jnp.asarray(g), jnp.asarray(u), jnp.asarray(y[obs]), jnp.asarray(obs)
    n = obs.size

    fast = jnp.asarray(first_order(u, p.onset_fast_tau_days))  # the fast phase (fixed time constant)

    def onset(tau):  # two-phase, as the deterministic core (Priors.onset)
        a = 1.0 - jnp.exp(-1.0 / tau)

        def step(s, x):
            s = s + a * (x - s)
            return s, s

        slow = jax.lax.scan(step, 0.0, u_j)[1]
        w = jnp.clip(p.onset_fast_fraction + p.onset_fast_slope * (jnp.log(tau) - p.tau_log_mean), 0.0, 0.95)
        return w * fast + (1.0 - w) * slow

    def model():
        log_tau = numpyro.sample("log_tau", dist.Normal(p.tau_log_mean, p.tau_log_sd))
        log_c = numpyro.sample("log_c", dist.Normal(0.0, p.noise_scale_log_sd))
        a = numpyro.sample("level", dist.Normal(lvl0, p.level_sd_nrs))
        b = numpyro.sample("trend", dist.Normal(0.0, p.trend_sd_nrs_per_year))
        pi = numpyro.sample(
            "placebo", dist.Normal(e_frac * lvl0, max(p.placebo_sd_frac * e_frac * lvl0, 1e-3))
        )
        beta = numpyro.sample("beta", dist.Normal(p.beta_mean_nrs, p.beta_sd_nrs))
        mu = a + b * tt - pi * g_j - beta * onset(jnp.exp(log_tau))
        z = W @ (yo - mu[idx])
        c = jnp.exp(log_c)
        numpyro.factor(
            "loglik", -0.5 * jnp.sum(z**2) / c**2 - n * log_c - half_logdet - 0.5 * n * jnp.log(2 * jnp.pi)
        )

    mcmc = MCMC(
        NUTS(model), num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains, progress_bar=False
    )
    mcmc.run(jax.random.PRNGKey(seed))
    s = {k: np.asarray(v) for k, v in mcmc.get_samples().items()}
    s["tau"] = np.exp(s.pop("log_tau"))
    s["scale"] = np.exp(s.pop("log_c"))
    lo, med, hi = np.quantile(s["beta"], [0.05, 0.5, 0.95])
    div = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    return {
        "draws": s,
        "benefit_nrs": {"median": float(med), "lo": float(lo), "hi": float(hi), "level": 0.9},
        "p_any_benefit": float((s["beta"] > 0).mean()),
        "p_benefit_ge_30pct": float((s["beta"] >= 0.3 * s["level"]).mean()),
        "divergences": div,
    }
