"""Integration of the slow system: a second-order exponential (production–loss) scheme on a fixed
macro-step, with the receptor drivers sampled on a sub-step grid inside each step.

Why this scheme (docs/model.md, "Numerics"):

* The drivers (occupancies) vary within hours at night; the slow states over days–months. Every
  slow equation is ``dy/dt = P(y, d(t)) − L(y, d(t))·y`` with ``P, L ≥ 0``. Over a macro-step ``Δ``
  the rates are averaged over the ``n_sub`` driver samples at the sub-step midpoints (the drivers'
  fast oscillation is resolved, the state is held for the stage), and the step is taken exactly
  for the averaged linear equation: ``y₁ = y₀·e^{−L̄Δ} + P̄·Δ·φ₁(−L̄Δ)``.
* Predictor–corrector (exponential Heun): rates at ``y₀`` give ``y*``; the averaged rates of
  ``y₀`` and ``y*`` give ``y₁`` — second order in the state, unconditionally stable for the
  relaxation terms, non-negative, and fractions whose equations read ``a(1−y) − b·y`` stay in
  [0, 1] for any step (``y∞ = a/(a+b)``).
* Fixed-point exactness: at a steady state ``P = L·y``, so the scheme's fixed points are the ODE's.

The convergence of the default step (Δ = 24 h with hourly driver samples) against Δ = 1 h is a
test (tests/system/test_numerics.py). Pure functions over ``xp``; the numpy loop here and a jax
``lax.scan`` share :func:`step`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import SolverError
from ._rhs import ALGEBRAIC_NAMES, STATE_NAMES, algebra, production_loss

__all__ = ["step", "integrate", "steady_state", "OUTPUT_ALGEBRA"]

#: algebraic quantities recorded beside the states
OUTPUT_ALGEBRA: tuple[str, ...] = (*ALGEBRAIC_NAMES, "pain_nrs")


def _phi1(z: Any, xp: Any) -> Any:
    """φ₁(z) = (e^z − 1)/z for z ≤ 0, stable near 0."""
    small = xp.abs(z) < 1e-6
    zs = xp.where(small, -1.0, z)
    return xp.where(small, 1.0 + z / 2.0, xp.expm1(zs) / zs)


def _expstep(y: Any, prod: Any, loss: Any, dt: float, xp: Any) -> Any:
    z = -loss * dt
    return y * xp.exp(z) + prod * dt * _phi1(z, xp)


def _mean_rates(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any) -> tuple[Any, Any]:
    prod, loss = production_loss(y, d, p, xp)
    return xp.mean(prod, axis=0), xp.mean(loss, axis=0)


def step(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float, xp: Any) -> tuple[Any, dict]:
    """One macro-step. ``y`` (n_patients, n_states); each driver ``(n_sub, n_patients)``.

    Returns the new state and the algebraic outputs averaged over the step (each (n_patients,)),
    evaluated at the sub-step midpoints with the state interpolated linearly across the step.
    """
    p0, l0 = _mean_rates(y, d, p, xp)
    ystar = _expstep(y, p0, l0, dt, xp)
    p1, l1 = _mean_rates(ystar, d, p, xp)
    y1 = _expstep(y, 0.5 * (p0 + p1), 0.5 * (l0 + l1), dt, xp)
    return y1, _outputs(y, y1, d, p, xp)


def _outputs(y0: Any, y1: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any, mean: bool = True) -> Any:
    n_sub = d["mu_antagonist"].shape[0]
    w = (xp.arange(n_sub) + 0.5) / n_sub
    yi = y0[None, :, :] + (y1 - y0)[None, :, :] * w[:, None, None]
    alg = algebra(yi, d, p, xp)
    if mean:
        return {k: xp.mean(alg[k], axis=0) for k in OUTPUT_ALGEBRA}
    return {k: alg[k] for k in OUTPUT_ALGEBRA}


def integrate(
    y0: np.ndarray,
    drivers: Mapping[str, np.ndarray],
    p: Mapping[str, np.ndarray],
    *,
    dt_h: float = 24.0,
    n_sub: int = 24,
    hourly: bool = False,
) -> dict[str, np.ndarray]:
    """Integrate with numpy over the whole driver grid.

    ``drivers[name]`` has shape ``(n_steps * n_sub, n_patients)``: samples at the midpoints of the
    sub-steps ``(j + 0.5)·dt_h/n_sub``. Returns ``{"states": (n_steps + 1, n_patients, n_states)``
    (at the step boundaries), ``"states_mean": (n_steps, n_patients, n_states)`` (step means),
    and each algebraic output: ``(n_steps, n_patients)`` step means, or with ``hourly=True``
    ``(n_steps * n_sub, n_patients)`` at the sub-step midpoints.

    Raises :class:`~ldnsim.errors.SolverError` when a state or output is not finite.
    """
    xp = np
    y = np.asarray(y0, dtype=float)
    n_total = next(iter(drivers.values())).shape[0]
    if n_total % n_sub:
        raise ValueError("driver grid length must be a multiple of n_sub")
    n_steps = n_total // n_sub
    states = np.empty((n_steps + 1, *y.shape))
    states[0] = y
    outs: dict[str, list] = {k: [] for k in OUTPUT_ALGEBRA}
    for n in range(n_steps):
        sl = slice(n * n_sub, (n + 1) * n_sub)
        d = {k: v[sl] for k, v in drivers.items()}
        p0, l0 = _mean_rates(y, d, p, xp)
        ystar = _expstep(y, p0, l0, dt_h, xp)
        p1, l1 = _mean_rates(ystar, d, p, xp)
        y1 = _expstep(y, 0.5 * (p0 + p1), 0.5 * (l0 + l1), dt_h, xp)
        o = _outputs(y, y1, d, p, xp, mean=not hourly)
        for k in OUTPUT_ALGEBRA:
            outs[k].append(o[k])
        states[n + 1] = y1
        y = y1
    res: dict[str, np.ndarray] = {"states": states, "states_mean": 0.5 * (states[1:] + states[:-1])}
    for k in OUTPUT_ALGEBRA:
        res[k] = np.concatenate(outs[k], axis=0) if hourly else np.stack(outs[k], axis=0)
    _check_finite(res, dt_h, n_sub, hourly)
    return res


def _check_finite(res: Mapping[str, np.ndarray], dt_h: float, n_sub: int, hourly: bool) -> None:
    st = res["states"]
    bad = ~np.isfinite(st)
    if bad.any():
        t_idx, pat, s_idx = np.argwhere(bad)[0]
        raise SolverError(
            f"non-finite state {STATE_NAMES[s_idx]!r} for patient {pat} at t = {t_idx * dt_h:g} h; "
            "check the parameters (rates and gains must be finite and non-negative)"
        )
    for k in OUTPUT_ALGEBRA:
        b = ~np.isfinite(res[k])
        if b.any():
            t_idx, pat = np.argwhere(b)[0]
            t = (t_idx + 0.5) * (dt_h / n_sub if hourly else dt_h)
            raise SolverError(f"non-finite {k!r} for patient {pat} near t = {t:g} h")


def steady_state(
    y0: np.ndarray,
    drivers: Mapping[str, np.ndarray],
    p: Mapping[str, np.ndarray],
    *,
    dt_h: float = 96.0,
    max_steps: int = 400,
    rtol: float = 1e-6,
) -> np.ndarray:
    """Run drug-free (constant) drivers from ``y0`` until the states stop moving.

    ``drivers[name]`` has shape ``(1, n_patients)``. Large exponential steps are safe here: the
    fixed points of the scheme are exactly those of the ODE, and starting on the chronic branch the
    run stays in that basin (it leaves only where the patient's parameters have no high branch).
    Raises :class:`~ldnsim.errors.SolverError` on a non-finite state.
    """
    y = np.asarray(y0, dtype=float)
    for _ in range(max_steps):
        p0, l0 = _mean_rates(y, drivers, p, np)
        ystar = _expstep(y, p0, l0, dt_h, np)
        p1, l1 = _mean_rates(ystar, drivers, p, np)
        y1 = _expstep(y, 0.5 * (p0 + p1), 0.5 * (l0 + l1), dt_h, np)
        if not np.all(np.isfinite(y1)):
            raise SolverError("non-finite state while finding the untreated steady state")
        done = np.max(np.abs(y1 - y) / (np.abs(y) + 1e-3)) < rtol
        y = y1
        if done:
            break
    return y
