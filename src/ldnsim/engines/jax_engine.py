"""The jax engine (extra ``ldnsim[gpu]``): the numpy engine's algorithm with the slow-state macro-step and its
error control jit-compiled (float64) — on a GPU where jax has one, on the CPU otherwise.

What runs where: per chunk, patient sampling, PK set-up (modal form), the untreated steady state and the
driver samples are the shared numpy code (identical inputs on every engine); the expensive part — the
system step, its step-doubling error estimate and the per-patient refinement — is one jitted function called
once per macro-step. The refinement is written with masks instead of patient subsets (``lax.cond`` skips a
level when no patient needs it), which gives every patient exactly the numpy engine's sequence of steps.
"""

from __future__ import annotations

import time
import tracemalloc
from functools import partial
from typing import Any

import numpy as np

from ..errors import LdnsimError
from ._base import Engine, Problem, Result, register_engine
from .numpy_engine import _progress, _strip, assemble, run_chunk

__all__ = ["JaxEngine", "jax_available", "gpu_available"]


def jax_available() -> bool:
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


def gpu_available() -> bool:
    if not jax_available():
        return False
    import jax

    try:
        return any(d.platform == "gpu" for d in jax.devices())
    except RuntimeError:
        return False


def _make_advance(step: Any, dt: float, rtol: float, atol: float, max_level: int, n_sub: int) -> Any:
    import jax
    import jax.numpy as jnp

    def adv(y, d, p, dt_, level, active):
        y_full, o_full = step(y, d, p, dt_, jnp)
        pain = o_full["pain_nrs"]
        n_s = next(iter(d.values())).shape[0]
        if level >= max_level or n_s < 2 or n_s % 2:
            return y_full, pain, jnp.zeros((), jnp.int64)
        h = n_s // 2
        d_a = {k: v[:h] for k, v in d.items()}
        d_b = {k: v[h:] for k, v in d.items()}
        y_a, _ = step(y, d_a, p, 0.5 * dt_, jnp)
        y_b, _ = step(y_a, d_b, p, 0.5 * dt_, jnp)
        scale = atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_full))
        err = jnp.max(jnp.abs(y_full - y_b) / scale, axis=-1)
        bad = (err > 1.0) & active

        def refine(_):
            y1, p1, r1 = adv(y, d_a, p, 0.5 * dt_, level + 1, bad)
            y2, p2, r2 = adv(y1, d_b, p, 0.5 * dt_, level + 1, bad)
            yy = jnp.where(bad[:, None], y2, y_full)
            pp = jnp.where(bad, 0.5 * (p1 + p2), pain)
            return yy, pp, jnp.sum(bad).astype(jnp.int64) + r1 + r2

        def keep(_):
            return y_full, pain, jnp.zeros((), jnp.int64)

        return jax.lax.cond(jnp.any(bad), refine, keep, None)

    @jax.jit
    def advance(y, d, p):
        active = jnp.ones(y.shape[0], dtype=bool)
        return adv(y, d, p, dt, 0, active)

    return advance


class JaxEngine(Engine):
    """jit-compiled engine (float64). ``device``: ``"cpu"``, ``"gpu"`` or ``None`` (jax's default)."""

    name = "jax"

    def __init__(self, device: str | None = None, trace_memory: bool = False, progress: bool = False):
        self.device = device
        self.trace_memory = trace_memory
        self.progress = progress
        self._cache: dict[tuple, Any] = {}

    def available(self) -> bool:
        return jax_available()

    def _advance_fn(self, problem: Problem) -> Any:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        m = problem.model
        key = (id(m), problem.rtol, problem.atol, problem.max_level, m.n_sub, m.dt_h)
        fn = self._cache.get(key)
        if fn is None:
            fn = _make_advance(m.step, m.dt_h, problem.rtol, problem.atol, problem.max_level, m.n_sub)
            self._cache[key] = fn
        dev = None
        if self.device is not None:
            devs = [d for d in jax.devices() if d.platform == self.device] if self.device != "cpu" else \
                jax.devices("cpu")
            if not devs:
                raise LdnsimError(f"jax engine: no {self.device} device")
            dev = devs[0]
        put = partial(jax.device_put, device=dev) if dev is not None else jnp.asarray

        def wrapped(y, d, p, dt):
            yj = put(jnp.asarray(y))
            dj = {k: put(jnp.asarray(v)) for k, v in d.items()}
            pj = wrapped.p_cache.get(id(p))
            if pj is None:
                pj = {k: put(jnp.asarray(np.asarray(v, dtype=float))) for k, v in p.items()}
                wrapped.p_cache = {id(p): pj}
            y1, pain, r = fn(yj, dj, pj)
            return y1, np.asarray(pain), int(r)

        wrapped.p_cache = {}
        return wrapped

    def warmup(self, problem: Problem) -> float:
        """Compile for ``problem``'s first chunk shape (one macro-step on real inputs); returns seconds."""
        from ._base import patient_blocks

        t0 = time.perf_counter()
        adv = self._advance_fn(problem)
        stop = min(problem.n_patients, problem.chunk_size)
        chunk = problem.model.setup(patient_blocks(problem.model, problem.seed, 0, stop))
        adv(chunk.y0, chunk.drivers(0), chunk.p, problem.model.dt_h)
        return time.perf_counter() - t0

    def run(self, problem: Problem, *, progress: bool | None = None) -> Result:
        if not jax_available():
            raise LdnsimError("the jax engine needs jax: pip install 'ldnsim[gpu]'")
        show = self.progress if progress is None else progress
        adv = self._advance_fn(problem)
        t0 = time.perf_counter()
        if self.trace_memory:
            tracemalloc.start()
        try:
            parts = []
            bar = _progress(show, problem.n_patients)
            for start, stop in problem.chunks():
                parts.append(_strip(problem, run_chunk(problem, start, stop, advance_fn=adv)))
                bar(stop - start)
            peak = tracemalloc.get_traced_memory()[1] / 2**20 if self.trace_memory else 0.0
        finally:
            if self.trace_memory:
                tracemalloc.stop()
        res = assemble(problem, parts, self.name)
        res.wall_s = time.perf_counter() - t0
        res.peak_mib = peak
        return res


register_engine("jax", JaxEngine)
