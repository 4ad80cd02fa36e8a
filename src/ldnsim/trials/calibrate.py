"""Calibration of the few population parameters the LDN trials identify, with profile-likelihood
uncertainty, against three published trials ONLY (Younger & Mackey 2009, Younger et al. 2013,
Bruun-Plesner et al. 2020: the presets in ``data/trials/``; every other published trial is kept aside to
test predictions).

What is fitted (mechanism_models.md §3, "Identifiability": trials observe only pain):

* ``tlr4_ic50_nM`` — naltrexone's glial TLR4 IC50, the key unknown (log scale);
* ``tau_mu`` — μ-receptor reserve (transducer ratio): how much tone partial nightly blockade costs,
  which sets the early dose-response (Bruun-Plesner: response after 2 weeks rises with dose);
* ``k_Sd`` — recovery rate of central sensitisation (sets how fast benefit builds);
* ``placebo.expectation.double`` / ``.single`` — the expectation effect by blinding;
* ``placebo.onset_days`` — how fast expectation builds (the 2-week placebo phase of Younger 2009 showed
  2.3%, the 4-week one of Younger 2013 18%);
* ``secondary.loading`` — how much of a pain change shows in fatigue/sleep ratings (Younger 2013
  composite responder).

Likelihood: each published summary is treated as normal around the simulated expected value (mean over
replicate virtual trials, common random numbers) with the published sampling SE (``TARGETS``), so
``chi2 = Σ ((sim − pub) / se)²`` is −2 log L up to a constant. Uncertainty: the profile of chi2 over
``tlr4_ic50_nM`` (others re-fitted) gives the 95% interval where Δchi2 ≤ 3.84. The μ-only variant (no
glial TLR4 block) is fitted the same way without the IC50, for comparison.

Run: ``python -m ldnsim.trials.calibrate --write`` (rewrites ``ldnsim/data/trials/calibrated.yaml``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import yaml

__all__ = ["summary_quantity", "TARGETS", "Param", "FULL_PARAMS", "MU_PARAMS", "evaluate", "fit", "profile",
           "main"]


@dataclass(frozen=True)
class Target:
    preset: str
    quantity: str  # "arm.key" in the summary, or "ed50"
    published: float
    se: float
    note: str


#: published summaries and their sampling SEs (derivations in the note)
TARGETS = (
    Target("younger2013", "ldn.pct_reduction_mean", 28.8, 4.7, "SD ~25 points assumed, n=28: 25/sqrt(28)"),
    Target("younger2013", "placebo.pct_reduction_mean", 18.0, 4.7, "as above"),
    Target("younger2013", "ldn.responder_rate", 0.32, 0.088, "binomial sqrt(.32*.68/28)"),
    Target("younger2013", "placebo.responder_rate", 0.11, 0.059, "binomial sqrt(.11*.89/28)"),
    Target("younger2009", "ldn.pct_reduction_mean", 32.5, 7.9, "SD ~25 points assumed, n=10"),
    Target("younger2009", "placebo.pct_reduction_mean", 2.3, 7.9, "as above"),
    # Bruun-Plesner: the up-and-down design estimates the dose at which half the patients respond after
    # 2 weeks; the smooth surrogate fitted is the population response rate at 3.88 mg (0.5). The steep
    # rise implied by ED95 5.4 mg is not used (ED95 from 25 up-and-down patients is poorly determined).
    Target("bruun-plesner2020", "rate_at_3.88", 0.5, 0.07, "ED50 95% CI 3.39-4.35 mapped through the slope"),
)


@dataclass(frozen=True)
class Param:
    name: str  # system parameter name, or realism key with a dot
    lo: float
    hi: float
    log: bool
    unit: str

    @property
    def is_realism(self) -> bool:
        return "." in self.name


FULL_PARAMS = (
    Param("tlr4_ic50_nM", 1.0e-3, 1.0e2, True, "nM"),
    Param("tau_mu", 0.5, 50.0, True, "1"),
    Param("k_Sd", 2.0e-4, 1.0e-2, True, "1/h"),
    Param("placebo.expectation.double", 0.0, 0.5, False, "fraction of pain"),
    Param("placebo.expectation.single", 0.0, 0.5, False, "fraction of pain"),
    Param("placebo.onset_days", 2.0, 90.0, True, "day"),
    Param("secondary.loading", 0.0, 1.5, False, "dimensionless"),
)
MU_PARAMS = tuple(p for p in FULL_PARAMS if p.name != "tlr4_ic50_nM")
#: realism settings during fitting: one adherence pattern per sequence (fewer model calls; missed doses are
#: still simulated at the population's mean adherence)
CALIBRATION_REALISM = {"adherence.patterns": 1}


def _split(params: tuple[Param, ...], values: dict[str, float]) -> tuple[dict, dict]:
    sys_p = {p.name: values[p.name] for p in params if not p.is_realism and p.name in values}
    rea = {p.name: values[p.name] for p in params if p.is_realism and p.name in values}
    return sys_p, rea


def evaluate(
    values: dict[str, float],
    *,
    variant: str = "full",
    params: tuple[Param, ...] = FULL_PARAMS,
    replicates: int = 8,
    seed: int = 20240,
    targets: tuple[Target, ...] = TARGETS,
) -> tuple[float, list[dict]]:
    """chi2 of the published targets at ``values`` and the per-target table."""
    from .run import run_trial

    sys_p, rea = _split(params, values)
    cache: dict[str, dict] = {}
    rows = []
    chi2 = 0.0
    for t in targets:
        if t.preset not in cache:
            res = run_trial(
                t.preset,
                replicates=replicates,
                seed=seed,
                variant=variant,
                params=sys_p,
                realism={**CALIBRATION_REALISM, **rea},
                use_calibrated=False,
            )
            cache[t.preset] = res.summary
        sim = summary_quantity(cache[t.preset], t.quantity)
        z = 10.0 if sim is None else (sim - t.published) / t.se
        chi2 += z * z
        rows.append(
            {
                "preset": t.preset,
                "quantity": t.quantity,
                "published": t.published,
                "se": t.se,
                "simulated": sim,
                "z": z,
            }
        )
    return chi2, rows


def summary_quantity(summary: dict, quantity: str) -> float | None:
    """One published quantity of a trial summary: ``arm.key`` (e.g. ``ldn.pct_reduction_mean``) or, for an
    up-and-down design, ``rate_at_3.88`` (population response rate at 3.88 mg, interpolated over the dose
    levels) or ``rise_2.25_5.25``. None when the trial did not produce it."""
    if quantity in ("rate_at_3.88", "rise_2.25_5.25"):
        dr = (summary.get("dose_finding") or {}).get("dose_response") or {}
        if not dr:
            return None
        xs = np.array([float(k.split()[0]) for k in dr])
        ys = np.array([np.nan if v is None else v for v in dr.values()], float)
        if quantity == "rate_at_3.88":
            sim = float(np.interp(3.88, xs, ys))
        else:
            sim = float(np.interp(5.25, xs, ys) - np.interp(2.25, xs, ys))
        return sim if math.isfinite(sim) else None
    arm, key = quantity.split(".", 1)
    doc = summary["arms"].get(arm) or {}
    v = doc.get(key)
    if v is None:  # a named endpoint (the disease trials' cdai70, endoscopic_response, ...)
        v = (doc.get("endpoints") or {}).get(key)
    return None if v is None or not math.isfinite(float(v)) else float(v)


def _to_unit(p: Param, v: float) -> float:
    return (
        (math.log(v) - math.log(p.lo)) / (math.log(p.hi) - math.log(p.lo))
        if p.log
        else (v - p.lo) / (p.hi - p.lo)
    )


def _from_unit(p: Param, u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return (
        math.exp(math.log(p.lo) + u * (math.log(p.hi) - math.log(p.lo)))
        if p.log
        else p.lo + u * (p.hi - p.lo)
    )


def fit(
    start: dict[str, float],
    *,
    variant: str = "full",
    params: tuple[Param, ...] = FULL_PARAMS,
    fixed: dict[str, float] | None = None,
    replicates: int = 8,
    max_evals: int = 60,
    log: Callable[[str], None] | None = None,
) -> tuple[dict[str, float], float, list[dict]]:
    """Nelder–Mead in the unit box (log scale where ``log``) with common random numbers."""
    from scipy.optimize import minimize

    fixed = dict(fixed or {})
    free = [p for p in params if p.name not in fixed]
    x0 = np.array([_to_unit(p, start[p.name]) for p in free])
    best: dict = {"chi2": math.inf}

    def f(x):
        vals = {**fixed, **{p.name: _from_unit(p, u) for p, u in zip(free, x, strict=True)}}
        c, rows = evaluate(vals, variant=variant, params=params, replicates=replicates)
        c += 1e3 * float(np.sum(np.clip(-x, 0, None) ** 2 + np.clip(x - 1, 0, None) ** 2))
        if c < best["chi2"]:
            best.update(chi2=c, vals=vals, rows=rows)
            if log:
                log(f"chi2 {c:8.3f}  " + "  ".join(f"{k}={v:.4g}" for k, v in vals.items()))
        return c

    if free:
        simplex = [x0] + [
            x0 + np.eye(len(free))[i] * (0.12 if x0[i] < 0.85 else -0.12) for i in range(len(free))
        ]
        minimize(
            f,
            x0,
            method="Nelder-Mead",
            options={"maxfev": max_evals, "xatol": 0.01, "fatol": 0.05, "initial_simplex": np.array(simplex)},
        )
    else:
        f(x0)
    return best["vals"], best["chi2"], best["rows"]


def profile(
    best: dict[str, float],
    name: str,
    grid: list[float],
    *,
    params: tuple[Param, ...] = FULL_PARAMS,
    refit: tuple[str, ...] = ("placebo.expectation.double", "placebo.expectation.single"),
    replicates: int = 8,
    max_evals: int = 12,
    log: Callable[[str], None] | None = None,
) -> list[dict]:
    """Profile chi2 over ``name``: at each grid value refit the ``refit`` parameters, others at best."""
    out = []
    for g in grid:
        fixed = {k: v for k, v in best.items() if k not in refit}
        fixed[name] = g
        sub = tuple(p for p in params if p.name in refit or p.name in fixed)
        vals, chi2, _ = fit(best, params=sub, fixed=fixed, replicates=replicates, max_evals=max_evals)
        out.append({"value": g, "chi2": chi2})
        if log:
            log(f"profile {name}={g:.4g}: chi2 {chi2:.3f}")
    return out


def _interval(prof: list[dict], chi2_min: float) -> tuple[float | None, float | None]:
    ok = [r["value"] for r in prof if r["chi2"] - chi2_min <= 3.84]
    return (min(ok), max(ok)) if ok else (None, None)


def _entry(value: float, unit: str, derived: str, **extra) -> dict:
    d = {"value": float(f"{value:.5g}"), "unit": unit, "derived": derived}
    d.update(extra)
    return d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m ldnsim.trials.calibrate", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--write", action="store_true", help="write ldnsim/data/trials/calibrated.yaml")
    ap.add_argument("--replicates", type=int, default=8)
    ap.add_argument("--max-evals", type=int, default=60)
    ap.add_argument("--profile-points", type=int, default=7)
    ap.add_argument("--sobol-n", type=int, default=0, help="Sobol base sample size (0 = skip)")
    ap.add_argument("--start", default="{}", help="JSON of starting values overriding the defaults")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    from ..population import typical_value
    from .measurement import realism_parameters

    t0 = time.time()
    base_rea = realism_parameters(use_calibrated=False)
    start = {p.name: (base_rea[p.name] if p.is_realism else typical_value(p.name)) for p in FULL_PARAMS}
    import json

    start.update(json.loads(args.start))
    if any(v is None for v in start.values()):
        raise SystemExit(f"missing starting values: {start}")
    log(f"start {start}")
    best, chi2, rows = fit(start, replicates=args.replicates, max_evals=args.max_evals, log=log)
    log(f"full fit chi2={chi2:.3f} in {time.time() - t0:.0f}s")
    mu_best, mu_chi2, mu_rows = fit(
        {k: v for k, v in best.items() if k != "tlr4_ic50_nM"},
        variant="mu-only",
        params=MU_PARAMS,
        replicates=args.replicates,
        max_evals=args.max_evals // 2,
        log=log,
    )
    log(f"mu-only fit chi2={mu_chi2:.3f}")
    lo, hi = math.log10(best["tlr4_ic50_nM"]) - 1.5, math.log10(best["tlr4_ic50_nM"]) + 1.5
    grid = [float(10**x) for x in np.linspace(lo, hi, args.profile_points)]
    prof = profile(best, "tlr4_ic50_nM", grid, replicates=args.replicates, log=log)
    ci = _interval(prof + [{"value": best["tlr4_ic50_nM"], "chi2": chi2}], chi2)
    sens = None
    if args.sobol_n:
        from .sensitivity import sobol_endpoints

        sens = sobol_endpoints(best, n_base=args.sobol_n, log=log)
    cmd = "python -m ldnsim.trials.calibrate " + " ".join(argv if argv is not None else sys.argv[1:])
    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    src = (
        "calibrated to Younger & Mackey 2009, Pain Med 10:663-672, PMID 19453963; Younger et al. 2013, "
        "Arthritis Rheum 65:529-538, doi:10.1002/art.37734; Bruun-Plesner et al. 2020, Pain Med "
        "21:2253-2261, doi:10.1093/pm/pnaa001 "
        f"by maximum likelihood on published summaries; command: {cmd}; {when}"
    )
    units = {p.name: p.unit for p in FULL_PARAMS}

    def block(vals: dict, ci_map: dict | None = None) -> dict:
        sysb, reab = {}, {}
        for k, v in vals.items():
            extra = {}
            if ci_map and k in ci_map and ci_map[k][0] is not None:
                lo_k, hi_k = ci_map[k]
                extra["ci95_profile"] = [float(f"{lo_k:.4g}"), float(f"{hi_k:.4g}")]
                edges = [x for x, e in ((lo_k, min(grid)), (hi_k, max(grid))) if math.isclose(x, e)]
                if edges:
                    extra["ci95_profile_note"] = (
                        "a bound at the edge of the profiled grid is censored: the interval extends at least "
                        "that far (" + ", ".join(f"{x:.4g}" for x in edges) + ")"
                    )
            (reab if "." in k else sysb)[k] = _entry(v, units[k], src, **extra)
        return {"system": sysb, "realism": reab}

    doc = {
        "meta": {
            "description": "Population parameters fitted to the calibration trials; read by "
            "ldnsim.trials.run "
            "(system values are passed to ldnsim.simulate as params, realism values to the "
            "trial-realism model). 'full' is the default model, 'mu_only' the variant without "
            "glial TLR4 block, kept for comparison.",
            "command": cmd,
            "date": when,
            "replicates_per_evaluation": args.replicates,
            "targets": [t.__dict__ for t in TARGETS],
            "seconds": round(time.time() - t0, 1),
        },
        "full": block(best, {"tlr4_ic50_nM": ci}),
        "mu_only": block(mu_best),
        "fit": {
            "full": {
                "chi2": round(chi2, 3),
                "n_targets": len(TARGETS),
                "n_params": len(FULL_PARAMS),
                "targets": [
                    {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows
                ],
            },
            "mu_only": {
                "chi2": round(mu_chi2, 3),
                "n_targets": len(TARGETS),
                "n_params": len(MU_PARAMS),
                "targets": [
                    {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in mu_rows
                ],
            },
        },
        "profile": {
            "tlr4_ic50_nM": [{"value": float(f"{r['value']:.4g}"), "chi2": round(r["chi2"], 3)} for r in prof]
        },
    }
    if sens is not None:
        doc["sensitivity"] = sens
    text = yaml.safe_dump(doc, sort_keys=False, width=110)
    if args.write:
        from ..data import data_path

        path = data_path("trials/calibrated.yaml")
        path.write_text(
            "# Generated by ldnsim.trials.calibrate; do not edit by hand.\n" + text, encoding="utf-8"
        )
        log(f"wrote {path}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
