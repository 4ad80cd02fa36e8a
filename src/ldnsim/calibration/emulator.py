"""Gaussian-process emulator of one simulated trial quantity over the calibration's inputs.

The virtual trial is stochastic and costs about a second per run, so NUTS cannot call it. Each published
quantity gets a GP (squared-exponential kernel with one length scale per input, a signal variance and a
nugget for the simulator's Monte-Carlo noise) fitted by maximum marginal likelihood on a space-filling
design of simulator runs. Inputs are scaled to the unit box of the emulator's domain, outputs standardised.
The posterior mean is a closed form ``m(x) = mu + sd * k(x, X) @ alpha``, written twice: in numpy
(design and validation) and in jax (differentiable, for NUTS).

The emulator's own error is measured on held-out runs (``validate``): its RMSE against fresh simulator
runs (which include their Monte-Carlo noise) is added to each target's variance in the likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize

__all__ = ["GaussianProcess", "fit_gp"]


@dataclass(frozen=True)
class GaussianProcess:
    """A fitted GP emulator. ``lo``/``hi``: the input domain; ``x``: training inputs in the unit box."""

    lo: np.ndarray
    hi: np.ndarray
    x: np.ndarray
    alpha: np.ndarray
    y_mean: float
    y_sd: float
    lengthscales: np.ndarray
    signal_var: float
    noise_var: float

    def _unit(self, xs, xp=np):
        return (xs - self.lo) / (self.hi - self.lo)

    def predict(self, xs: np.ndarray) -> np.ndarray:
        """Posterior mean at ``xs`` (n x d, natural units)."""
        u = self._unit(np.atleast_2d(np.asarray(xs, float)))
        k = _kernel(u, self.x, self.lengthscales, self.signal_var)
        return self.y_mean + self.y_sd * (k @ self.alpha)

    def predict_jax(self, xs):
        """The same mean in jax (``xs``: (n, d) or (d,) array): differentiable, for NUTS."""
        import jax.numpy as jnp

        u = (jnp.atleast_2d(xs) - jnp.asarray(self.lo)) / jnp.asarray(self.hi - self.lo)
        d2 = jnp.sum(
            ((u[:, None, :] - jnp.asarray(self.x)[None, :, :]) / jnp.asarray(self.lengthscales)) ** 2, axis=-1
        )
        k = self.signal_var * jnp.exp(-0.5 * d2)
        return self.y_mean + self.y_sd * (k @ jnp.asarray(self.alpha))

    @property
    def noise_sd(self) -> float:
        """The fitted nugget on the output scale: the simulator's Monte-Carlo noise as the GP sees it."""
        return float(np.sqrt(self.noise_var) * self.y_sd)


def _kernel(a: np.ndarray, b: np.ndarray, ls: np.ndarray, s2: float) -> np.ndarray:
    d2 = np.sum(((a[:, None, :] - b[None, :, :]) / ls) ** 2, axis=-1)
    return s2 * np.exp(-0.5 * d2)


def _nll(theta: np.ndarray, u: np.ndarray, y: np.ndarray) -> float:
    d = u.shape[1]
    ls, s2, n2 = np.exp(theta[:d]), np.exp(theta[d]), np.exp(theta[d + 1])
    k = _kernel(u, u, ls, s2) + (n2 + 1e-8) * np.eye(len(y))
    try:
        c = cho_factor(k, lower=True)
    except np.linalg.LinAlgError:
        return 1e10
    a = cho_solve(c, y)
    # weak log-normal priors keep length scales inside the box's scale and the nugget off zero
    pen = 0.5 * np.sum((theta[:d] - np.log(0.3)) ** 2) / 4.0 + 0.5 * (theta[d + 1] - np.log(0.05)) ** 2 / 9.0
    return float(0.5 * y @ a + np.sum(np.log(np.diag(c[0]))) + pen)


def fit_gp(
    xs: np.ndarray, ys: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, seed: int = 0
) -> GaussianProcess:
    """Fit a GP to simulator outputs ``ys`` (n,) at inputs ``xs`` (n x d) within the domain ``[lo, hi]``.

    Raises ValueError when fewer than 3 finite runs remain (a simulator that returned nothing usable).
    """
    xs = np.atleast_2d(np.asarray(xs, float))
    ys = np.asarray(ys, float)
    ok = np.isfinite(ys) & np.all(np.isfinite(xs), axis=1)
    xs, ys = xs[ok], ys[ok]
    if ys.size < 3:
        raise ValueError(f"only {ys.size} finite simulator runs: cannot fit an emulator")
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    u = (xs - lo) / (hi - lo)
    mu, sd = float(ys.mean()), float(ys.std()) or 1.0
    y = (ys - mu) / sd
    d = u.shape[1]
    rng = np.random.default_rng(seed)
    best = None
    for i in range(4):
        t0 = np.concatenate(
            [
                np.log(rng.uniform(0.15, 0.8, d)) if i else np.log(np.full(d, 0.3)),
                [0.0],
                [np.log(0.05 if i < 2 else 0.3)],
            ]
        )
        r = minimize(
            _nll,
            t0,
            args=(u, y),
            method="L-BFGS-B",
            bounds=[(np.log(0.03), np.log(5.0))] * d
            + [(np.log(0.05), np.log(20.0)), (np.log(1e-4), np.log(2.0))],
        )
        if best is None or r.fun < best.fun:
            best = r
    assert best is not None
    th = best.x
    ls, s2, n2 = np.exp(th[:d]), float(np.exp(th[d])), float(np.exp(th[d + 1]))
    k = _kernel(u, u, ls, s2) + (n2 + 1e-8) * np.eye(len(y))
    alpha = cho_solve(cho_factor(k, lower=True), y)
    return GaussianProcess(
        lo=lo, hi=hi, x=u, alpha=alpha, y_mean=mu, y_sd=sd, lengthscales=ls, signal_var=s2, noise_var=n2
    )
