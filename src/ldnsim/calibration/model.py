"""The hierarchical model sampled by NUTS (numpyro), on the emulators of the calibration trials.

For study ``j`` with design features (double-blind ``D_j``, ln(weeks/12) ``L_j``, recall rating ``R_j``):

* expectation ``E_j = cap * sigmoid(a + b_D D_j + b_L L_j + b_R R_j + sigma_u z_j)`` (study-level random
  effect ``z_j ~ N(0, 1)``, non-centred);
* for variants with glial TLR4 block, the study's effective ``log10 IC50_j = l + sigma_w w_j``;
* each published summary ``y_jk ~ Normal(emulator_jk(E_j, IC50_j), se_jk² + emulator_rmse_jk²)``.

Sampled parameters (names as in the shipped posterior): ``placebo_logit_single`` (a),
``placebo_logit_double_shift`` (b_D), ``placebo_length_logit`` (b_L), ``placebo_recall_logit`` (b_R),
``sigma_study_placebo``, and with TLR4 ``log10_tlr4_ic50_nM`` (l), ``sigma_study_ic50_log10``, plus the
standardised study effects. Priors: ``system/calibration.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .emulator import GaussianProcess
from .spec import Study

__all__ = ["ModelData", "build_model", "model_args", "emulate", "stacked_predictor", "HYPER", "DRUG"]

#: the hyper-parameters every variant samples, and those only variants with glial TLR4 block add
HYPER = (
    "placebo_logit_single",
    "placebo_logit_double_shift",
    "placebo_length_logit",
    "placebo_recall_logit",
    "sigma_study_placebo",
)
DRUG = ("log10_tlr4_ic50_nM", "sigma_study_ic50_log10")


@dataclass(frozen=True)
class ModelData:
    """Everything the model needs: studies, their emulators (one per target, in target order), the
    observed values and the variance of each (published SE² + emulator validation RMSE²)."""

    studies: tuple[Study, ...]
    emulators: dict[str, list[GaussianProcess]]
    y: np.ndarray
    sd: np.ndarray
    cap: float
    drug: bool
    priors: dict[str, dict[str, Any]]
    ic50_prior: str = "in-vitro"  # or "flat" (uniform over the emulator's domain: the data-only fit)
    ic50_domain: tuple[float, float] = (-3.0, 5.0)


def _dist(spec: dict[str, Any]):
    import numpyro.distributions as dist

    if spec["dist"] == "normal":
        return dist.Normal(float(spec["mu"]), float(spec["sd"]))
    if spec["dist"] == "halfnormal":
        return dist.HalfNormal(float(spec["sd"]))
    raise ValueError(f"unknown prior distribution {spec['dist']!r}")


def model_args(data: ModelData) -> dict[str, Any]:
    """The model's array arguments (observations, stacked emulators, design features, prior switch): passed
    to ``MCMC.run`` so that one compiled sampler serves every variant and prior of the same shape."""
    import jax.numpy as jnp

    gps = [gp for s in data.studies for gp in data.emulators[s.name]]
    n = max(g.x.shape[0] for g in gps)
    d = gps[0].x.shape[1]
    X = np.zeros((len(gps), n, d))
    A = np.zeros((len(gps), n))
    for k, g in enumerate(gps):
        X[k, : g.x.shape[0]] = g.x
        A[k, : g.x.shape[0]] = g.alpha
    return {
        "y": jnp.asarray(data.y),
        "sd": jnp.asarray(data.sd),
        "X": jnp.asarray(X),
        "A": jnp.asarray(A),
        "LS": jnp.asarray(np.stack([g.lengthscales for g in gps])),
        "S2": jnp.asarray([g.signal_var for g in gps]),
        "MU": jnp.asarray([g.y_mean for g in gps]),
        "SD": jnp.asarray([g.y_sd for g in gps]),
        "lo": jnp.asarray(gps[0].lo),
        "span": jnp.asarray(gps[0].hi - gps[0].lo),
        "which": jnp.asarray([j for j, s in enumerate(data.studies) for _ in data.emulators[s.name]]),
        "D": jnp.array([1.0 if s.blinding == "double" else 0.0 for s in data.studies]),
        "L": jnp.array([s.log_weeks for s in data.studies]),
        "R": jnp.array([1.0 if s.recall else 0.0 for s in data.studies]),
        "w_prior": jnp.asarray(0.0 if data.ic50_prior == "flat" else 1.0),
    }


def emulate(x, X, A, LS, S2, MU, SD, lo, span):
    """Posterior means of K stacked GPs; row k of ``x`` (K, d) is the input of GP k (training sets padded
    with zero weights)."""
    import jax.numpy as jnp

    u = (x - lo) / span
    d2 = jnp.sum(((u[:, None, :] - X) / LS[:, None, :]) ** 2, axis=-1)
    return MU + SD * jnp.sum(S2[:, None] * jnp.exp(-0.5 * d2) * A, axis=1)


def stacked_predictor(gps: list[GaussianProcess]):
    """``f(x)`` for many GPs over one domain (see :func:`emulate`); for checks outside the sampler."""
    import jax.numpy as jnp

    n = max(g.x.shape[0] for g in gps)
    X = np.zeros((len(gps), n, gps[0].x.shape[1]))
    A = np.zeros((len(gps), n))
    for k, g in enumerate(gps):
        X[k, : g.x.shape[0]] = g.x
        A[k, : g.x.shape[0]] = g.alpha
    arrays = (
        jnp.asarray(X),
        jnp.asarray(A),
        jnp.asarray(np.stack([g.lengthscales for g in gps])),
        jnp.asarray([g.signal_var for g in gps]),
        jnp.asarray([g.y_mean for g in gps]),
        jnp.asarray([g.y_sd for g in gps]),
        jnp.asarray(gps[0].lo),
        jnp.asarray(gps[0].hi - gps[0].lo),
    )
    return lambda x: emulate(x, *arrays)


def build_model(priors: dict[str, dict[str, Any]], cap: float, drug: bool, ic50_domain: tuple[float, float]):
    """The numpyro model for variants with (``drug``) or without a sampled TLR4 IC50; its data are the
    keyword arguments of :func:`model_args`. The IC50 prior is uniform over the emulator's domain times the
    in-vitro normal kernel when ``w_prior`` is 1 (= the truncated normal), flat when 0 (data-only fit)."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    lo_i, hi_i = ic50_domain
    pr = priors

    def model(y, sd, X, A, LS, S2, MU, SD, lo, span, which, D, L, R, w_prior):
        J = D.shape[0]
        a = numpyro.sample("placebo_logit_single", _dist(pr["placebo_logit_single"]))
        bd = numpyro.sample("placebo_logit_double_shift", _dist(pr["placebo_logit_double_shift"]))
        bl = numpyro.sample("placebo_length_logit", _dist(pr["placebo_length_logit"]))
        br = numpyro.sample("placebo_recall_logit", _dist(pr["placebo_recall_logit"]))
        su = numpyro.sample("sigma_study_placebo", _dist(pr["sigma_study_placebo"]))
        zu = numpyro.sample("z_study_placebo", dist.Normal(0.0, 1.0).expand([J]))
        e = numpyro.deterministic(
            "expectation_study", cap * jax_sigmoid(a + bd * D + bl * L + br * R + su * zu)
        )
        if drug:
            p = pr["log10_tlr4_ic50_nM"]
            l0 = numpyro.sample("log10_tlr4_ic50_nM", dist.Uniform(lo_i, hi_i))
            numpyro.factor(
                "ic50_in_vitro_prior", w_prior * dist.Normal(float(p["mu"]), float(p["sd"])).log_prob(l0)
            )
            sw = numpyro.sample("sigma_study_ic50_log10", _dist(pr["sigma_study_ic50_log10"]))
            zw = numpyro.sample("z_study_ic50", dist.Normal(0.0, 1.0).expand([J]))
            lj = jnp.clip(l0 + sw * zw, lo_i, hi_i)
            x = jnp.stack([e, lj], axis=1)
        else:
            x = e[:, None]
        mu = emulate(x[which], X, A, LS, S2, MU, SD, lo, span)
        numpyro.sample("y", dist.Normal(mu, sd), obs=y)

    return model


def jax_sigmoid(x):
    import jax

    return jax.nn.sigmoid(x)
