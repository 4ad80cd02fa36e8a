"""Global (Sobol) sensitivity of cheap model outputs to every ASSUMED system parameter (issue 10 item 7).

Parameters: every entry of ``system/parameters.yaml`` with ``assumed: true``. Range: its ``prior`` where it
has one (``loguniform`` sampled in log space, ``uniform`` linearly); otherwise log-uniform over
``[value / RANGE_FACTOR, value * RANGE_FACTOR]`` (an assumption of this analysis, stated in the output).

Outputs (system model alone, typical fibromyalgia patient, no placebo; the shipped default variant):

- ``ldn_effect_w12``: untreated minus LDN 4.5 mg nightly pain at day 83 (NRS; > 0 = LDN helps);
- ``hd_change_w9_12``: mean pain change under 50 mg nightly over days 56-83 (NRS; > 0 = worse).

Method: Saltelli/Sobol' sampling and first-order (S1) and total (ST) indices with bootstrap 95 %
intervals (SALib, the ``calibration`` extra; Saltelli 2002, 2010; Jansen 1999). Each parameter vector is
one virtual patient of the numpy population engine with daily steps and no refinement (the reference
integrator's scheme), so a sample of N·(D + 2) vectors is three engine runs. Convergence: the indices at N
and 2N agree within their intervals (:func:`convergence`).

Run: ``python bench/sensitivity.py`` (N = 1024 and 2048; ~13 min on 2 cores); unit tests use tiny N.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RANGE_FACTOR", "OUTPUTS", "SensitivityParam", "assumed_parameters", "sample", "evaluate",
           "analyse", "run", "convergence"]

#: multiplicative half-range of an assumed parameter that has no prior (log-uniform over value/f … value·f)
RANGE_FACTOR = 1.5
OUTPUTS = ("ldn_effect_w12", "hd_change_w9_12")
LDN = "naltrexone 4.5 mg nightly"
HD = "naltrexone 50 mg nightly"
DAYS = 84


@dataclass(frozen=True)
class SensitivityParam:
    """One varied parameter: name, shipped value, range (lo, hi), log-scaled or not, the range's origin."""

    name: str
    value: float
    lo: float
    hi: float
    log: bool
    range_from: str


def assumed_parameters(range_factor: float = RANGE_FACTOR) -> list[SensitivityParam]:
    """Every ``assumed: true`` parameter of ``system/parameters.yaml`` with its sampling range."""
    from ..data import value_of
    from ..data.parameter_set import system_entries

    out = []
    for name, e in system_entries().items():
        if not e.get("assumed"):
            continue
        v = float(value_of(e))
        pr = e.get("prior")
        if isinstance(pr, Mapping) and pr.get("dist") in ("loguniform", "uniform"):
            lo, hi = float(pr["lo"]), float(pr["hi"])
            out.append(SensitivityParam(name, v, lo, hi, pr["dist"] == "loguniform", f"prior ({pr['dist']})"))
        elif v > 0:
            out.append(SensitivityParam(name, v, v / range_factor, v * range_factor, True,
                                        f"assumed x/÷{range_factor:g}"))
    return out


def _problem(params: Sequence[SensitivityParam]) -> dict[str, Any]:
    bounds = [[np.log(p.lo), np.log(p.hi)] if p.log else [p.lo, p.hi] for p in params]
    return {"num_vars": len(params), "names": [p.name for p in params], "bounds": bounds}


def sample(n: int, params: Sequence[SensitivityParam], seed: int = 0) -> np.ndarray:
    """Saltelli/Sobol' sample (first and total order): ``n·(D + 2)`` rows of parameter values (natural
    units). ``n`` must be a power of two."""
    from SALib.sample import sobol as sobol_sample

    x = sobol_sample.sample(_problem(params), int(n), calc_second_order=False, scramble=True, seed=seed)
    for j, p in enumerate(params):
        if p.log:
            x[:, j] = np.exp(x[:, j])
    return x


def evaluate(x: np.ndarray, params: Sequence[SensitivityParam], condition: str = "fibromyalgia",
             engine: str = "numpy", chunk: int = 4096) -> dict[str, np.ndarray]:
    """The outputs (:data:`OUTPUTS`, NRS) of each row of ``x`` (one virtual patient per row)."""
    import pandas as pd

    from ..engines import LdnModel, Problem, get_engine

    names = [p.name for p in params]
    eng = get_engine(engine)
    out = {k: np.empty(len(x)) for k in OUTPUTS}
    days = tuple(range(DAYS))
    for a in range(0, len(x), chunk):
        rows = pd.DataFrame(x[a:a + chunk], columns=names)
        pain = {}
        for key, reg in (("base", None), ("ldn", LDN), ("hd", HD)):
            model = LdnModel(reg, condition, days=DAYS, population=False, patients=rows)
            res = eng.run(Problem(model, n_patients=len(rows), rtol=0.5, max_level=0, endpoint_days=days))
            pain[key] = np.asarray(res.pain_endpoints, dtype=float)
        out["ldn_effect_w12"][a:a + chunk] = pain["base"][:, 83] - pain["ldn"][:, 83]
        out["hd_change_w9_12"][a:a + chunk] = np.mean(pain["hd"][:, 56:84] - pain["base"][:, 56:84], axis=1)
    return out


def analyse(y: np.ndarray, params: Sequence[SensitivityParam], seed: int = 0) -> dict[str, list[float]]:
    """First-order and total Sobol' indices with bootstrap 95 % half-widths, per parameter."""
    from SALib.analyze import sobol

    s = sobol.analyze(_problem(params), np.asarray(y, dtype=float), calc_second_order=False,
                      num_resamples=500, conf_level=0.95, seed=seed)
    return {"S1": list(map(float, s["S1"])), "S1_conf": list(map(float, s["S1_conf"])),
            "ST": list(map(float, s["ST"])), "ST_conf": list(map(float, s["ST_conf"]))}


def run(n: int, seed: int = 0, condition: str = "fibromyalgia") -> dict[str, Any]:
    """Sample, evaluate and analyse at base sample size ``n``; non-finite outputs are counted and the run
    refused (SALib needs every row)."""
    from ..errors import SolverError

    params = assumed_parameters()
    x = sample(n, params, seed)
    y = evaluate(x, params, condition)
    out: dict[str, Any] = {"n": int(n), "rows": int(len(x)), "seed": int(seed), "condition": condition,
                           "parameters": [p.__dict__ for p in params], "outputs": {}}
    for k in OUTPUTS:
        bad = int(np.sum(~np.isfinite(y[k])))
        if bad:
            raise SolverError(f"sensitivity: {bad} of {len(x)} runs gave non-finite {k}")
        out["outputs"][k] = {"mean": float(np.mean(y[k])), "sd": float(np.std(y[k])),
                             "p05": float(np.percentile(y[k], 5)), "p95": float(np.percentile(y[k], 95)),
                             **analyse(y[k], params, seed)}
    return out


def convergence(a: Mapping[str, Any], b: Mapping[str, Any], min_index: float = 0.0) -> dict[str, Any]:
    """Do the indices of two runs (N and 2N) agree within their 95 % intervals? Per output and index kind:
    the largest |difference| minus the combined half-width (≤ 0: agree) over the parameters whose index
    exceeds ``min_index`` in either run, and the parameters that disagree."""
    out: dict[str, Any] = {}
    names = [p["name"] for p in a["parameters"]]
    for k in OUTPUTS:
        for kind in ("S1", "ST"):
            ia, ib = np.asarray(a["outputs"][k][kind]), np.asarray(b["outputs"][k][kind])
            ca, cb = np.asarray(a["outputs"][k][kind + "_conf"]), np.asarray(b["outputs"][k][kind + "_conf"])
            sel = (np.abs(ia) > min_index) | (np.abs(ib) > min_index)
            excess = np.abs(ia - ib) - np.hypot(ca, cb)
            bad = [names[i] for i in np.flatnonzero(sel & (excess > 0))]
            out[f"{k}.{kind}"] = {"max_excess": float(np.max(excess[sel])) if sel.any() else 0.0,
                                  "disagree": bad}
    return out
