"""``python -m bench [system|pk|all] [--json] [--patients N] [--days D]`` (also ``make bench ARGS=...``).

Benchmarks, not tests: they print patient-years per second of ldnsim's engines and of libRoadRunner on
ldnsim's exported SBML of the same model, measured in the same run, with ratios, peak memory and the largest
endpoint difference between engines. ``system`` (default): the whole model (issue 5). ``pk``: PK + receptor
occupancy only (issue 2). ``all``: both (``--json``: the system document with the PK one under ``"pk"``).
``simulate``: ``ldnsim.simulate`` for one patient-year (bench/bench_system.py; JSON of medians).

Figures measured on the development machine, with the commands and the before/after of issue 5's
optimisation: docs/engines.md ("Benchmarks"). Whole model: numpy ~100 patient-years/s under tracemalloc
(~150 without), ~390× libRoadRunner; PK + occupancy: ~3,500 patient-years/s (public API ~600).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("which", nargs="?", default="system", choices=["system", "pk", "all", "simulate"])
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--patients", type=int, default=None, help="patients (system: 8192; pk: 10000)")
    ap.add_argument("--days", type=int, default=None, help="simulated days (system: 56; pk: 365)")
    ap.add_argument("--engines", default="", help="comma-separated engines (default: every available one); "
                    "jax-fused / jax-hybrid pick the jax engine's path")
    ap.add_argument("--rr-patients", type=int, default=None, help="patients run through libRoadRunner")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.patients is not None and a.patients < 1:
        ap.error("--patients must be at least 1")
    out = {}
    if a.which == "simulate":  # ldnsim.simulate, one patient-year (bench_system.py)
        from .bench_system import main as simulate_bench

        simulate_bench(["--patients", str(a.patients or 1000)])
        return 0
    if a.which in ("pk", "all"):
        from .pk import bench_pk, print_pk

        pk = bench_pk(patients=a.patients or 10_000, rr_patients=a.rr_patients or 10,
                      days=a.days if a.which == "pk" and a.days else 365, seed=a.seed)
        out["pk"] = pk
        if not a.json:
            print_pk(pk)
    if a.which in ("system", "all"):
        from .system import bench_system, print_system

        engines = tuple(e for e in a.engines.split(",") if e) or None
        sysdoc = bench_system(patients=a.patients or 8192, days=a.days or 56, seed=a.seed, engines=engines,
                              rr_patients=a.rr_patients or 1)
        if not a.json:
            print_system(sysdoc)
        out = {**sysdoc, **({"pk": out["pk"]} if "pk" in out else {})}
    elif a.which == "pk":
        out = out["pk"]
    if a.json:
        sys.stdout.write(json.dumps(_jsonable(out), allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
