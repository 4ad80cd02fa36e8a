"""Posterior-predictive virtual trials: the distribution of every trial result over parameter draws.

For each of ``draws`` parameter sets from :meth:`ldnsim.data.parameter_set.ParameterSet.draws` (system
parameters and trial-realism parameters together), :func:`run_posterior` runs the design's trial
(``replicates`` trials of the design's size per draw, each draw with its own patients) and pools the
results. Each arm quantity (mean % reduction, NRS change, responder rate) and each contrast (LDN − placebo
difference on every endpoint, responders, standardised effects) gets a predictive distribution: mean,
median and 50%/95% predictive intervals of what a new trial of this design would report. It mixes
parameter uncertainty with trial-to-trial sampling, so the published result of a trial of that design
should fall inside the 95% interval about 95% of the time if the model and its uncertainty are right.

What the draws are is said in ``kind`` (``ParameterSet.provenance["draws"]``): posterior draws of the
Bayesian calibration for a variant it sampled (with the default occupancy), approximate draws from the
profile-likelihood intervals otherwise. ``model`` (:mod:`.provenance`) records the variant, its calibration
record and the TLR4 IC50 over the draws.

The comparison with the published result checks arm values and, for each published contrast, the
*difference* (is it inside the predictive interval, at which predictive percentile) and its CI width
(against the predictive distribution of the trials' own CI widths).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from .design import TrialDesign, load_design
from .provenance import ModelInfo, model_info
from .results import TrialResult
from .run import run_trial

__all__ = ["Predictive", "PosteriorResult", "run_posterior", "MAX_DRAWS"]

MAX_DRAWS = 1000
ARM_KEYS = ("pct_reduction_mean", "nrs_change_mean", "responder_rate")


@dataclass(frozen=True)
class Predictive:
    """A predictive distribution summarised: ``n`` values, mean, median, 50% and 95% predictive intervals."""

    values: np.ndarray

    @property
    def n(self) -> int:
        return int(self.values.size)

    def interval(self, level: float) -> tuple[float, float]:
        a = (1.0 - level) / 2.0 * 100.0
        lo, hi = np.percentile(self.values, [a, 100.0 - a])
        return float(lo), float(hi)

    def percentile_of(self, x: float) -> float:
        """Share of predicted values below ``x`` (mid-rank for ties), 0–1."""
        v = self.values
        return float((np.sum(v < x) + 0.5 * np.sum(v == x)) / v.size)

    def to_json(self) -> dict[str, Any]:
        if self.n == 0:
            return {"n": 0, "mean": None, "median": None, "pi50": [None, None], "pi95": [None, None]}
        return {
            "n": self.n,
            "mean": float(self.values.mean()),
            "median": float(np.median(self.values)),
            "pi50": list(self.interval(0.50)),
            "pi95": list(self.interval(0.95)),
        }


def _pred(xs: Sequence[float | None]) -> Predictive:
    a = np.array([np.nan if x is None else x for x in xs], float)
    return Predictive(a[np.isfinite(a)])


@dataclass
class PosteriorResult:
    """The predictive distribution of a design's results over parameter draws (and trials per draw).

    ``arms[arm][key]`` and ``contrasts[i]["difference"]`` are :class:`Predictive`; ``power`` is the share of
    predicted trials with p < 0.05 in the favourable direction; ``curves`` holds, per draw, each sequence's
    mean change from baseline by day (design scale) for the visual predictive check.
    """

    design: TrialDesign
    draws: int
    replicates_per_draw: int
    seed: int
    kind: str
    arms: dict[str, dict[str, Predictive]]
    contrasts: list[dict[str, Any]]
    comparison: list[dict[str, Any]]
    curves: dict[str, np.ndarray] = field(default_factory=dict)  # sequence -> draws x days
    days: np.ndarray | None = None
    parameters: list[dict[str, float]] = field(default_factory=list)
    #: which model and which draws (the JSON ``model`` block; :mod:`.provenance`)
    model: ModelInfo | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **({"model": self.model.to_json()} if self.model is not None else {}),
            "draws": self.draws,
            "replicates_per_draw": self.replicates_per_draw,
            "trials": self.draws * self.replicates_per_draw,
            "seed": self.seed,
            "kind": self.kind,
            "arms": {a: {k: p.to_json() for k, p in v.items()} for a, v in self.arms.items()},
            "contrasts": [
                {
                    **{k: v for k, v in c.items() if k not in ("difference", "ci95_width")},
                    "difference": c["difference"].to_json(),
                    "ci95_width": c["ci95_width"].to_json(),
                }
                for c in self.contrasts
            ],
            "comparison": self.comparison,
        }


def _split_draw(
    d: Mapping[str, float], system: Mapping[str, float], realism: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    sys_o = {k: v for k, v in d.items() if k in system}
    real_o = {k: v for k, v in d.items() if k in realism and k not in system}
    return sys_o, real_o


def _change_curves(res: TrialResult) -> dict[str, np.ndarray]:
    """Per sequence: mean diary minus the mean over the baseline phase, by day (design scale)."""
    out = {}
    base_name = res.design.endpoints[0].baseline_phase
    for seq, tr in res.trajectories.items():
        ph = next((p for p in tr.phases if p["name"] == base_name), tr.phases[0])
        base = float(np.nanmean(tr.mean[ph["start"] : ph["end"]]))
        out[seq] = np.asarray(tr.mean, float) - base
    return out


def run_posterior(
    design: TrialDesign | str,
    *,
    draws: int = 20,
    patients: int | None = None,
    replicates: int | None = None,
    seed: int = 0,
    variant: str = "full",
    engine: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    param_draws: Sequence[Mapping[str, float]] | None = None,
    kind: str | None = None,
) -> PosteriorResult:
    """Run the design over ``draws`` parameter draws (``replicates`` trials each, default the design's).

    param_draws: the draws to use instead of ``ParameterSet.draws`` (e.g. a calibration run's own
    posterior, before it is shipped); ``kind`` then says what they are."""
    from ..data.parameter_set import load_parameter_set

    if isinstance(design, str):
        design = load_design(design)
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or not 2 <= int(draws) <= MAX_DRAWS:
        raise InputError(
            "draws", "number of parameter draws out of range", accepted=f"2-{MAX_DRAWS}", value=draws
        )
    draws = int(draws)
    ps = load_parameter_set(variant)
    R = int(design.replicates if replicates is None else replicates)
    if param_draws is None:
        param_draws = ps.draws(draws, seed)
    else:
        param_draws = [dict(d) for d in param_draws][:draws]
        if len(param_draws) < draws:
            raise InputError("param_draws", "fewer parameter draws than requested", accepted=f">= {draws}",
                             value=len(param_draws))
    per_arm: dict[str, dict[str, list[float | None]]] = {}
    per_con: list[dict[str, list[Any]]] = [
        {"difference": [], "ci95_width": [], "sig": []} for _ in design.contrasts
    ]
    curves: dict[str, list[np.ndarray]] = {}
    ed50s: list[float | None] = []
    days = None
    for i, d in enumerate(param_draws):
        sys_o, real_o = _split_draw(d, ps.system, ps.realism)
        draw_seed = int(np.random.SeedSequence([int(seed), i]).generate_state(1)[0])
        res = run_trial(
            design,
            patients=patients,
            replicates=R,
            seed=draw_seed,
            variant=variant,
            engine=engine,
            params=sys_o or None,
            realism=real_o or None,
        )
        if progress:
            progress("draw", i + 1, draws)
        for arm, arm_reps in res.per_replicate_arms.items():
            slot = per_arm.setdefault(arm, {k: [] for k in ARM_KEYS})
            for arm_res in arm_reps:
                for k in ARM_KEYS:
                    slot[k].append(getattr(arm_res, k))
        for j, con_reps in enumerate(res.per_replicate_contrasts):
            for con in con_reps:
                per_con[j]["difference"].append(con.difference)
                lo, hi = con.ci95
                per_con[j]["ci95_width"].append(None if lo is None or hi is None else hi - lo)
                per_con[j]["sig"].append(con)
        if res.dose_finding is not None:
            ed50s.extend(res.per_replicate_ed50)
        for seq, cur in _change_curves(res).items():
            curves.setdefault(seq, []).append(cur)
        if days is None and res.trajectories:
            days = np.asarray(next(iter(res.trajectories.values())).day)
    arms = {
        a: {k: _pred(v) for k, v in slot.items() if any(x is not None for x in v)}
        for a, slot in per_arm.items()
    }
    contrasts = []
    for dc, acc in zip(design.contrasts, per_con, strict=True):
        fav = -1 if _base_kind(design, dc.endpoint) == "change" else 1
        sig = [
            x.p_value is not None
            and x.p_value < 0.05
            and x.difference is not None
            and np.sign(x.difference) == fav
            for x in acc["sig"]
        ]
        contrasts.append(
            {
                "a": dc.a,
                "b": dc.b,
                "endpoint": dc.endpoint,
                "difference": _pred(acc["difference"]),
                "ci95_width": _pred(acc["ci95_width"]),
                "power": float(np.mean(sig)) if sig else None,
            }
        )
    if ed50s:
        arms["dose finding"] = {"ed50_mg": _pred(ed50s)}
    kind = kind if kind is not None else str(ps.provenance.get("draws", ""))
    out = PosteriorResult(
        design=design,
        draws=draws,
        replicates_per_draw=R,
        seed=seed,
        kind=kind,
        arms=arms,
        contrasts=contrasts,
        comparison=[],
        curves={k: np.vstack(v) for k, v in curves.items()},
        days=days,
        parameters=param_draws,
        model=model_info(variant).with_draws(kind, param_draws),
    )
    out.comparison = compare_published(out)
    return out


def _base_kind(design: TrialDesign, endpoint: str) -> str:
    ep = design.endpoint(endpoint)
    return design.endpoint(ep.of).kind if ep.of else ep.kind


def compare_published(post: PosteriorResult) -> list[dict[str, Any]]:
    """Published values against the predictive distribution: inside the 95% predictive interval? At which
    predictive percentile? For contrasts also the published CI width against the trials' CI widths."""
    pub = post.design.published or {}
    out: list[dict[str, Any]] = []

    def row(
        quantity: str, published: float, pred: Predictive, kind: str, extra: dict[str, Any] | None = None
    ) -> None:
        if pred.n == 0:
            out.append(
                {
                    "quantity": quantity,
                    "kind": kind,
                    "published": published,
                    "pi95": [None, None],
                    "within_pi95": None,
                    "predictive_percentile": None,
                    **(extra or {}),
                }
            )
            return
        lo, hi = pred.interval(0.95)
        out.append(
            {
                "quantity": quantity,
                "kind": kind,
                "published": published,
                "median": float(np.median(pred.values)),
                "pi95": [lo, hi],
                "within_pi95": bool(lo <= published <= hi),
                "predictive_percentile": pred.percentile_of(published),
                **(extra or {}),
            }
        )

    for arm, vals in (pub.get("arms") or {}).items():
        for key, pv in vals.items():
            pred = post.arms.get(arm, {}).get(key)
            if pred is not None and isinstance(pv, int | float):
                row(f"{arm}.{key}", float(pv), pred, "arm")
    for pc in pub.get("contrasts") or []:
        c = next(
            (
                c
                for c in post.contrasts
                if (c["a"], c["b"], c["endpoint"]) == (pc["a"], pc["b"], pc["endpoint"])
            ),
            None,
        )
        if c is None:
            continue
        name = f"{pc['a']}-{pc['b']}.{pc['endpoint']}"
        extra = {"published_ci95": pc.get("ci95")}
        row(f"{name}.difference", float(pc["difference"]), c["difference"], "difference", extra)
        if pc.get("ci95"):
            lo, hi = pc["ci95"]
            row(f"{name}.ci95_width", float(hi - lo), c["ci95_width"], "ci_width")
    return out
