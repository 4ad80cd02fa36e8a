"""Benchmark: ldnsim's exact PK + receptor occupancy vs libRoadRunner on ldnsim's exported SBML.

Workload (issue 2): naltrexone 4.5 mg nightly for one year, hourly output (8,761 time points) of plasma and
effect-site concentrations of naltrexone and 6β-naltrexol and μ occupancy, for a population with the drug
file's inter-individual variability. ldnsim runs every patient through the engines' PK path (modal exact PK,
streamed per-patient summaries: mean μ occupancy, hours above 50%, Cmax), and a subset through the public API
(``simulate_pk`` + ``occupancy``, full arrays); libRoadRunner runs a few of the same patients through one
compiled model (patient values set as SBML parameters; model load time excluded) and is extrapolated per
patient-year. Both are timed in the same process, one after the other.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

DAYS = 365
DOSE_MG = 4.5


def _events(days: int) -> list:
    from ldnsim.regimen import DoseEvent

    return [DoseEvent(24.0 * k, "naltrexone", DOSE_MG) for k in range(days)]


def run_ldnsim(n: int, days: int = DAYS, seed: int = 1, chunk: int = 1024) -> dict[str, Any]:
    """The engines' PK path (modal exact PK, occupancy per day-block, streamed per-patient summaries)."""
    from ldnsim.engines.pk import population_pk
    from ldnsim.pk import load_drug, sample_eta

    events = _events(days)
    t = np.linspace(0.0, 24.0 * days, 24 * days + 1)
    eta = sample_eta(load_drug("naltrexone"), n, np.random.default_rng(seed))
    occ_sum = np.zeros(n)
    above = np.zeros(n)
    cmax = np.zeros(n)

    def reduce(sl: slice, blk: dict[str, np.ndarray]) -> None:
        occ = blk["mu_antagonist"]
        occ_sum[sl] += occ.sum(axis=1)
        above[sl] += (occ > 0.5).sum(axis=1)
        np.maximum(cmax[sl], blk["plasma_ng_ml"][:, 0].max(axis=1), out=cmax[sl])

    t0 = time.perf_counter()
    pop = population_pk(events, t[-1] + 1.0, None, eta)
    for a in range(0, n, chunk):  # cache-sized patient blocks
        sl = slice(a, min(n, a + chunk))
        pop.timecourse(t, reducer=lambda i, j, blk, sl=sl: reduce(sl, blk), patients=sl)
    wall = time.perf_counter() - t0
    return {"patients": n, "wall_s": wall, "patient_years_per_s": n * days / 365.0 / wall,
            "mean_mu_occupancy": float(occ_sum.mean() / t.size), "hours_above_50pct_per_day":
            float(above.mean() / days), "cmax_naltrexone_ng_ml": float(cmax.mean()), "eta": eta, "t": t}


def run_public_api(n: int, eta: dict[str, np.ndarray], days: int = DAYS, chunk: int = 250) -> dict[str, Any]:
    """``ldnsim.pk.simulate_pk`` + ``ldnsim.receptors.occupancy`` (full arrays, chunked over patients)."""
    from ldnsim.pk import simulate_pk
    from ldnsim.receptors import occupancy

    events = _events(days)
    t = np.linspace(0.0, 24.0 * days, 24 * days + 1)
    t0 = time.perf_counter()
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        ds = simulate_pk(events, t, None, {k: v[a:b] for k, v in eta.items()})
        eff = ds.effect_nM.values
        occupancy({str(name): eff[:, :, i] for i, name in enumerate(ds.analyte.values)})
    wall = time.perf_counter() - t0
    return {"patients": n, "wall_s": wall, "patient_years_per_s": n * days / 365.0 / wall}


def run_roadrunner(n: int, eta: dict[str, np.ndarray], days: int = DAYS, rtol: float = 1e-6,
                   atol: float = 1e-12) -> dict[str, Any]:
    import roadrunner

    from ldnsim.engines.model import pk_blocks
    from ldnsim.sbml import pk_model_spec, pk_patient_values, sbml_string

    events = _events(days)
    spec, info = pk_model_spec(events, days=days)
    t_load = time.perf_counter()
    rr = roadrunner.RoadRunner(sbml_string(spec))
    load_s = time.perf_counter() - t_load
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.max_steps = 10**6
    blocks = pk_blocks({"naltrexone": ["ir"]}, None, {k: v[:n] for k, v in eta.items()})
    sel = ["time", spec.outputs["plasma_ng_ml:naltrexone"], spec.outputs["plasma_ng_ml:6beta-naltrexol"],
           spec.outputs["effect_nM:naltrexone"], spec.outputs["effect_nM:6beta-naltrexol"],
           spec.outputs["occupancy:mu_antagonist"]]
    values = [pk_patient_values(info, blocks, p) for p in range(n)]
    plasma = []
    t0 = time.perf_counter()
    for p in range(n):
        rr.resetAll()
        for k, v in values[p].items():
            rr[k] = v
        res = rr.simulate(0.0, 24.0 * days, 24 * days + 1, sel)
        plasma.append(np.asarray(res[:, 1]))
    wall = time.perf_counter() - t0
    return {"patients": n, "wall_s": wall, "load_s": load_s, "patient_years_per_s": n * days / 365.0 / wall,
            "rtol": rtol, "atol": atol, "plasma": np.array(plasma)}


def bench_pk(patients: int = 10_000, rr_patients: int = 20, api_patients: int = 500, days: int = DAYS,
             seed: int = 1) -> dict[str, Any]:
    """Run all three and return the figures (JSON-able)."""
    from ldnsim.pk import simulate_pk

    mine = run_ldnsim(patients, days, seed=seed)
    api = run_public_api(min(api_patients, patients), mine["eta"], days)
    ref = run_roadrunner(min(rr_patients, patients), mine["eta"], days)
    # agreement on the roadrunner patients (same parameters), where above 1% of the peak
    k = ref["patients"]
    ds = simulate_pk(_events(days), mine["t"], None, {n: v[:k] for n, v in mine["eta"].items()})
    ours = ds.plasma_ng_ml.sel(analyte="naltrexone").values
    mask = ours > 0.01 * ours.max(axis=1, keepdims=True)
    rel = float(np.max(np.abs(ref["plasma"][mask] - ours[mask]) / ours[mask]))
    rr_py = ref["patient_years_per_s"]
    return {
        "model": "pk+occupancy: naltrexone 4.5 mg nightly, 1 year, hourly output",
        "patients": patients,
        "engines": {
            "ldnsim": {"patient_years_per_s": mine["patient_years_per_s"], "wall_s": mine["wall_s"],
                       "patients": patients, "path": "ldnsim.engines.pk.population_pk (streamed)"},
            "ldnsim_public_api": {"patient_years_per_s": api["patient_years_per_s"], "wall_s": api["wall_s"],
                                  "patients": api["patients"],
                                  "path": "ldnsim.pk.simulate_pk + ldnsim.receptors.occupancy"},
        },
        "reference": {"libroadrunner": {"patient_years_per_s": rr_py, "patients": ref["patients"],
                                        "wall_s": ref["wall_s"], "model_load_s": ref["load_s"],
                                        "rtol": ref["rtol"], "atol": ref["atol"]}},
        "ratios": {"ldnsim": mine["patient_years_per_s"] / rr_py,
                   "ldnsim_public_api": api["patient_years_per_s"] / rr_py},
        "max_rel_diff_vs_libroadrunner": rel,
        "summary": {"mean_mu_occupancy": mine["mean_mu_occupancy"],
                    "hours_above_50pct_mu_per_day": mine["hours_above_50pct_per_day"],
                    "mean_cmax_naltrexone_ng_ml": mine["cmax_naltrexone_ng_ml"]},
        "target_ratio": 100.0,
    }


def print_pk(doc: dict[str, Any]) -> None:
    r = doc["reference"]["libroadrunner"]
    print(f"PK + occupancy — {doc['model']}")
    for name, e in doc["engines"].items():
        py = e["patient_years_per_s"]
        print(f"  {name:<20}{py:>12,.1f} patient-years/s  ({e['patients']:,} patients in "
              f"{e['wall_s']:.2f} s)  ratio {doc['ratios'][name]:,.0f}×")
    print(f"  {'libRoadRunner SBML':<20}{r['patient_years_per_s']:>12,.2f} patient-years/s  ({r['patients']} "
          f"patients in {r['wall_s']:.2f} s; rtol {r['rtol']:g}, atol {r['atol']:g})")
    print(f"  target ratio ≥ {doc['target_ratio']:.0f}×; max relative difference to libRoadRunner "
          f"(naltrexone plasma > 1% of peak): {doc['max_rel_diff_vs_libroadrunner']:.1e}")
