"""Benchmark of the whole model (issue 5): every available engine and libRoadRunner on ldnsim's exported SBML
of the same model and population, measured in one run.

Workload: fibromyalgia virtual patients (``ldnsim.population``: IIV, covariates, ESR), naltrexone 4.5 mg
nightly for ``days`` days, daily mean pain. The default of 56 days keeps ``make bench`` to minutes; every
figure is per patient-year. Engines run the same :class:`ldnsim.engines.Problem` (same seed, tolerances,
chunks); jax's compile time and dask's worker start-up are excluded and reported. libRoadRunner runs the
first patients of the same population through one compiled SBML model of the whole model (their PK, system
parameters and steady start set as parameters; compile time excluded and reported), CVODE at rtol 1e-6,
atol 1e-10.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

REGIMEN = "naltrexone 4.5 mg nightly"
CONDITION = "fibromyalgia"


def _model(days: int) -> Any:
    from ldnsim.engines import LdnModel

    return LdnModel(REGIMEN, CONDITION, days=days)


def run_engine(name: str, problem: Any, **options: Any) -> tuple[Any, dict[str, Any]]:
    from ldnsim.engines import get_engine

    eng = get_engine(name, **options)
    extra: dict[str, Any] = {}
    if name == "numpy":  # imports and data files loaded before timing (as the others' start-up is excluded)
        from ldnsim.engines import Problem

        eng.run(Problem(problem.model, n_patients=1, endpoint_days=(0,)))
    try:
        if name == "jax":
            extra["compile_s"] = eng.warmup(problem)
        if name == "dask":
            t0 = time.perf_counter()
            eng.warmup(problem.model)
            extra["startup_s"] = time.perf_counter() - t0
        res = eng.run(problem)
    finally:
        if hasattr(eng, "close"):
            eng.close()
    return res, extra


def run_roadrunner(model: Any, n: int, seed: int, days: int, rtol: float = 1e-6, atol: float = 1e-10) -> dict:
    """The first ``n`` patients of the engines' population through libRoadRunner (one compiled model)."""
    import roadrunner

    from ldnsim.engines import patient_blocks
    from ldnsim.sbml import full_model_spec, pk_patient_values, sbml_string

    pats = patient_blocks(model, seed, 0, n)
    chunk = model.setup(pats)
    spec, info = full_model_spec(model.events, days=days, condition=model.condition)
    t0 = time.perf_counter()
    rr = roadrunner.RoadRunner(sbml_string(spec))
    load_s = time.perf_counter() - t0
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.max_steps = 10**6
    t_mid = np.concatenate([(np.arange(days * 24) + 0.5), [days * 24.0]])
    pains = []
    t0 = time.perf_counter()
    for i in range(n):
        rr.resetAll()
        blocks = chunk.pk.blocks
        row = i if next(iter(blocks.values())).A.shape[0] > 1 else 0
        for k, v in pk_patient_values(info, blocks, row).items():
            rr[k] = v
        for k in info["system_params"]:
            rr[k] = float(np.asarray(chunk.p[k])[i])
        for j, name in enumerate(model.state_names):
            rr[name] = float(chunk.y0[i, j])
        res = np.asarray(rr.simulate(times=np.concatenate([[0.0], t_mid]), selections=["time", "pain_nrs"]))
        pains.append(res[1:-1, 1].reshape(days, 24).mean(axis=1))
    wall = time.perf_counter() - t0
    return {"patients": n, "wall_s": wall, "load_s": load_s, "patient_years_per_s": n * days / 365.25 / wall,
            "rtol": rtol, "atol": atol, "day_mean_pain": np.array(pains)}


def bench_system(patients: int = 8192, days: int = 56, seed: int = 1,
                 engines: tuple[str, ...] | None = None, rr_patients: int = 1,
                 dask_workers: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    from ldnsim.engines import Problem, available_engines, max_rel_diff

    model = _model(days)
    # the reference engine (dense PK, fixed step) runs only when named: it is the yardstick of simulate(),
    # not a population engine
    names = list(engines) if engines else [e for e in available_engines() if e != "reference"]
    problem = Problem(model, n_patients=patients, seed=seed)
    doc: dict[str, Any] = {"model": f"{model.name}; daily mean pain; {patients} patients",
                           "patients": patients, "days": days, "engines": {}, "reference": {}, "ratios": {}}
    results = {}
    for name in names:
        if name == "dask":
            for w in dask_workers:
                res, extra = run_engine("dask", problem, n_workers=w)
                key = f"dask-{w}w"
                results[key] = res
                doc["engines"][key] = {"patient_years_per_s": res.patient_years_per_s, "wall_s": res.wall_s,
                                       "peak_mib": None, "workers": w, **extra}
            continue
        opts = {"trace_memory": True} if name.split("-")[0] in ("numpy", "jax") else {}
        if name.startswith("jax-"):  # jax-fused / jax-hybrid: the jax engine's two paths (docs/engines.md)
            opts["mode"] = name.split("-", 1)[1]
        res, extra = run_engine(name.split("-")[0], problem, **opts)
        results[name] = res
        doc["engines"][name] = {"patient_years_per_s": res.patient_years_per_s, "wall_s": res.wall_s,
                                "peak_mib": res.peak_mib, **extra}
    if "dask-1w" in results and "dask-2w" in results:
        one, two = results["dask-1w"].patient_years_per_s, results["dask-2w"].patient_years_per_s
        doc["dask_speedup_2_vs_1"] = two / one
    base = results.get("numpy") or next(iter(results.values()))
    doc["max_endpoint_rel_diff"] = max((max_rel_diff(base, r) for r in results.values()), default=0.0)
    try:
        rr = run_roadrunner(model, rr_patients, seed, days)
        doc["reference"]["libroadrunner"] = {k: v for k, v in rr.items() if k != "day_mean_pain"}
        if base.pain_endpoints is not None:
            # daily pain of the same patients: libRoadRunner (CVODE) vs the default engine tolerance
            ep = list(base.endpoint_days)
            ours = base.pain_endpoints[:rr_patients]
            theirs = rr["day_mean_pain"][:, ep]
            doc["engine_vs_libroadrunner_pain_rel_diff"] = float(np.max(np.abs(ours - theirs) / theirs))
        for k, e in doc["engines"].items():
            doc["ratios"][k] = e["patient_years_per_s"] / rr["patient_years_per_s"]
    except ImportError:
        doc["reference"]["libroadrunner"] = None
    doc["target"] = {"numpy_vs_libroadrunner": 100.0, "dask_2_vs_1": 1.7}
    return doc


def print_system(doc: dict[str, Any]) -> None:
    print(f"Whole model — {doc['model']}, {doc['days']} days")
    for k, e in doc["engines"].items():
        extra = ", ".join(f"{a} {b:.1f} s" for a, b in e.items() if a in ("compile_s", "startup_s"))
        peak = f"peak {e['peak_mib']:.0f} MiB" if e.get("peak_mib") else "peak n/a"
        ratio = doc["ratios"].get(k)
        rs = f"  ratio {ratio:,.0f}×" if ratio else ""
        print(f"  {k:<12}{e['patient_years_per_s']:>10,.1f} patient-years/s  ({e['wall_s']:.1f} s; {peak}"
              f"{'; ' + extra if extra else ''}){rs}")
    r = doc["reference"].get("libroadrunner")
    if r:
        print(f"  {'libRoadRunner':<12}{r['patient_years_per_s']:>10,.3f} patient-years/s  ({r['patients']} "
              f"patient(s) in {r['wall_s']:.1f} s; model compile {r['load_s']:.1f} s; rtol {r['rtol']:g})")
    if "dask_speedup_2_vs_1" in doc:
        print(f"  dask 2 workers / 1 worker: {doc['dask_speedup_2_vs_1']:.2f}× (target ≥ 1.7×; cores may be "
              "shared)")
    print(f"  max endpoint relative difference between engines: {doc['max_endpoint_rel_diff']:.1e}")
    if "engine_vs_libroadrunner_pain_rel_diff" in doc:
        d = doc["engine_vs_libroadrunner_pain_rel_diff"]
        print(f"  daily pain on the endpoint days, engine (default tolerance) vs libRoadRunner: {d:.1e}")
