"""Benchmark of the neuroimmune system (not a timed test): one patient-year, nightly LDN, daily output.

Run: ``.venv/bin/python bench/bench_system.py [--repeats N] [--patients N] [--no-jax]``. Prints one JSON
document with medians (ms):

* ``simulate_ms``: ``ldnsim.simulate`` end to end (PK on the hourly grid, occupancy, steady state,
  integration, Dataset) for one patient-year;
* ``integrate_numpy_ms``: the system integration alone (numpy, Python loop over 365 daily steps);
* ``integrate_numpy_per_patient_ms``: the same vectorised over ``--patients`` patients, per patient;
* ``integrate_jax_ms``: the same pure step function under ``jax.jit`` + ``lax.scan`` (after compile).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def _median_ms(fn, repeats: int) -> float:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--no-jax", action="store_true")
    a = ap.parse_args(argv)

    from ldnsim.engines.reference import pk_drivers
    from ldnsim.model import untreated_start
    from ldnsim.regimen import Regimen
    from ldnsim.simulate import simulate
    from ldnsim.system import condition_params, integrate, resolve_params

    regimen = "naltrexone 4.5 mg nightly for 52 weeks"
    simulate(regimen, days=5)  # imports, drug files
    out: dict = {"case": "fibromyalgia, naltrexone 4.5 mg nightly, 365 days, daily output, dt 24 h, n_sub 24"}
    out["simulate_ms"] = _median_ms(lambda: simulate(regimen, days=365), a.repeats)

    def prepare(n):
        cond = condition_params("fibromyalgia")
        p = resolve_params(cond, n)
        t = (np.arange(365 * 24) + 0.5)
        ev = Regimen.parse(regimen).events(365 * 24)
        base, y0 = untreated_start(cond, p, n)
        drivers, _, _ = pk_drivers(ev, t, None, None, p, base, n)
        return y0, drivers, p

    y0, drivers, p = prepare(1)
    out["integrate_numpy_ms"] = _median_ms(lambda: integrate(y0, drivers, p), a.repeats)
    yn, dn, pn = prepare(a.patients)
    out["patients"] = a.patients
    per = _median_ms(lambda: integrate(yn, dn, pn), max(1, a.repeats // 2))
    out["integrate_numpy_per_patient_ms"] = per / a.patients
    if not a.no_jax:
        try:
            ms, compile_ms, diff = _jax(y0, drivers, p, a.repeats)
            out.update(integrate_jax_ms=ms, jax_compile_ms=compile_ms, jax_max_abs_diff_pain=diff)
        except ImportError:
            out["integrate_jax_ms"] = None
    print(json.dumps(out, indent=1))
    return out


def _jax(y0, drivers, p, repeats):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    from ldnsim.system import integrate, step

    n_sub = 24
    n_steps = drivers["mu_antagonist"].shape[0] // n_sub
    d = {k: jnp.asarray(np.asarray(v).reshape(n_steps, n_sub, -1)) for k, v in drivers.items()}
    pj = {k: jnp.asarray(v) for k, v in p.items()}

    @jax.jit
    def run(y, d, pj):
        def body(y, dk):
            y1, o = step(y, dk, pj, 24.0, jnp)
            return y1, o["pain_nrs"]

        return jax.lax.scan(body, y, d)

    t = time.perf_counter()
    jax.block_until_ready(run(jnp.asarray(y0), d, pj))
    compile_ms = (time.perf_counter() - t) * 1e3
    ms = _median_ms(lambda: jax.block_until_ready(run(jnp.asarray(y0), d, pj)), repeats)
    pain_jax = np.asarray(run(jnp.asarray(y0), d, pj)[1])
    pain_np = integrate(y0, drivers, p)["pain_nrs"]
    return ms, compile_ms, float(np.max(np.abs(pain_jax - pain_np)))


if __name__ == "__main__":
    main()
