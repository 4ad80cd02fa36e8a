"""Stages 2–4 for up-and-down dose finding (``type: up-and-down``).

Every enrolled patient is simulated and measured at every dose level (one model call per level and
adherence pattern, the same measurement noise at every level), so the design's sequential walk —
patient i+1 one step down after a response, one step up otherwise — only picks which of the
precomputed responses each patient contributes. The ED50 of each trial comes from a logistic
regression of response on dose (the mean dose from the first reversal when that fit is unusable);
the population ED50 and the ED95 are reported only when the data identify them
(:func:`ldnsim.trials.stats.dose_for_response`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import stats as st
from .analysis import arm_result, patient_endpoints
from .arms import (
    MechanismMeans,
    blank_after_dropout,
    last_phase_window,
    phase_window,
    placebo_for,
    simulate_group,
)
from .arms import trajectory as make_trajectory
from .endpoints import endpoint_values
from .enrol import Enrolment, TrialSettings
from .measurement import Observed, observe
from .model import format_dose
from .results import ArmResult, DoseFindingResult, ReplicatesSummary, Trajectory, UpDownTrial

__all__ = [
    "DoseLevels",
    "UpDownOutcome",
    "dose_levels",
    "simulate_dose_levels",
    "walk",
    "analyse_up_and_down",
]


@dataclass(frozen=True)
class DoseLevels:
    """Every patient's endpoint values at every dose level: ``values[endpoint]`` is levels x patients."""

    levels: np.ndarray  # mg
    values: dict[str, np.ndarray]
    observed: dict[int, Observed]
    completer: np.ndarray
    window: tuple[int, int]


@dataclass(frozen=True)
class UpDownOutcome:
    arms: dict[str, ArmResult]
    dose_finding: DoseFindingResult
    replicates: ReplicatesSummary
    waterfall: dict[str, np.ndarray]
    trajectories: dict[str, Trajectory]
    per_replicate_ed50: list[float | None]


def dose_levels(st_: TrialSettings) -> np.ndarray:
    df_ = st_.design.dose_finding
    assert df_ is not None
    return np.round(np.arange(df_.min_mg, df_.max_mg + df_.step_mg / 2, df_.step_mg), 6)


def simulate_dose_levels(
    st_: TrialSettings,
    en: Enrolment,
    rng: np.random.Generator,
    tick: Callable[[str], None],
    mech: MechanismMeans,
) -> DoseLevels:
    """Simulate and measure every patient at every dose level."""
    design, p = st_.design, st_.realism
    df_ = design.dose_finding
    assert df_ is not None
    seq = design.sequences[0]
    pdays, n_days = st_.phase_days[0], st_.n_days[0]
    need = len(en.patients)
    levels = dose_levels(st_)
    pf = placebo_for(st_, en, slice(None), 0)
    base = phase_window(seq.phases, pdays, design.endpoint(df_.responder_endpoint).baseline_phase)
    win = last_phase_window(seq.phases, pdays, df_.treatment)
    noise_seed = int(rng.integers(2**31))  # one set of measurement noise per patient, whatever the dose
    per_ep = patient_endpoints(design)
    vals = {e: np.full((len(levels), need), np.nan) for e in per_ep}
    observed: dict[int, Observed] = {}
    for li, dose in enumerate(levels):
        pain = np.empty((need, n_days))
        for j in range(st_.k_patterns):
            rows = np.flatnonzero(en.pattern == j)
            if rows.size:
                run = simulate_group(st_, en, rows, 0, rng, dose_mg=float(dose))
                pain[rows] = run.pain
                mech.add(f"{format_dose(dose)} mg", run.mechanism, rows.size)
            tick(f"dose {format_dose(dose)} mg")
        obs = observe(
            np.random.default_rng(noise_seed), pain, pf, en.fluctuation[:, :n_days], base, p, design.scale_max
        )
        blank_after_dropout(obs, en.dropout_day)
        observed[li] = obs
        for e in design.endpoints:
            if e.name in vals:
                vals[e.name][li] = endpoint_values(e, obs, base, win)
    return DoseLevels(
        levels=levels, values=vals, observed=observed, completer=en.dropout_day >= win[1], window=win
    )


def walk(
    levels: np.ndarray, response: np.ndarray, rows: np.ndarray, completer: np.ndarray, start_mg: float
) -> tuple[UpDownTrial, dict[int, int]]:
    """One up-and-down trial over patients ``rows`` in order: returns the trial and each analysed
    patient's dose level. ``response`` is levels x patients (0/1, NaN = no data)."""
    li = int(np.argmin(np.abs(levels - start_mg)))
    doses, responses, assigned = [], [], {}
    for i in rows:
        if not completer[i]:
            continue
        rsp = response[li, i]
        if np.isnan(rsp):
            continue
        assigned[int(i)] = li
        doses.append(float(levels[li]))
        responses.append(float(rsp))
        li = int(min(max(li - 1 if rsp >= 0.5 else li + 1, 0), len(levels) - 1))
    ed50 = st.logistic_ed(doses, responses, 0.5)
    method = "logistic regression"
    if ed50 is None or not (levels[0] / 4 <= ed50 <= levels[-1] * 4):
        ed50, method = st.reversal_ed50(doses, responses), "mean dose from first reversal"
    ed95 = st.dose_for_response(doses, responses, 0.95, (float(levels[0]), float(levels[-1])))["value"]
    trial = UpDownTrial(
        ed50_mg=ed50,
        ed95_mg=ed95,
        method=method,
        n=len(doses),
        responders=int(sum(responses)),
        doses=doses,
        responses=responses,
    )
    return trial, assigned


def analyse_up_and_down(st_: TrialSettings, en: Enrolment, dl: DoseLevels) -> UpDownOutcome:
    design = st_.design
    df_ = design.dose_finding
    assert df_ is not None
    levels, vals, completer = dl.levels, dl.values, dl.completer
    en.patients["completer"] = completer
    rep = en.replicate
    need = len(en.patients)
    resp = vals[df_.responder_endpoint]
    per_rep: list[UpDownTrial] = []
    assigned = np.full(need, -1)
    for r in range(st_.replicates):
        trial, got = walk(levels, resp, np.flatnonzero(rep == r), completer, df_.start_mg)
        per_rep.append(trial)
        for i, li in got.items():
            assigned[i] = li
    ed50s = np.array([x.ed50_mg for x in per_rep if x.ed50_mg is not None], float)
    ed95s = np.array([x.ed95_mg for x in per_rep if x.ed95_mg is not None], float)
    arms: dict[str, ArmResult] = {}
    for li, dose in enumerate(levels):
        m = assigned == li
        if m.any():
            name = f"{format_dose(dose)} mg"
            arms[name] = arm_result(design, name, name, {k: vv[li] for k, vv in vals.items()}, m)
    # the ED50 the design estimates: logistic fit of every patient's response at every dose level
    all_d = np.concatenate([np.full(int(completer.sum()), d) for d in levels])
    all_r = np.concatenate([resp[li][completer] for li in range(len(levels))])
    pop = st.dose_for_response(all_d, all_r, 0.5, (float(levels[0]), float(levels[-1])))

    def _mean(x: np.ndarray) -> float | None:
        x = x[~np.isnan(x)]
        return float(x.mean()) if x.size else None

    dose_finding = DoseFindingResult(
        ed50_mg_mean=float(ed50s.mean()) if ed50s.size else None,
        ed50_mg_median=float(np.median(ed50s)) if ed50s.size else None,
        ed50_mg_ci95_over_trials=(float(np.percentile(ed50s, 2.5)), float(np.percentile(ed50s, 97.5)))
        if ed50s.size
        else (None, None),
        ed95_mg_median=float(np.median(ed95s)) if ed95s.size else None,
        responders_mean=float(np.mean([x.responders for x in per_rep])),
        analysed_mean=float(np.mean([x.n for x in per_rep])),
        first_trial=per_rep[0],
        dose_response={f"{format_dose(d)} mg": _mean(resp[li][completer]) for li, d in enumerate(levels)},
        ed50_mg_population=pop["value"],
        ed50_identifiable=bool(pop["identifiable"]),
        ed50_note=pop["reason"],
    )
    replicates = ReplicatesSummary(
        n=st_.replicates,
        power=None,
        difference_ci95=dose_finding.ed50_mg_ci95_over_trials,
        endpoint="ed50_mg",
        contrasts=None,
    )
    m0 = np.flatnonzero((rep == 0) & (assigned >= 0))
    prim = next((e.name for e in design.endpoints if e.kind == "pct_reduction"), design.primary)
    waterfall = {df_.treatment: np.array([vals[prim][assigned[i], i] for i in m0])}
    seq = design.sequences[0]
    trajectories: dict[str, Trajectory] = {}
    for li, dose in enumerate(levels):
        rows = np.flatnonzero(assigned == li)
        if rows.size:
            obs = dl.observed[li]
            trajectories[f"{format_dose(dose)} mg"] = make_trajectory(
                obs.diary[rows], obs.latent[rows], design.scale_max, seq.phases, st_.phase_days[0]
            )
    return UpDownOutcome(
        arms=arms,
        dose_finding=dose_finding,
        replicates=replicates,
        waterfall=waterfall,
        trajectories=trajectories,
        per_replicate_ed50=[t.ed50_mg for t in per_rep],
    )
