"""Point calibration of the disease readouts with profile-likelihood intervals.

Three fits, each against published numbers only (never against the studies kept aside):

* **Crohn's placebo** (``placebo.expectation``, ``natural_course.improvement_mean``): the
  ``crohns-placebo-reference`` design against the meta-analytic placebo response (32%, Sedano 2022) and
  remission (18%, 95% CI 14–24%, Su 2004). Binomial deviance with the effective sample size implied by Su's
  CI; grid search, profile interval of each parameter over the other.
* **Crohn's LDN effect** (``inflammation.elasticity``): the ``smith2011`` LDN arm against CDAI-70 88% and
  endoscopic response 78% (20 patients per arm assumed); 1-D profile.
* **MS QoL** (``measures.<k>.effect``): ``cree2010``; the LDN − placebo difference is linear in the effect,
  so the point estimate is published / simulated-per-unit and the profile interval is the published 95% CI
  (derived from its p value) divided by the same factor.

Run ``python -m ldnsim.trials.disease.calibrate`` to refit and write ``disease/calibrated.yaml`` (the record
the readouts load). Hook for the Bayesian calibration: :func:`targets` lists every target with its
likelihood ingredients, and :func:`deviance` is the objective, so a sampler can use the same definitions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ...errors import InputError

__all__ = [
    "targets",
    "deviance",
    "binomial_deviance",
    "profile_interval",
    "calibrate_crohns_placebo",
    "calibrate_crohns_elasticity",
    "calibrate_ms_effects",
    "memoised_immune",
]

CHI2_1_95 = 3.841458820694124


def binomial_deviance(sim: float, pub: float, n_eff: float) -> float:
    """Deviance of a published proportion ``pub`` (``n_eff`` patients) under a simulated rate ``sim``."""
    s = min(max(float(sim), 1e-6), 1 - 1e-6)
    p = min(max(float(pub), 1e-12), 1 - 1e-12)
    return 2.0 * n_eff * (p * math.log(p / s) + (1 - p) * math.log((1 - p) / (1 - s)))


def _n_eff_from_ci(p: float, lo: float, hi: float) -> float:
    se = (hi - lo) / (2 * 1.959964)
    return p * (1 - p) / (se * se)


def targets() -> dict[str, list[dict[str, Any]]]:
    """Every calibration target: design, arm, endpoint, published value, effective n or CI, and — in the
    Bayesian calibration's format (``ldnsim.calibration.spec.Target``) — ``quantity`` (read from a trial
    summary by :func:`ldnsim.trials.calibrate.summary_quantity`) and its sampling ``se``."""
    out = _targets()
    for group in out.values():
        for t in group:
            if "arm" in t:
                t["quantity"] = f"{t['arm']}.{t['endpoint']}"
                t["se"] = round(math.sqrt(t["published"] * (1 - t["published"]) / t["n_eff"]), 4)
            else:  # a within-patient difference: SE from its 95% CI
                t["se"] = round((t["ci95"][1] - t["ci95"][0]) / (2 * 1.959964), 4)
    return out


def _targets() -> dict[str, list[dict[str, Any]]]:
    from .params import readout_parameters

    p = readout_parameters("crohns", use_calibrated=False)
    n_rem = _n_eff_from_ci(
        p["placebo.remission_target"],
        p["placebo.remission_target_ci95_lo"],
        p["placebo.remission_target_ci95_hi"],
    )
    return {
        "crohns_placebo": [
            {
                "design": "crohns-placebo-reference",
                "arm": "placebo",
                "endpoint": "cdai_remission",
                "published": p["placebo.remission_target"],
                "n_eff": round(n_rem, 1),
            },
            {
                "design": "crohns-placebo-reference",
                "arm": "placebo",
                "endpoint": "cdai70",
                "published": p["placebo.response_target"],
                "n_eff": round(n_rem, 1),
                "note": "n_eff of Su 2004's remission CI (the pooled response CI was not retrieved)",
            },
        ],
        "crohns_ldn": [
            {"design": "smith2011", "arm": "ldn", "endpoint": "cdai70", "published": 0.88, "n_eff": 20},
            {
                "design": "smith2011",
                "arm": "ldn",
                "endpoint": "endoscopic_response",
                "published": 0.78,
                "n_eff": 20,
            },
        ],
        "ms": [
            {"design": "cree2010", "contrast": "sf36_mcs", "published": 3.3, "ci95": [0.16, 6.44]},
            {"design": "cree2010", "contrast": "mhi", "published": 6.0, "ci95": [1.49, 10.51]},
            {"design": "cree2010", "contrast": "pain_effects", "published": -1.6, "ci95": [-3.12, -0.08]},
            {"design": "cree2010", "contrast": "perceived_deficits", "published": -2.4, "ci95": [-4.8, 0.0]},
        ],
    }


def memoised_immune() -> Callable[..., Any]:
    """The immune module's ``simulate_immune`` behind a cache keyed by its arguments: a calibration reruns
    the same patients under many readout values, and the immune trajectories do not depend on them."""
    from . import immune_link

    real = immune_link.get_simulate_immune()
    cache: dict[Any, Any] = {}

    def sim(regimen: Any, days: int, condition: str, **kw: Any) -> Any:
        key = (repr(regimen), days, condition, repr(sorted(kw.items())))
        if key not in cache:
            cache[key] = real(regimen, days, condition, **kw)
        return cache[key]

    return sim


def _arm_rates(
    design: str,
    readout: Mapping[str, float],
    patients: int,
    seed: int,
    params: Mapping[str, float] | None = None,
) -> dict[str, dict[str, float | None]]:
    from ..run import run_trial

    res = run_trial(
        design,
        patients=patients,
        replicates=1,
        seed=seed,
        realism=dict(readout),
        params=params,
        use_calibrated=False,
    )
    return {k: dict(a.endpoints) for k, a in res.arms.items()}


def deviance(tgts: list[dict[str, Any]], rates: dict[str, dict[str, float | None]]) -> float:
    total = 0.0
    for t in tgts:
        sim = rates[t["arm"]][t["endpoint"]]
        if sim is None:
            raise InputError("calibration", f"no simulated value for {t['arm']}.{t['endpoint']}")
        total += binomial_deviance(sim, t["published"], t["n_eff"])
    return total


def profile_interval(
    grid: np.ndarray, dev: np.ndarray, level: float = CHI2_1_95
) -> tuple[float | None, float | None]:
    """Where the profile deviance (over ``grid``) rises ``level`` above its minimum, linearly interpolated;
    None where it never does within the grid (the interval is open on that side)."""
    grid, dev = np.asarray(grid, float), np.asarray(dev, float)
    i = int(np.argmin(dev))
    thr = dev[i] + level
    lo = hi = None
    for j in range(i, 0, -1):
        if dev[j - 1] > thr:
            lo = grid[j - 1] + (thr - dev[j - 1]) * (grid[j] - grid[j - 1]) / (dev[j] - dev[j - 1])
            break
    for j in range(i, len(grid) - 1):
        if dev[j + 1] > thr:
            hi = grid[j] + (thr - dev[j]) * (grid[j + 1] - grid[j]) / (dev[j + 1] - dev[j])
            break
    return (None if lo is None else float(lo), None if hi is None else float(hi))


def calibrate_crohns_placebo(
    patients: int = 4000, seed: int = 1, grid: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[str, Any]:
    """Grid fit of (placebo.expectation, natural_course.improvement_mean); profile intervals of each."""
    tg = targets()["crohns_placebo"]
    ge, gn = grid or (np.linspace(0.0, 0.3, 7), np.linspace(0.05, 0.3, 11))
    dev = np.empty((ge.size, gn.size))
    for i, e in enumerate(ge):
        for j, nu in enumerate(gn):
            rates = _arm_rates(
                "crohns-placebo-reference",
                {"placebo.expectation": e, "natural_course.improvement_mean": nu},
                patients,
                seed,
            )
            dev[i, j] = deviance(tg, rates)
    i, j = (int(x) for x in np.unravel_index(int(np.argmin(dev)), dev.shape))
    return {
        "placebo.expectation": {"value": float(ge[i]), "ci95_profile": profile_interval(ge, dev.min(axis=1))},
        "natural_course.improvement_mean": {
            "value": float(gn[j]),
            "ci95_profile": profile_interval(gn, dev.min(axis=0)),
        },
        "deviance_min": float(dev[i, j]),
        "targets": tg,
    }


def calibrate_crohns_elasticity(
    readout: Mapping[str, float], patients: int = 2000, seed: int = 1, grid: np.ndarray | None = None
) -> dict[str, Any]:
    """1-D fit of inflammation.elasticity to the Smith 2011 LDN arm, with the placebo values ``readout``."""
    from . import immune_link

    tg = targets()["crohns_ldn"]
    g = np.geomspace(0.25, 16.0, 25) if grid is None else np.asarray(grid, float)
    old = immune_link.SIMULATE_IMMUNE
    immune_link.SIMULATE_IMMUNE = memoised_immune()
    try:
        dev = np.array(
            [
                deviance(
                    tg, _arm_rates("smith2011", {**readout, "inflammation.elasticity": x}, patients, seed)
                )
                for x in g
            ]
        )
    finally:
        immune_link.SIMULATE_IMMUNE = old
    k = int(np.argmin(dev))
    return {
        "inflammation.elasticity": {"value": float(g[k]), "ci95_profile": profile_interval(g, dev)},
        "deviance_min": float(dev[k]),
        "targets": tg,
    }


def calibrate_ms_effects(patients: int = 2000, seed: int = 1) -> dict[str, Any]:
    """Each measure's effect from Cree 2010. The within-patient LDN − placebo difference is linear in the
    effect, so the trial is run once noise-free (assessment SD 0, effect 1: baselines and the blinded
    expectation cancel within patient) to get the difference per unit effect; the estimate is published ÷ per
    unit and the profile interval the published 95% CI ÷ per unit."""
    from ..run import run_trial

    fitted = [t["contrast"] for t in targets()["ms"]]
    unit: dict[str, float] = {}
    for m in fitted:
        unit[f"measures.{m}.effect"] = 1.0
        unit[f"measures.{m}.assessment_sd"] = 0.0
    res = run_trial("cree2010", patients=patients, replicates=1, seed=seed, realism=unit,
                    use_calibrated=False)
    by = {c.endpoint: c.difference for c in res.contrasts}
    out: dict[str, Any] = {}
    for t in targets()["ms"]:
        per_unit = by.get(t["contrast"])
        if not per_unit:
            raise InputError("calibration", f"cree2010 gives no difference for {t['contrast']}")
        lo, hi = sorted(x / per_unit for x in t["ci95"])
        out[f"measures.{t['contrast']}.effect"] = {
            "value": float(t["published"] / per_unit),
            "ci95_profile": (lo, hi),
            "per_unit_difference": per_unit,
        }
    return out


def _entry(key: str, fit: dict[str, Any], unit: str, how: str) -> dict[str, Any]:
    lo, hi = (None if x is None else float(x) + 0.0 for x in fit["ci95_profile"])  # + 0.0: no "-0.0"
    return {
        "value": round(fit["value"], 5),
        "unit": unit,
        "derived": how,
        "ci95_profile": [None if lo is None else round(lo, 5), None if hi is None else round(hi, 5)],
    }


PARTS = ("crohns_placebo", "crohns_ldn", "ms")


def main(
    parts: tuple[str, ...] = PARTS, write: Callable[[str], None] | None = None
) -> dict[str, Any]:  # pragma: no cover
    """Refit ``parts`` (default all) and write disease/calibrated.yaml, keeping the other parts' entries."""
    import yaml

    from ...data import data_path
    from .params import calibrated_record

    doc = {k: dict(v) for k, v in calibrated_record().items()}
    how_pl = "grid fit to crohns-placebo-reference (Sedano 2022 response 32%, Su 2004 remission 18%)"
    if "crohns_placebo" in parts:
        pl = calibrate_crohns_placebo(grid=(np.linspace(0.0, 0.2, 11), np.linspace(0.1, 0.3, 21)))
        cd = doc.setdefault("crohns", {})
        cd["placebo.expectation"] = _entry(
            "placebo.expectation", pl["placebo.expectation"], "fraction of CDAI activity", how_pl
        )
        cd["natural_course.improvement_mean"] = _entry(
            "natural_course.improvement_mean",
            pl["natural_course.improvement_mean"],
            "fraction of baseline activity",
            how_pl,
        )
    if "crohns_ldn" in parts:
        cd = doc.setdefault("crohns", {})
        ro = {
            k: cd[k]["value"] for k in ("placebo.expectation", "natural_course.improvement_mean") if k in cd
        }
        el = calibrate_crohns_elasticity(ro)
        cd["inflammation.elasticity"] = _entry(
            "inflammation.elasticity",
            el["inflammation.elasticity"],
            "1",
            "grid fit to the Smith 2011 LDN arm (CDAI-70 88%, endoscopic response 78%; 20 per arm assumed)",
        )
    if "ms" in parts:
        doc["ms"] = {
            k: _entry(
                k,
                v,
                "points per unit relief",
                "scaled to Cree 2010's LDN - placebo difference (CI from its p value)",
            )
            for k, v in calibrate_ms_effects().items()
        }
    text = (
        "# Calibrated values of the disease readouts, written by\n"
        "# `python -m ldnsim.trials.disease.calibrate`.\n"
        "# ci95_profile: profile-likelihood 95% interval (null = open within the grid).\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    )
    (write or (lambda t: data_path("disease/calibrated.yaml").write_text(t, encoding="utf-8")))(text)
    return doc


if __name__ == "__main__":  # pragma: no cover
    import sys

    main(tuple(sys.argv[1:]) or PARTS)
