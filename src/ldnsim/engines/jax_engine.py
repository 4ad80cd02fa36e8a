"""The jax engine (extra ``ldnsim[gpu]``): the numpy engine's algorithm with the slow-state macro-step and its
error estimate jit-compiled (float64) — on a GPU where jax has one, on the CPU otherwise.

What runs where: per chunk, patient sampling, PK set-up (modal form), the untreated steady state and the
driver samples are the shared numpy code (identical inputs on every engine); the bulk of the work — the
full macro-step, the two half steps and the error norm for every patient — is one jitted function called
once per macro-step. The few patients whose error exceeds the tolerance (a few percent of patient-steps at
the default tolerance) are refined with the numpy engine's own recursion on that subset, so every patient
gets exactly the numpy engine's sequence of steps (a masked refinement inside jit would compute every
level for every patient).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import numpy as np

from ..errors import InputError, LdnsimError
from ._base import Engine, Problem, Result, error_norm, register_engine
from .numpy_engine import run_in_process

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


def _make_level0(step: Any, dt: float, rtol: float, atol: float, readout: str = "pain_nrs") -> Any:
    """The jitted bulk of a macro-step: full step, two half steps and the error norm, for every patient."""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def level0(y, d, p):
        y_full, o_full = step(y, d, p, dt, jnp)
        n_s = next(iter(d.values())).shape[0]
        if n_s < 2 or n_s % 2:
            return y_full, o_full[readout], jnp.zeros(y.shape[0])
        h = n_s // 2
        y_a, _ = step(y, {k: v[:h] for k, v in d.items()}, p, 0.5 * dt, jnp)
        y_b, _ = step(y_a, {k: v[h:] for k, v in d.items()}, p, 0.5 * dt, jnp)
        return y_full, o_full[readout], error_norm(y, y_full, y_b, rtol, atol, jnp)

    return level0


class JaxEngine(Engine):
    """jit-compiled engine (float64). ``device``: ``"cpu"``, ``"gpu"`` or ``None`` (jax's default).

    ``mode``: ``"hybrid"`` (one jitted macro-step per day, drivers and refinement in numpy — the faster on a
    CPU), ``"fused"`` (the whole schedule in one ``lax.scan`` on the device, :mod:`._jax_fused`; bolus
    schedules only, others fall back to hybrid) or ``"auto"`` (fused on a GPU, hybrid otherwise).
    """

    name = "jax"

    def __init__(self, device: str | None = None, trace_memory: bool = False, progress: bool = False,
                 mode: str = "auto"):
        if mode not in ("auto", "hybrid", "fused"):
            raise InputError("mode", "unknown jax engine mode", accepted="auto, hybrid, fused", value=mode)
        self.device = device
        self.trace_memory = trace_memory
        self.progress = progress
        self.mode = mode
        self._cache: dict[tuple, Any] = {}
        self._fused_cache: dict[tuple, Any] = {}

    def _device(self) -> Any:
        import jax

        if self.device is None:
            return None
        devs = [d for d in jax.devices() if d.platform == self.device] if self.device != "cpu" else \
            jax.devices("cpu")
        if not devs:
            raise LdnsimError(f"jax engine: no {self.device} device")
        return devs[0]

    def uses_fused(self, problem: Problem) -> bool:
        """Whether :meth:`run` takes the fused path for ``problem``."""
        from ._jax_fused import fused_supported

        if self.mode == "hybrid" or not fused_supported(problem):
            return False
        if self.mode == "fused":
            return True
        dev = self._device()
        return dev.platform == "gpu" if dev is not None else gpu_available()

    def available(self) -> bool:
        return jax_available()

    def _advance_fn(self, problem: Problem) -> Any:
        import jax
        import jax.numpy as jnp

        from ._base import advance

        jax.config.update("jax_enable_x64", True)
        m = problem.model
        readout = getattr(m, "readout", "pain_nrs")  # the step output reported (ldnsim.immune: its outputs)
        key = (id(m), problem.rtol, problem.atol, m.n_sub, m.dt_h, readout)
        fn = self._cache.get(key)
        if fn is None:
            fn = _make_level0(m.step, m.dt_h, problem.rtol, problem.atol, readout)
            self._cache[key] = fn
        dev = self._device()
        put = partial(jax.device_put, device=dev) if dev is not None else jnp.asarray
        max_level = problem.max_level
        rtol, atol = problem.rtol, problem.atol
        cache: dict[int, Any] = {}

        def wrapped(y, d, p, dt):
            pj = cache.get(id(p))
            if pj is None:
                pj = {k: put(jnp.asarray(np.asarray(v, dtype=float))) for k, v in p.items()}
                cache.clear()
                cache[id(p)] = pj
            y_full, pain, err = fn(put(jnp.asarray(y)), {k: put(jnp.asarray(v)) for k, v in d.items()}, pj)
            y_full, pain = np.array(y_full), np.array(pain)
            n_s = next(iter(d.values())).shape[0]
            bad = np.nonzero(np.asarray(err) > 1.0)[0]
            if max_level < 1 or bad.size == 0 or n_s < 2 or n_s % 2:
                return y_full, pain, 0
            # the few patients that need smaller steps: the numpy engine's refinement on that subset
            h = n_s // 2
            yb = np.asarray(y)[bad]
            sub_p = {k: (np.asarray(v)[bad] if np.ndim(v) else v) for k, v in p.items()}
            d_a = {k: np.asarray(v)[:h, bad] for k, v in d.items()}
            d_b = {k: np.asarray(v)[h:, bad] for k, v in d.items()}
            y1, p1, r1 = advance(m.step, yb, d_a, sub_p, 0.5 * dt, rtol, atol, np, 1, max_level,
                                 readout=readout)
            y2, p2, r2 = advance(m.step, y1, d_b, sub_p, 0.5 * dt, rtol, atol, np, 1, max_level,
                                 readout=readout)
            y_full[bad] = y2
            pain[bad] = 0.5 * (p1 + p2)
            return y_full, pain, int(bad.size) + r1 + r2

        return wrapped

    def warmup(self, problem: Problem) -> float:
        """Compile for ``problem``'s first chunk shape (one macro-step on real inputs, or the fused path on
        one patient padded to the chunk size); returns seconds."""
        from dataclasses import replace

        from ._base import patient_blocks

        t0 = time.perf_counter()
        if self.uses_fused(problem):
            self.run(replace(problem, n_patients=1, reducer=None))
            return time.perf_counter() - t0
        adv = self._advance_fn(problem)
        stop = min(problem.n_patients, problem.chunk_size)
        chunk = problem.model.setup(patient_blocks(problem.model, problem.seed, 0, stop))
        adv(chunk.y0, chunk.drivers(0), chunk.p, problem.model.dt_h)
        return time.perf_counter() - t0

    def run(self, problem: Problem, *, progress: bool | None = None) -> Result:
        if not jax_available():
            raise LdnsimError("the jax engine needs jax: pip install 'ldnsim[gpu]'")
        show = self.progress if progress is None else progress
        if self.uses_fused(problem):
            from ._jax_fused import run_chunk_fused

            dev = self._device()
            return run_in_process(self, problem, None, show, chunk_fn=lambda pr, a, b: run_chunk_fused(
                pr, a, b, self._fused_cache, dev))
        return run_in_process(self, problem, self._advance_fn(problem), show)


register_engine("jax", JaxEngine)
