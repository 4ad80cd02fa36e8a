"""What each model hypothesis predicts for one design: point-value runs of a few model variants side by side.

The shipped ``full`` model runs at the posterior medians of the Bayesian calibration, where the glial TLR4
IC50 is µM and LDN has almost no drug effect; the calibration's PSIS-LOO comparison does not distinguish the
variants (``null``, no drug, included). A single point-value run therefore says little on its own. This
module runs the same design, with the same seed (so the same virtual patients and the same trial-to-trial
sampling) and a few replicate trials, once per hypothesis, and reports the LDN − placebo difference in mean %
pain reduction next to the published difference. Each row is a POINT-VALUE run of one hypothesis (its
shipped values), not a predictive distribution: parameter uncertainty is in the posterior predictive
(:mod:`.posterior`).

Only pain-model designs with a two-arm % reduction contrast get a table (:func:`run_hypotheses` returns None
for the others: Crohn's/MS designs, dose finding).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .design import TrialDesign, load_design
from .run import run_trial

__all__ = ["HYPOTHESES", "HypothesisRow", "HypothesisTable", "run_hypotheses", "DEFAULT_REPLICATES"]

#: the hypotheses compared, in the report's order: no drug, the shipped default, the sub-nM TLR4 hypothesis
#: (the superseded maximum-likelihood fit), the variant PSIS-LOO ranks best, and μ blockade alone
HYPOTHESES = ("null", "full", "full-potent-tlr4", "mu-rebound", "mu-only")
#: replicate trials per hypothesis (few: these are point-value runs, a cheap side-by-side)
DEFAULT_REPLICATES = 5

_WHAT = {
    "null": "no drug effect: placebo response and natural course only",
    "full": "the shipped default: posterior medians of the Bayesian calibration (in-vitro TLR4 prior)",
    "full-potent-tlr4": "glial TLR4 block 3-4 logs more potent than in cell assays (the superseded "
                        "maximum-likelihood fit)",
    "mu-rebound": "intermittent μ-opioid blockade with rebound (endorphin/receptor up-regulation)",
    "mu-only": "μ-opioid blockade and adaptation only (no glial TLR4 block, no OGF brake)",
}


@dataclass(frozen=True)
class HypothesisRow:
    """One hypothesis' point-value run of the design.

    difference: LDN − placebo difference in mean % pain reduction (percentage points), mean over the
        replicate trials; ``difference_range``: its lowest and highest value over those trials.
    arms: mean % reduction per arm (mean over the trials).
    tlr4_ic50_nM: the TLR4 IC50 the variant ran with (nM), None where it has no glial TLR4 block.
    elpd_diff / dse: the variant's PSIS-LOO difference to the best variant and its SE (system/posterior.yaml),
        None where the calibration did not compare it.
    """

    variant: str
    what: str
    difference: float | None
    difference_range: tuple[float, float] | None
    arms: dict[str, float | None]
    tlr4_ic50_nM: float | None
    elpd_diff: float | None
    dse: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "what": self.what,
            "difference": self.difference,
            "difference_range": list(self.difference_range) if self.difference_range else None,
            "arms": self.arms,
            "tlr4_ic50_nM": self.tlr4_ic50_nM,
            "loo_elpd_diff": self.elpd_diff,
            "loo_dse": self.dse,
        }


@dataclass(frozen=True)
class HypothesisTable:
    """The hypotheses' point-value runs of one design (same seed and patients per trial for every row).

    a, b: the contrast's arms (LDN, placebo); published / published_ci95: the published difference in %
    reduction (a − b, percentage points) and its 95 % CI where the design states them.
    """

    design: str
    a: str
    b: str
    replicates: int
    patients: int
    seed: int | None
    published: float | None
    published_ci95: tuple[float, float] | None
    rows: tuple[HypothesisRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "point-value runs of each model hypothesis (not a predictive distribution)",
            "design": self.design,
            "contrast": f"{self.a} - {self.b}",
            "quantity": "difference in mean % pain reduction (percentage points)",
            "replicates": self.replicates,
            "patients": self.patients,
            "seed": self.seed,
            "published": self.published,
            "published_ci95": list(self.published_ci95) if self.published_ci95 else None,
            "rows": [r.to_json() for r in self.rows],
        }


def _pair(design: TrialDesign) -> tuple[str, str] | None:
    """The (a, b) arms of the design's % reduction contrast, None where it has none."""
    for c in design.contrasts:
        if c.endpoint == "pct_reduction":
            return c.a, c.b
    return None


def _published(design: TrialDesign, a: str, b: str) -> tuple[float | None, tuple[float, float] | None]:
    pub = design.published or {}
    for pc in pub.get("contrasts") or []:
        if (pc.get("a"), pc.get("b"), pc.get("endpoint")) == (a, b, "pct_reduction"):
            ci = pc.get("ci95")
            return float(pc["difference"]), (float(ci[0]), float(ci[1])) if ci else None
    arms = pub.get("arms") or {}
    va = (arms.get(a) or {}).get("pct_reduction_mean")
    vb = (arms.get(b) or {}).get("pct_reduction_mean")
    if isinstance(va, int | float) and isinstance(vb, int | float):
        return float(va) - float(vb), None
    return None, None


def _loo() -> dict[str, tuple[float, float]]:
    from ..data.posterior import posterior_record

    rec = posterior_record() or {}
    return {str(r["variant"]): (float(r["elpd_diff"]), float(r["dse"])) for r in rec.get("comparison") or []}


def run_hypotheses(
    design: TrialDesign | str,
    *,
    variants: Sequence[str] = HYPOTHESES,
    replicates: int = DEFAULT_REPLICATES,
    patients: int | None = None,
    seed: int | None = 0,
    engine: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> HypothesisTable | None:
    """Run ``design`` once per hypothesis in ``variants`` (``replicates`` trials each, same ``seed``) at the
    variant's point values; None for a design without a % reduction contrast or one of the immune module.
    ``progress(variant, done, total)`` is called after each hypothesis."""
    from ..data.parameter_set import posterior_key
    from .provenance import model_info

    if isinstance(design, str):
        design = load_design(design)
    pair = _pair(design) if not design.is_disease() else None
    if pair is None:
        return None
    a, b = pair
    loo = _loo()
    rows = []
    n_pat = 0
    for i, v in enumerate(variants):
        res = run_trial(design, patients=patients, replicates=replicates, seed=seed, variant=v, engine=engine)
        n_pat = res.run.patients
        ra, rb = res.per_replicate_arms.get(a, []), res.per_replicate_arms.get(b, [])
        diffs = np.array(
            [x.pct_reduction_mean - y.pct_reduction_mean for x, y in zip(ra, rb, strict=False)
             if x.pct_reduction_mean is not None and y.pct_reduction_mean is not None],
            float,
        )
        diffs = diffs[np.isfinite(diffs)]
        info = res.model if res.model is not None else model_info(v)
        ic50 = info.tlr4_ic50_nM if info.tlr4_block_acts else None
        elpd = loo.get(posterior_key(v))
        rows.append(
            HypothesisRow(
                variant=v,
                what=_WHAT.get(v, info.description),
                difference=float(diffs.mean()) if diffs.size else None,
                difference_range=(float(diffs.min()), float(diffs.max())) if diffs.size else None,
                arms={k: arm.pct_reduction_mean for k, arm in res.arms.items()},
                tlr4_ic50_nM=ic50,
                elpd_diff=None if elpd is None else elpd[0],
                dse=None if elpd is None else elpd[1],
            )
        )
        if progress:
            progress(v, i + 1, len(variants))
    published, ci = _published(design, a, b)
    return HypothesisTable(
        design=design.name, a=a, b=b, replicates=int(replicates), patients=n_pat, seed=seed,
        published=published, published_ci95=ci, rows=tuple(rows),
    )
