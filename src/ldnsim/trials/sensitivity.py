"""Global sensitivity of virtual-trial endpoints (Sobol indices via SALib, Saltelli sampling).

Small base samples keep it affordable; the confidence intervals SALib reports show how far the
indices can be trusted at that N. Endpoints: Younger 2013 LDN and placebo % reduction and their
difference, each the mean over a few replicate virtual trials with common random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["SOBOL_PROBLEM", "sobol_endpoints"]

#: parameters and ranges (log10 for rate/potency parameters)
SOBOL_PROBLEM = {
    "names": [
        "log10_tlr4_ic50_nM",
        "log10_tau_mu",
        "log10_k_Sd",
        "placebo.expectation.double",
        "placebo.onset_days",
        "secondary.loading",
        "fluctuation.sd_nrs",
    ],
    "bounds": [[-2.0, 1.5], [0.0, 1.7], [-3.4, -2.4], [0.0, 0.35], [5.0, 60.0], [0.0, 0.6], [0.2, 1.4]],
}


def _values(row: np.ndarray, best: dict[str, float]) -> tuple[dict, dict]:
    sys_p = {k: v for k, v in best.items() if "." not in k}
    rea = {k: v for k, v in best.items() if "." in k}
    for name, x in zip(SOBOL_PROBLEM["names"], row, strict=True):
        if name.startswith("log10_"):
            sys_p[name[6:]] = float(10**x)
        else:
            rea[name] = float(x)
    return sys_p, rea


def sobol_endpoints(
    best: dict[str, float],
    *,
    n_base: int = 8,
    patients: int = 24,
    replicates: int = 2,
    preset: str = "younger2013",
    seed: int = 7,
    log: Callable[[str], None] | None = None,
) -> dict:
    """First-order and total Sobol indices (with 95% CI half-widths) of the preset's endpoints."""
    from SALib.analyze import sobol
    from SALib.sample import sobol as sobol_sample

    from .run import run_trial

    problem = {"num_vars": len(SOBOL_PROBLEM["names"]), **SOBOL_PROBLEM}
    X = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    outs = {"ldn_pct_reduction": [], "placebo_pct_reduction": [], "difference": []}
    for i, row in enumerate(X):
        sys_p, rea = _values(row, best)
        s = run_trial(
            preset,
            patients=patients,
            replicates=replicates,
            seed=seed,
            params=sys_p,
            realism=rea,
            use_calibrated=False,
        ).summary
        a = s["arms"]["ldn"]["pct_reduction_mean"] or 0.0
        b = s["arms"]["placebo"]["pct_reduction_mean"] or 0.0
        outs["ldn_pct_reduction"].append(a)
        outs["placebo_pct_reduction"].append(b)
        outs["difference"].append(a - b)
        if log and (i + 1) % 10 == 0:
            log(f"sobol {i + 1}/{len(X)}")
    res = {
        "method": f"Saltelli/Sobol (SALib), N={n_base}, {len(X)} model runs, {patients} patients x "
        f"{replicates} trials each; preset {preset}",
        "parameters": SOBOL_PROBLEM["names"],
        "bounds": SOBOL_PROBLEM["bounds"],
        "endpoints": {},
    }
    for k, y in outs.items():
        y = np.asarray(y, float)
        if not np.all(np.isfinite(y)) or np.std(y) == 0:
            continue
        si = sobol.analyze(problem, y, calc_second_order=False, print_to_console=False)

        def r(x):
            return [None if not math.isfinite(v) else round(float(v), 3) for v in x]

        res["endpoints"][k] = {
            "S1": r(si["S1"]),
            "S1_conf": r(si["S1_conf"]),
            "ST": r(si["ST"]),
            "ST_conf": r(si["ST_conf"]),
        }
    return res


def main(argv: list[str] | None = None) -> int:
    """``python -m ldnsim.trials.sensitivity --write [--n 8]``: recompute the Sobol block of calibrated.yaml
    around the calibrated values (the rest of the file is kept)."""
    import argparse
    import sys

    import yaml

    from ..data import data_path, value_of

    ap = argparse.ArgumentParser(prog="python -m ldnsim.trials.sensitivity")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    path = data_path("trials/calibrated.yaml")
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    best = {k: float(value_of(v)) for sec in ("system", "realism") for k, v in doc["full"][sec].items()}
    res = sobol_endpoints(best, n_base=args.n, log=lambda m: sys.stderr.write(m + "\n"))
    res["command"] = "python -m ldnsim.trials.sensitivity " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    doc["sensitivity"] = res
    out = yaml.safe_dump(doc, sort_keys=False, width=110)
    if args.write:
        header = text.splitlines()[0] + "\n" if text.startswith("#") else ""
        path.write_text(header + out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
