"""The jax engine's fused path: a chunk's whole schedule in one ``lax.scan`` on the device.

The hybrid path (:mod:`.jax_engine`) jit-compiles one macro-step and leaves the driver samples, the refinement
of the few patients that need smaller steps and the reductions to numpy, with a host round trip per day —
fine on a CPU, a bottleneck on a GPU. Here everything after the chunk's set-up runs on the device:

* **drivers**: the modal PK amplitudes ``z`` (patients × modes) are carried from day to day; a day's boluses
  come from a padded table (offset in the day, input, mg) built once per model, so the effect-site
  concentrations at the day's sample times are ``cm · (z·e^{λs} + Σ_b [o_b ≤ s] inc_b·e^{λ(s − o_b)})`` —
  the numpy engine's exact propagation, regrouped — and the receptor algebra (:func:`.model.occupancy_xp`)
  turns them into the system's drivers;
* **error control**: :func:`._base.advance`'s step doubling as masked refinement — every level is computed
  for every patient and ``jnp.where`` keeps, per patient, exactly the step numpy's recursion accepts
  (``lax.cond`` skips a level no patient needs), so each patient gets the same sequence of steps;
* **reductions** in the scan carry: daily population sums, the endpoint days, the refined-step count and the
  first non-finite day.

Supported: macro-steps of 24 h and bolus doses (immediate-release tablets, liquids, IV boluses); a schedule
with zero-order inputs (patches, infusions, release_h) uses the hybrid path. The chunk's set-up (sampling,
modal PK, the untreated steady state) is still numpy on the host (docs/engines.md, "The GPU target").
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from ..errors import SolverError
from ..model import driver_values
from ._base import Problem, error_norm, patient_blocks
from .numpy_engine import with_baseline

__all__ = ["fused_supported", "run_chunk_fused", "bolus_table"]


def bolus_table(model: Any, pk: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Per macro-step boluses as (offset_h (steps, B), input index (steps, B), mg (steps, B)), padded with
    zero doses; ``None`` where the schedule has a zero-order input (the fused path does not take those)."""
    keys = list(pk._bm)
    dt = float(model.dt_h)
    per_step: dict[int, list[tuple[float, int, float]]] = {}
    for e in pk.events:
        key = f"{e.drug}/{e.formulation}"
        if float(e.duration_h or 0.0) > 0.0 or float(pk.rel.get(key, 0.0)) > 0.0:
            return None
        t0 = float(e.time_h) + float(pk.lag.get(key, 0.0))
        k = int(math.floor(t0 / dt))
        if k >= model.steps or k < 0:
            continue
        per_step.setdefault(k, []).append((t0 - k * dt, keys.index(key), float(e.dose_mg)))
    B = max((len(v) for v in per_step.values()), default=1)
    off = np.zeros((model.steps, B))
    idx = np.zeros((model.steps, B), dtype=np.int32)
    mg = np.zeros((model.steps, B))
    for k, rows in per_step.items():
        for b, (o, i, m) in enumerate(sorted(rows)):
            off[k, b], idx[k, b], mg[k, b] = o, i, m
    return off, idx, mg


def fused_supported(problem: Problem) -> bool:
    """Whether :func:`run_chunk_fused` can run ``problem`` (24-h steps, even sample count, bolus doses)."""
    from ..pk import load_drug

    m = problem.model
    if not hasattr(m, "setup") or float(getattr(m, "dt_h", 0.0)) != 24.0 or not getattr(m, "events", None):
        return False
    for e in m.events:  # zero-order inputs: an infusion's duration or a formulation's release time
        fo = load_drug(e.drug).formulations[e.formulation]
        if float(e.duration_h or 0.0) > 0.0 or (fo.release_h is not None and fo.release_h.value > 0.0):
            return False
    return int(m.n_sub) >= 2 and int(m.n_sub) % 2 == 0


def _advance(step: Any, y: Any, d: dict, p: dict, dt: float, rtol: float, atol: float, level: int,
             max_level: int) -> tuple[Any, Any, Any]:
    """Masked :func:`._base.advance`: (y_new, mean pain, refined patient-steps per patient)."""
    import jax
    import jax.numpy as jnp

    n_s = next(iter(d.values())).shape[0]
    y_full, out = step(y, d, p, dt, jnp)
    pain = out["pain_nrs"]
    zero = jnp.zeros(y.shape[0], dtype=jnp.int32)
    if level >= max_level or n_s < 2 or n_s % 2:
        return y_full, pain, zero
    h = n_s // 2
    d_a = {k: v[:h] for k, v in d.items()}
    d_b = {k: v[h:] for k, v in d.items()}
    y_a, _ = step(y, d_a, p, 0.5 * dt, jnp)
    y_b, _ = step(y_a, d_b, p, 0.5 * dt, jnp)
    bad = error_norm(y, y_full, y_b, rtol, atol, jnp) > 1.0

    def refine(_: Any) -> tuple[Any, Any, Any]:
        y1, p1, r1 = _advance(step, y, d_a, p, 0.5 * dt, rtol, atol, level + 1, max_level)
        y2, p2, r2 = _advance(step, y1, d_b, p, 0.5 * dt, rtol, atol, level + 1, max_level)
        return (jnp.where(bad[:, None], y2, y_full), jnp.where(bad, 0.5 * (p1 + p2), pain),
                jnp.where(bad, 1 + r1 + r2, 0).astype(jnp.int32))

    def keep(_: Any) -> tuple[Any, Any, Any]:
        return y_full, pain, zero

    return jax.lax.cond(jnp.any(bad), refine, keep, None)


def _make_chunk_fn(model: Any, problem: Problem, consts_static: dict, driver_names: tuple[str, ...],
                   analytes: tuple[str, ...]) -> Any:
    import jax
    import jax.numpy as jnp

    n_sub = int(model.n_sub)
    dt = float(model.dt_h)
    s = (np.arange(n_sub) + 0.5) * (dt / n_sub)
    ep_days = np.asarray(problem.endpoint_days, dtype=np.int32)
    rtol, atol, max_level = float(problem.rtol), float(problem.atol), int(problem.max_level)
    step = model.step

    def drivers(z, lam, cm_eff, bm, off, idx, mg, ic50, K_uld_pM):
        # modal amplitudes at the samples: the day's start state plus the boluses given before each sample
        e_s = jnp.exp(lam[None] * s[:, None, None])  # (n_sub, P, m)
        modal = z[None] * e_s
        inc = bm[idx] * mg[:, None, None]  # (B, P, m)
        lag = s[:, None] - off[None, :]  # (n_sub, B)
        w = jnp.where(lag[:, :, None, None] >= 0.0,
                      jnp.exp(lam[None, None] * jnp.maximum(lag, 0.0)[:, :, None, None]), 0.0)
        modal = modal + jnp.sum(inc[None] * w, axis=1)
        eff = jnp.maximum(jnp.einsum("pom,spm->osp", cm_eff, modal), 0.0)  # (analytes, n_sub, P)
        consts = dict(consts_static, params={**consts_static["params"], "tlr4_ic50_nM": ic50})
        vals = driver_values({a: eff[i] for i, a in enumerate(analytes)}, consts, K_uld_pM, jnp)
        out = {k: jnp.broadcast_to(jnp.asarray(vals[k], dtype=eff.dtype), eff.shape[1:])
               for k in driver_names}
        z_next = z * jnp.exp(lam * dt) + jnp.sum(inc * jnp.exp(lam[None] * (dt - off)[:, None, None]), axis=0)
        return out, z_next

    @jax.jit
    def run(y0, z0, lam, cm_eff, bm, off, idx, mg, ic50, K_uld_pM, p, valid):
        def body(carry, xs):
            y, z, ep, refined, first_bad = carry
            k, off_k, idx_k, mg_k = xs
            d, z = drivers(z, lam, cm_eff, bm, off_k, idx_k, mg_k, ic50, K_uld_pM)
            y, pain, r = _advance(step, y, d, p, dt, rtol, atol, 0, max_level)
            pv = jnp.where(valid, pain, 0.0)
            finite = jnp.all(jnp.isfinite(pv))
            first_bad = jnp.where((first_bad < 0) & ~finite, k, first_bad).astype(jnp.int32)
            ep = jnp.where((ep_days == k)[:, None], pain[None, :], ep)
            refined = refined + jnp.sum(jnp.where(valid, r, 0)).astype(jnp.int32)
            return (y, z, ep, refined, first_bad), (jnp.sum(pv), jnp.sum(pv * pv))

        P = y0.shape[0]
        init = (y0, z0, jnp.zeros((ep_days.size, P)), jnp.int32(0), jnp.int32(-1))
        steps = jnp.arange(model.steps, dtype=jnp.int32)
        (y, _, ep, refined, first_bad), (dsum, dsumsq) = jax.lax.scan(body, init, (steps, off, idx, mg))
        return y, ep, dsum, dsumsq, refined, first_bad

    return run


def _pad(v: Any, n: int, to: int) -> Any:
    """Per-patient arrays (leading axis ``n``) edge-padded to ``to`` patients; anything else unchanged."""
    a = np.asarray(v)
    if to == n or a.ndim == 0 or a.shape[0] != n:
        return v
    return np.concatenate([a, np.repeat(a[-1:], to - n, axis=0)])


def run_chunk_fused(problem: Problem, start: int, stop: int, cache: dict,
                    device: Any = None) -> dict[str, Any]:
    """:func:`.numpy_engine.run_chunk` on the device (same outputs); ``cache`` keeps the compiled function
    (one compilation per chunk shape)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    model = problem.model
    chunk = model.setup(patient_blocks(model, problem.seed, start, stop))
    pk = chunk.pk
    n = stop - start
    size = max(problem.chunk_size, n)
    if cache.get("model") is not model:  # one model at a time; holding it keeps ids from being reused
        cache.clear()
        cache["model"] = model
        cache["table"] = bolus_table(model, pk)
    table = cache["table"]
    if table is None:  # pragma: no cover - guarded by fused_supported + the engine's fallback
        raise SolverError("the fused jax path needs bolus doses only")
    keys = list(pk._bm)
    bm = np.stack([pk._bm[k] for k in keys])  # (inputs, P, m)
    na = len(pk.analytes)
    cm_eff = pk.cm[:, na:, :]
    key = ("fn", size, tuple(problem.endpoint_days), problem.rtol, problem.atol, problem.max_level)
    fn = cache.get(key)
    if fn is None:
        fn = _make_chunk_fn(model, problem, chunk.consts, tuple(model.driver_names), tuple(pk.analytes))
        cache[key] = fn
    put = partial(jax.device_put, device=device) if device is not None else jnp.asarray
    valid = np.arange(size) < n
    args = [
        _pad(chunk.y0, n, size),
        np.zeros((size, pk.lam.shape[-1])),
        _pad(pk.lam, n, size),
        _pad(cm_eff, n, size),
        np.stack([_pad(b, n, size) for b in bm]),
        *table,
        _pad(np.broadcast_to(chunk.ic50, (n,)), n, size),
        _pad(np.broadcast_to(chunk.K_uld_pM, (n,)), n, size),
    ]
    p = {k: put(np.asarray(_pad(v, n, size), dtype=float)) for k, v in chunk.p.items()}
    y, ep, dsum, dsumsq, refined, first_bad = fn(*[put(np.asarray(a)) for a in args], p, put(valid))
    if int(first_bad) >= 0:
        raise SolverError(f"non-finite pain for a patient in {start}…{stop - 1} on day {int(first_bad)}")
    y = np.asarray(y)[:n]
    if not np.all(np.isfinite(y)):
        raise SolverError("non-finite state at the end of the run (solver failure)")
    return with_baseline(problem, chunk, {
        "start": start, "stop": stop, "pain_endpoints": np.asarray(ep)[:, :n].T.copy(), "final_state": y,
        "day_sum": np.asarray(dsum, dtype=float), "day_sumsq": np.asarray(dsumsq, dtype=float),
        "refined": int(refined)})
