"""The hierarchical option: pool a clinic's patients to learn the benefit distribution among them.

Each patient's series is fitted as usual; the benefit prior ``N(mu, sd^2)`` shared by the clinic's patients
is then estimated by maximising the product of the patients' marginal likelihoods (empirical Bayes; every
patient's marginal likelihood is exact given the grid, and cheap to re-evaluate because the whitened Gram
matrices are kept), and each patient is re-analysed under the pooled prior — partial pooling: a patient with
a short or noisy diary borrows strength from the others. With fewer than ``min_patients`` patients the
model-derived prior is kept. ``sd`` is bounded below (``sd_floor``) so that a small clinic cannot collapse
everyone onto one value.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .analysis import Fit, with_beta_prior

__all__ = ["pool"]


def pool(fits: list[Fit], *, min_patients: int = 3, sd_floor: float = 0.2) -> tuple[list[Fit], dict]:
    """Re-analyse ``fits`` under the clinic's pooled benefit prior; returns (fits, hyper-parameters)."""
    if len(fits) < min_patients:
        p = fits[0].priors if fits else None
        return fits, {
            "pooled": False,
            "reason": f"fewer than {min_patients} patients",
            "mean_nrs": getattr(p, "beta_mean_nrs", None),
            "sd_nrs": getattr(p, "beta_sd_nrs", None),
        }

    def neg(x):
        mu, log_sd = x
        sd = sd_floor + np.exp(log_sd)
        return -sum(with_beta_prior(f, mu, sd).log_evidence for f in fits)

    p0 = fits[0].priors
    x0 = np.array([p0.beta_mean_nrs, np.log(max(p0.beta_sd_nrs - sd_floor, 1e-3))])
    res = optimize.minimize(
        neg, x0, method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-3, "maxiter": 200}
    )
    mu, sd = float(res.x[0]), float(sd_floor + np.exp(res.x[1]))
    pooled = [with_beta_prior(f, mu, sd) for f in fits]
    return pooled, {
        "pooled": True,
        "mean_nrs": mu,
        "sd_nrs": sd,
        "n_patients": len(fits),
        "model_prior": {"mean_nrs": p0.beta_mean_nrs, "sd_nrs": p0.beta_sd_nrs},
    }
