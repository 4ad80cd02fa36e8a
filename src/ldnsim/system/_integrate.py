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
from ._rhs import ALGEBRAIC_NAMES, STATE_NAMES, algebra, production_loss, production_loss_terms, rhs

__all__ = ["step", "step_pair", "integrate", "steady_state", "OUTPUT_ALGEBRA"]

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
    if xp is np:
        return _np_means(_np_terms(y, d, p), y.shape)
    prod, loss = production_loss(y, d, p, xp)
    return xp.mean(prod, axis=0), xp.mean(loss, axis=0)


def _np_terms(y: np.ndarray, d: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[tuple, tuple]:
    """numpy: the production/loss terms at state ``y`` (P, n_states) for every driver sample, unstacked."""
    prod, loss, _ = production_loss_terms(y, d, p, np)
    return prod, loss


def _np_means(terms: tuple[tuple, tuple], shape: tuple[int, ...],
              sl: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Means over the driver samples (axis 0, or the samples ``sl``) of each term, stacked (P, n_states).

    The same numbers as ``mean(stack(terms + zeros), axis=0)`` (the sum over samples runs in the same order),
    without building the (n_sub, P, n_states) stack; a term without a sample axis is its own mean.
    """
    ndim = len(shape)
    out = []
    for group in terms:
        res = np.empty(shape)
        for i, v in enumerate(group):
            v = np.asarray(v)
            if v.ndim == ndim:  # (n_sub, P): depends on a driver; the sum and division of numpy's mean
                v = v if sl is None or v.shape[0] == 1 else v[sl]
                np.divide(np.add.reduce(v, axis=0), v.shape[0], out=res[..., i])
            else:
                res[..., i] = v
        out.append(res)
    return out[0], out[1]


def _n_sub(d: Mapping[str, Any]) -> int:
    return max(np.shape(v)[0] for v in d.values())


def step(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float, xp: Any) -> tuple[Any, dict]:
    """One macro-step. ``y`` (n_patients, n_states); each driver ``(n_sub, n_patients)``.

    Returns the new state and the algebraic outputs averaged over the step (each (n_patients,)),
    evaluated at the sub-step midpoints with the state interpolated linearly across the step.
    """
    y1 = _heun(y, d, p, dt, xp)
    return y1, _outputs(y, y1, d, p, xp)


def step_pair(y: np.ndarray, d: Mapping[str, Any], p: Mapping[str, Any], dt: float,
              halves: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """numpy: :func:`step` over ``dt`` and, for the error control of the engines, the same interval as two
    half steps (each on its half of the driver samples). Returns (y_full, mean pain over the full step,
    y after the two half steps, or ``None`` with ``halves=False``).

    The same numbers as ``step(y, d, …)`` and ``step(step(y, d[:h], …, dt/2), d[h:], …, dt/2)``, with
    less work: the rates at ``y`` are evaluated once for all samples (the first half step averages the
    first half of them), the half steps compute no outputs, and only the pain readout is averaged.
    Drivers may be ``(n_sub, P)`` or, where constant over the step, ``(1, P)``.
    """
    n = _n_sub(d)
    t0 = _np_terms(y, d, p)
    y_full = _heun(y, d, p, dt, np, first=_np_means(t0, y.shape))
    w = (np.arange(n) + 0.5) / n
    yi = y[None, :, :] + (y_full - y)[None, :, :] * w[:, None, None]
    pain = np.mean(algebra(yi, d, p, np)["pain_nrs"] + np.zeros((n, y.shape[0])), axis=0)
    if not halves:
        return y_full, pain, None
    h = n // 2
    d_a = {k: (v[:h] if v.shape[0] == n else v) for k, v in d.items()}
    d_b = {k: (v[h:] if v.shape[0] == n else v) for k, v in d.items()}
    half = 0.5 * dt
    y_a = _heun(y, d_a, p, half, np, first=_np_means(t0, y.shape, slice(0, h)))
    return y_full, pain, _heun(y_a, d_b, p, half, np)


def _outputs(y0: Any, y1: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any, mean: bool = True) -> Any:
    n_sub = max(v.shape[0] for v in d.values())
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
    n_pat = y.shape[0]
    d_steps = {k: np.asarray(v).reshape(n_steps, n_sub, n_pat) for k, v in drivers.items()}
    # a driver that is zero throughout (no analyte acts on it) as (n_steps, 1, n_pat): less work, same numbers
    d_steps = {k: (np.zeros((n_steps, 1, n_pat)) if n_sub > 1 and not np.any(v) else v)
               for k, v in d_steps.items()}
    states = np.empty((n_steps + 1, *y.shape))
    states[0] = y
    for n in range(n_steps):
        y = _heun(y, {k: v[n] for k, v in d_steps.items()}, p, dt_h, xp)
        states[n + 1] = y
    if not np.all(np.isfinite(y)):
        _check_finite({"states": states}, dt_h, n_sub, hourly, outputs=())
    # the algebraic outputs of all steps at once, in chunks of steps (bounded memory)
    w = (np.arange(n_sub) + 0.5) / n_sub
    outs: dict[str, list] = {k: [] for k in OUTPUT_ALGEBRA}
    chunk = max(1, 4_000_000 // max(1, n_sub * n_pat * 40))
    for a in range(0, n_steps, chunk):
        b = min(n_steps, a + chunk)
        s0, s1 = states[a:b], states[a + 1: b + 1]
        yi = s0[:, None] + (s1 - s0)[:, None] * w[None, :, None, None]  # (steps, n_sub, n_pat, n_states)
        alg = algebra(yi, {k: v[a:b] for k, v in d_steps.items()}, p, xp)
        for k in OUTPUT_ALGEBRA:
            outs[k].append(alg[k].reshape(-1, n_pat) if hourly else alg[k].mean(axis=1))
    res: dict[str, np.ndarray] = {"states": states, "states_mean": 0.5 * (states[1:] + states[:-1])}
    for k in OUTPUT_ALGEBRA:
        res[k] = np.concatenate(outs[k], axis=0)
    _check_finite(res, dt_h, n_sub, hourly)
    return res


def _check_finite(res: Mapping[str, np.ndarray], dt_h: float, n_sub: int, hourly: bool,
                  outputs: tuple[str, ...] = OUTPUT_ALGEBRA) -> None:
    st = res["states"]
    bad = ~np.isfinite(st)
    if bad.any():
        t_idx, pat, s_idx = np.argwhere(bad)[0]
        raise SolverError(
            f"non-finite state {STATE_NAMES[s_idx]!r} for patient {pat} at t = {t_idx * dt_h:g} h; "
            "check the parameters (rates and gains must be finite and non-negative)"
        )
    for k in outputs:
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
    relax_steps: int = 20,
    relax_dt_h: float = 96.0,
    max_newton: int = 12,
    max_steps: int = 300,
    rtol: float = 1e-9,
) -> np.ndarray:
    """The untreated steady state reached from ``y0`` under constant drivers (each ``(1, n_patients)``).

    1. Relax: ``relax_steps`` exponential steps of ``relax_dt_h`` (≈ 80 days) carry the state into
       the basin of the attractor it belongs to (starting on the chronic branch it stays there; it
       leaves only where the patient's parameters have no high branch).
    2. Polish: damped Newton on ``dy/dt = 0`` with a finite-difference Jacobian, all perturbations
       of all patients evaluated in one vectorised call. A patient whose Newton result is not a
       stable fixed point (or does not converge) falls back to long exponential steps, whose fixed
       points are exactly the ODE's.

    Raises :class:`~ldnsim.errors.SolverError` on a non-finite state.
    """
    y = np.asarray(y0, dtype=float)
    for _ in range(relax_steps):
        y = _heun(y, drivers, p, relax_dt_h, np)
    if not np.all(np.isfinite(y)):
        raise SolverError("non-finite state while finding the untreated steady state")
    y_newton, ok = _newton(y, drivers, p, max_newton)
    y = np.where(ok[:, None], y_newton, y)
    if not ok.all():
        bad = ~ok
        sub_p = {k: (v[bad] if np.ndim(v) else v) for k, v in p.items()}
        sub_d = {k: v[:, bad] for k, v in drivers.items()}
        yb = y[bad]
        for dt, n in ((1000.0, max_steps // 3), (1.0e5, max_steps)):
            for _ in range(n):
                y1 = _heun(yb, sub_d, sub_p, dt, np)
                done = np.max(np.abs(y1 - yb) / (np.abs(yb) + 1e-3)) < rtol
                yb = y1
                if done:
                    break
        y = y.copy()
        y[bad] = yb
    if not np.all(np.isfinite(y)):
        raise SolverError("non-finite state while finding the untreated steady state")
    return y


def _heun(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float, xp: Any,
          first: tuple[Any, Any] | None = None) -> Any:
    """The exponential Heun step (module docstring) over ``dt``: rates at ``y`` (or ``first``, where the
    caller has already averaged them) give ``y*``; the mean of the rates at ``y`` and ``y*`` give the step."""
    p0, l0 = _mean_rates(y, d, p, xp) if first is None else first
    ystar = _expstep(y, p0, l0, dt, xp)
    p1, l1 = _mean_rates(ystar, d, p, xp)
    return _expstep(y, 0.5 * (p0 + p1), 0.5 * (l0 + l1), dt, xp)


def _newton(y: np.ndarray, d: Mapping[str, np.ndarray], p: Mapping[str, np.ndarray],
            max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised damped Newton for f(y) = 0; returns (y, converged-and-stable per patient)."""
    n_pat, n_s = y.shape
    eye = np.eye(n_s)
    d1 = {k: v[0] for k, v in d.items()}  # (n_pat,) drivers, broadcast against (n_s+1, n_pat)
    ok = np.zeros(n_pat, dtype=bool)
    jac = np.zeros((n_pat, n_s, n_s))
    for _ in range(max_iter):
        h = 1e-7 * np.maximum(np.abs(y), 1e-2)
        ys = np.concatenate([y[None], y[None] + eye[:, None, :] * h[None]], axis=0)
        f = rhs(ys, d1, p, np)
        f0 = f[0]
        jac = ((f[1:] - f0[None]) / h.T[:, :, None]).transpose(1, 2, 0)  # (n_pat, n_s, n_s): df_i/dy_j
        try:
            dy = np.linalg.solve(jac, -f0[..., None])[..., 0]
        except np.linalg.LinAlgError:
            return y, ok
        scale = np.abs(y) + 1e-3
        step_max = np.max(np.abs(dy) / scale, axis=1, keepdims=True)
        y = y + dy * np.minimum(1.0, 0.5 / np.maximum(step_max, 1e-300))
        if np.all(np.max(np.abs(dy) / scale, axis=1) < 1e-10):
            break
    f0 = rhs(y, d1, p, np)
    res = np.max(np.abs(f0) / (np.abs(y) + 1e-3), axis=1)
    eig = np.linalg.eigvals(jac).real.max(axis=1)
    ok = np.isfinite(res) & (res < 1e-12) & (eig < 0) & np.all(y >= -1e-12, axis=1)
    return y, ok
