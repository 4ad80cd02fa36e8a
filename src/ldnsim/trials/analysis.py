"""Stage 4 of a virtual trial: endpoints and statistics per replicate trial, then over trials.

:func:`analyse` takes the endpoint table of all replicate trials and returns the arms (means over
trials), the contrasts of the first trial (one trial like the published one, with the crossover mixed
model), and every contrast's distribution over trials (:class:`Analysis`). Who is analysed follows the
design's ``analysis``: completers, or everyone randomised (ITT, dropouts imputed in the measurement
stage).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import stats as st
from .arms import EndpointTable
from .design import Contrast, TrialDesign
from .results import ArmResult, ContrastResult, ReplicateContrast, ReplicatesSummary

__all__ = ["Analysis", "analyse", "arm_result", "analysed_mask", "BINARY_KINDS", "EFFECT_SIZE_KINDS"]

BINARY_KINDS = (
    "responder",
    "composite_responder",
    "cdai_response",
    "cdai_remission",
    "endoscopic_response",
    "endoscopic_remission",
    "pcdai_response",
    "pcdai_remission",
)
#: continuous kinds where a fall is the improvement (the rest: a rise is)
_LOWER_IS_BETTER = ("change", "cdai_change", "pcdai_change")
#: endpoint kinds that are standardised effect sizes of a contrast (computed from a base endpoint)
EFFECT_SIZE_KINDS = ("cohens_d", "cohens_dz")


@dataclass(frozen=True)
class Analysis:
    arms: dict[str, ArmResult]
    contrasts: list[ContrastResult]
    replicates: ReplicatesSummary
    waterfall: dict[str, np.ndarray]
    n_enrolled_per_trial: int
    n_completed_per_trial_mean: float
    per_replicate_arms: dict[str, list[ArmResult]]
    per_replicate_contrasts: list[list[ContrastResult]]  # per design contrast, one per replicate trial


def responder_name(design: TrialDesign) -> str | None:
    """The endpoint reported as ``responder_rate``: the one named ``responder``, else the first binary one."""
    names = [e.name for e in design.endpoints]
    if "responder" in names and design.endpoint("responder").kind in BINARY_KINDS:
        return "responder"
    for e in design.endpoints:
        if e.kind in BINARY_KINDS:
            return e.name
    return None


def first_of(design: TrialDesign, kind: str) -> str | None:
    for e in design.endpoints:
        if e.kind == kind:
            return e.name
    return None


def _mean(x: np.ndarray) -> float | None:
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else None


def _mean_width(cis: Sequence[tuple[float | None, float | None]]) -> float | None:
    w = [hi - lo for lo, hi in cis if lo is not None and hi is not None]
    return float(np.mean(w)) if w else None


def _nanmean_list(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.mean(vals)) if vals else None


def patient_endpoints(design: TrialDesign) -> list[str]:
    """Endpoints computed per patient (every kind except the standardised effect sizes)."""
    return [e.name for e in design.endpoints if e.kind not in EFFECT_SIZE_KINDS]


def arm_result(
    design: TrialDesign, name: str, label: str, vals: dict[str, np.ndarray], mask: np.ndarray
) -> ArmResult:
    """An arm in one trial (or group of patients): means of the per-patient endpoints over ``mask``."""
    pct, chg, rsp = first_of(design, "pct_reduction"), first_of(design, "change"), responder_name(design)
    prim = design.primary if design.primary in vals else next(iter(vals))
    return ArmResult(
        name=name,
        label=label,
        n=int(np.sum(~np.isnan(vals[prim][mask]))),
        pct_reduction_mean=_mean(vals[pct][mask]) if pct else None,
        nrs_change_mean=_mean(vals[chg][mask]) if chg else None,
        responder_rate=_mean(vals[rsp][mask]) if rsp else None,
        endpoints={k: _mean(v[mask]) for k, v in vals.items()},
    )


def _effect_size(design: TrialDesign, ep_name: str, a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Cohen's d (difference of means / pooled SD) or d_z (mean within-patient difference / its SD)."""
    if design.endpoint(ep_name).kind == "cohens_dz":
        return st.cohens_dz(a, b)
    return st.cohens_d(a, b)


def _contrast(
    design: TrialDesign,
    c: Contrast,
    table: EndpointTable,
    pts: pd.DataFrame,
    mask: np.ndarray,
    with_mixed: bool,
) -> ContrastResult:
    ep = design.endpoint(c.endpoint)
    src = ep.of if ep.kind in EFFECT_SIZE_KINDS and ep.of is not None else c.endpoint
    a = table.values[src][c.a]
    b = table.values[src][c.b]
    if ep.kind in EFFECT_SIZE_KINDS:
        return ContrastResult.from_stats(
            c.a, c.b, c.endpoint, _effect_size(design, c.endpoint, a[mask], b[mask])
        )
    binary = ep.kind in BINARY_KINDS
    if design.paired():
        res = st.paired_binary(a[mask], b[mask]) if binary else st.paired_continuous(a[mask], b[mask])
    else:
        res = st.unpaired_binary(a[mask], b[mask]) if binary else st.unpaired_continuous(a[mask], b[mask])
    mm = None
    if with_mixed and design.type == "crossover" and not binary:
        rows = np.flatnonzero(mask)
        mm = st.mixed_model_crossover(
            np.concatenate([a[rows], b[rows]]),
            np.concatenate([rows, rows]),
            np.array([c.a] * rows.size + [c.b] * rows.size),
            np.concatenate([table.period[c.a][rows], table.period[c.b][rows]]),
            np.concatenate([pts["sequence"].to_numpy()[rows]] * 2),
            c.a,
            c.b,
        )
    return ContrastResult.from_stats(c.a, c.b, c.endpoint, res, mm)


def _favourable(design: TrialDesign, endpoint: str) -> int:
    ep = design.endpoint(endpoint)
    base = design.endpoint(ep.of) if ep.kind in EFFECT_SIZE_KINDS and ep.of else ep
    if base.kind in ("qol_score", "qol_change") and base.measure:
        from .disease.ms import better_sign

        return better_sign(base.measure)
    return -1 if base.kind in _LOWER_IS_BETTER else 1


def analysed_mask(design: TrialDesign, table: EndpointTable) -> np.ndarray:
    """Who is analysed: completers, or (ITT) every enrolled patient."""
    if design.analysis == "completers":
        return table.completer
    return np.ones_like(table.completer, bool)


def analyse(design: TrialDesign, pts: pd.DataFrame, table: EndpointTable, R: int) -> Analysis:
    """Arms, first-trial contrasts and the distribution of every contrast over the ``R`` trials."""
    rep = pts["replicate"].to_numpy()
    trts = design.treatment_names()
    who = analysed_mask(design, table)
    per_ep = patient_endpoints(design)
    per_rep_arms = []
    per_rep_con = []
    for r in range(R):
        m = (rep == r) & who
        per_rep_arms.append(
            {
                t: arm_result(
                    design, t, design.treatments[t].label or t, {k: table.values[k][t] for k in per_ep}, m
                )
                for t in trts
            }
        )
        per_rep_con.append(
            [_contrast(design, c, table, pts, m, with_mixed=(r == 0)) for c in design.contrasts]
        )
    arms = {}
    for t in trts:
        sd: dict[str, float] = {}
        means: dict[str, float | None] = {}
        for key, short in (
            ("pct_reduction_mean", "pct_reduction"),
            ("nrs_change_mean", "nrs_change"),
            ("responder_rate", "responder"),
        ):
            xs = [getattr(a[t], key) for a in per_rep_arms if getattr(a[t], key) is not None]
            means[key] = float(np.mean(xs)) if xs else None
            if len(xs) > 1:
                sd[short] = float(np.std(xs, ddof=1))
        arms[t] = ArmResult(
            name=t,
            label=design.treatments[t].label or t,
            n=per_rep_arms[0][t].n,
            pct_reduction_mean=means["pct_reduction_mean"],
            nrs_change_mean=means["nrs_change_mean"],
            responder_rate=means["responder_rate"],
            endpoints={k: _nanmean_list([a[t].endpoints[k] for a in per_rep_arms]) for k in per_ep},
            sd_between_trials=sd,
        )
    rep_contrasts = []
    for i, c in enumerate(design.contrasts):
        rs = st.replicate_summary(
            [pc[i].difference for pc in per_rep_con],
            [pc[i].p_value for pc in per_rep_con],
            _favourable(design, c.endpoint),
        )
        rep_contrasts.append(
            ReplicateContrast(
                a=c.a,
                b=c.b,
                endpoint=c.endpoint,
                n=rs["n"],
                difference_mean=rs["difference_mean"],
                difference_sd=rs["difference_sd"],
                difference_ci95=(rs["difference_ci95"][0], rs["difference_ci95"][1]),
                power=rs["power"],
                ci95_width_mean=_mean_width([pc[i].ci95 for pc in per_rep_con]),
            )
        )
    if rep_contrasts:
        prim = next((rc for rc in rep_contrasts if rc.endpoint == design.primary), rep_contrasts[0])
        replicates = ReplicatesSummary(
            n=R,
            power=prim.power,
            difference_ci95=prim.difference_ci95,
            difference_mean=prim.difference_mean,
            endpoint=prim.endpoint,
            contrasts=rep_contrasts,
        )
    else:
        replicates = ReplicatesSummary(n=R, power=None, difference_ci95=(None, None), contrasts=[])
    m0 = (rep == 0) & who
    prim_ep = design.primary if design.primary in per_ep else per_ep[0]
    waterfall = {t: table.values[prim_ep][t][m0] for t in trts}
    waterfall = {t: v[~np.isnan(v)] for t, v in waterfall.items()}
    return Analysis(
        arms=arms,
        contrasts=per_rep_con[0],
        replicates=replicates,
        waterfall=waterfall,
        n_enrolled_per_trial=int(np.sum(rep == 0)),
        n_completed_per_trial_mean=float(np.mean([np.sum((rep == r) & table.completer) for r in range(R)])),
        per_replicate_arms={t: [a[t] for a in per_rep_arms] for t in trts},
        per_replicate_contrasts=[[pc[i] for pc in per_rep_con] for i in range(len(design.contrasts))],
    )
