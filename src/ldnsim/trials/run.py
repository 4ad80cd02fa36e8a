"""Run a virtual trial: enrol, allocate, simulate, measure, analyse — over replicate trials.

:func:`run_trial` returns a :class:`TrialResult` whose ``summary`` is the CLI's JSON document (see
docs/trials.md) and whose other fields feed the HTML report. All replicate trials are simulated in one
vectorised model call per (sequence or dose level) × adherence pattern: a replicate is a group of
patients, so R replicates cost about one R-times-larger population, not R runs.

Reproducibility: one ``numpy.random.default_rng(seed)`` drives enrolment, allocation, adherence,
placebo, noise and dropout in a fixed order; the model itself is deterministic given its patients.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import DISCLAIMER
from ..errors import InputError
from ..population import sample_population
from . import stats as st
from .design import TrialDesign, load_design
from .endpoints import endpoint_values
from .measurement import dropout_days, missed_dose_mask, observe, ou_process, realism_parameters
from .model import format_dose, n_dose_events, phase_days, sequence_regimen, simulate_pain
from .placebo import expectation_course, placebo_fraction

__all__ = ["run_trial", "TrialResult"]

BINARY_KINDS = ("responder", "composite_responder")


@dataclass
class TrialResult:
    design: TrialDesign
    summary: dict
    trajectories: dict = field(default_factory=dict)  # group -> {day, mean, p10, p90, phases}
    waterfall: dict = field(default_factory=dict)  # treatment -> per-patient primary values (replicate 1)
    mechanism: dict = field(default_factory=dict)  # group -> {var: daily patient-mean}
    patients: pd.DataFrame | None = None
    timings: dict = field(default_factory=dict)


def _allocate(counts_frac: list[float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Counterbalanced allocation: exact counts by largest remainder, random order."""
    f = np.asarray(counts_frac, float)
    f = f / f.sum()
    raw = f * n
    k = np.floor(raw).astype(int)
    rem = n - k.sum()
    if rem > 0:
        k[np.argsort(-(raw - k), kind="stable")[:rem]] += 1
    lab = np.repeat(np.arange(len(f)), k)
    return rng.permutation(lab)


def _patterns(adherence: np.ndarray, k: int) -> np.ndarray:
    """Adherence pattern index (0..k-1) by quantile of adherence."""
    if k <= 1 or adherence.size < k:
        return np.zeros(adherence.size, int)
    ranks = np.argsort(np.argsort(adherence, kind="stable"), kind="stable")
    return (ranks * k // adherence.size).astype(int)


def _realism(
    design: TrialDesign, overrides: Mapping[str, float] | None, use_calibrated: bool, variant: str = "full"
) -> dict:
    p = realism_parameters(overrides, use_calibrated=use_calibrated, variant=variant)
    r = design.realism
    if r.expectation is not None:
        p[f"placebo.expectation.{design.blinding}"] = r.expectation
    if r.dropout_per_week is not None:
        p["dropout.per_week"] = r.dropout_per_week
    if r.adherence is not None:
        p["adherence.fixed"] = r.adherence
    if overrides:  # explicit overrides win over the design's own
        p.update({k: float(v) for k, v in overrides.items() if v is not None})
    return p


def _calibrated_system_params(variant: str) -> dict[str, float]:
    """The variant's system values from the one parameter set (ldnsim.data.parameter_set)."""
    from ..data.parameter_set import load_parameter_set

    return dict(load_parameter_set(variant).system)


def run_trial(
    design: TrialDesign | str,
    *,
    patients: int | None = None,
    replicates: int | None = None,
    seed: int | None = 0,
    variant: str = "full",
    engine: str | None = None,
    params: Mapping[str, float] | None = None,
    realism: Mapping[str, float] | None = None,
    iiv_cv: Mapping[str, float] | None = None,
    use_calibrated: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrialResult:
    """Run ``replicates`` virtual trials of ``design`` with ``patients`` each (defaults: the design's).

    variant: ``full`` or ``mu-only`` (the structural variant without glial TLR4 block).
    params: system-parameter overrides (typical values), on top of the calibrated ones.
    realism: trial-realism overrides (dotted keys of realism.yaml, e.g. ``placebo.expectation.double``).
    progress: callback(stage, done, total) for a progress bar.
    """
    t0 = time.perf_counter()
    if isinstance(design, str):
        design = load_design(design)
    if variant not in ("full", "mu-only"):
        raise InputError("variant", "unknown model variant", accepted="full, mu-only", value=variant)
    n = int(design.patients if patients is None else patients)
    R = int(design.replicates if replicates is None else replicates)
    if not 1 <= n <= 100000:
        raise InputError("patients", "out of range", value=n,
                         accepted="1-100000 (larger populations, without the measurement layer: "
                                  "ldnsim population-trial)")
    if not 1 <= R <= 10000 or n * R > 400000:
        raise InputError(
            "replicates", "out of range", accepted="1-10000 with patients x replicates <= 400000", value=R
        )
    rng = np.random.default_rng(seed)
    p = _realism(design, realism, use_calibrated, variant)
    sys_params = _calibrated_system_params(variant) if use_calibrated else {}
    if params:
        sys_params.update({k: float(v) for k, v in params.items()})
    sys_params = sys_params or None
    call = {"i": 0}
    ud = design.type == "up-and-down"
    seqs = design.sequences
    pdays = [phase_days(s.phases) for s in seqs]
    n_days = [pd_[-1][1] for pd_ in pdays]
    max_days = max(n_days)
    k_pat = 1 if p.get("adherence.fixed") == 1.0 else int(p.get("adherence.patterns", 3))
    if ud:
        df_ = design.dose_finding
        levels = np.round(np.arange(df_.min_mg, df_.max_mg + df_.step_mg / 2, df_.step_mg), 6)
        n_calls = 1 + len(levels) * k_pat
    else:
        n_calls = 1 + len(seqs) * k_pat

    def tick(stage: str) -> None:
        call["i"] += 1
        if progress:
            progress(stage, call["i"], n_calls)

    # ---- enrolment: screening on noisy, fluctuating pain (regression to the mean) ------------------
    pop_kw = dict(
        sex=design.population.sex if design.population.sex != "any" else None,
        age_range=design.population.age,
        concomitant_opioid=design.population.concomitant_opioid,
        params=sys_params,
        iiv_cv=iiv_cv,
    )
    need = n * R
    inc = design.inclusion
    scr_day = int(round(p["fluctuation.screening_day"]))
    lead = max(-scr_day, 0)
    cand_parts, fl_parts, elig_parts = [], [], []
    screened, n_elig = 0, 0
    batch = int(math.ceil(need * 1.3)) + 8
    while n_elig < need:
        if screened >= need * inc.max_screened_per_enrolled:
            raise InputError(
                "inclusion",
                f"too few candidates meet the inclusion criteria ({n_elig} of {need} "
                f"after screening {screened})",
                accepted="lower screening_pain_min",
            )
        c = sample_population(batch, design.condition, rng, **pop_kw)
        pain0, _ = simulate_pain(
            None,
            c,
            2,
            condition=design.condition,
            variant=variant,
            params=sys_params,
            engine=engine,
            seed=int(rng.integers(2**31)),
        )
        fl = ou_process(rng, batch, lead + max_days, p["fluctuation.sd_nrs"], p["fluctuation.tau_days"])
        scr = pain0[:, 0] + fl[:, 0] + rng.normal(0.0, p["fluctuation.screening_sd_nrs"], batch)
        ok = (scr >= inc.screening_pain_min) & (scr <= inc.screening_pain_max)
        cand_parts.append(c)
        fl_parts.append(fl[:, lead:])
        elig_parts.append(ok)
        screened += batch
        n_elig += int(ok.sum())
        batch = max(8, int(math.ceil((need - n_elig) * 1.5 * screened / max(n_elig, 1))))
    tick("screening")
    cands = pd.concat(cand_parts, ignore_index=True)
    elig = np.concatenate(elig_parts)
    fluct_all = np.concatenate(fl_parts)
    idx = np.flatnonzero(elig)[:need]
    pts = cands.iloc[idx].reset_index(drop=True)
    pts["patient_id"] = np.arange(need)
    pts["replicate"] = np.arange(need) // n
    fluct = fluct_all[idx]
    screening_rate = float(elig.mean())

    # ---- allocation --------------------------------------------------------------------------------
    if ud:
        seq_idx = np.zeros(need, int)
    else:
        seq_idx = np.concatenate([_allocate([s.fraction for s in seqs], n, rng) for _ in range(R)])
    pts["sequence"] = [seqs[i].name for i in seq_idx]
    pat = _patterns(pts["adherence"].to_numpy(), k_pat)
    pts["adherence_pattern"] = pat
    drop = dropout_days(rng, need, max_days, p["dropout.per_week"])
    pts["dropout_day"] = drop

    E = p[f"placebo.expectation.{design.blinding}"]
    resp = pts["placebo_responsiveness"].to_numpy()
    ep_list = design.endpoints

    def treated_flags(phases) -> list[bool]:
        out = []
        for ph in phases:
            if ph.treatment is None:
                out.append(False)
            elif design.blinding == "open":
                out.append(not design.treatments[ph.treatment].placebo)
            else:
                out.append(True)
        return out

    def observed_for(rows: np.ndarray, pain: np.ndarray, s: int):
        phases = seqs[s].phases
        course = expectation_course(
            pdays[s], treated_flags(phases), p["placebo.onset_days"], p["placebo.offset_days"]
        )
        pf = placebo_fraction(course, E, resp[rows])
        base = _phase_window(phases, pdays[s], ep_list[0].baseline_phase)
        obs = observe(rng, pain, pf, fluct[rows, : n_days[s]], base, p, design.scale_max)
        for arr in (obs.diary, obs.fatigue, obs.sleep):
            for j, r in enumerate(rows):
                arr[j, drop[r] :] = np.nan
        return obs

    mechanism: dict[str, dict[str, np.ndarray]] = {}
    trajectories: dict[str, dict] = {}

    def add_mech(group: str, mech: dict[str, np.ndarray], w: int) -> None:
        g = mechanism.setdefault(group, {"_w": 0})
        for k, v in mech.items():
            g[k] = (g.get(k, 0.0) * g["_w"] + v * w) / (g["_w"] + w)
        g["_w"] += w

    t_model = 0.0
    if not ud:
        ev_vals = {e.name: {t: np.full(need, np.nan) for t in design.treatment_names()} for e in ep_list}
        period = {t: np.full(need, -1) for t in design.treatment_names()}
        latent_tr: dict[str, list] = {}
        for s, seq in enumerate(seqs):
            rows_s = np.flatnonzero(seq_idx == s)
            if rows_s.size == 0:
                continue
            obs_rows, obs_parts = [], []
            for j in range(k_pat):
                rows = rows_s[pat[rows_s] == j]
                if rows.size == 0:
                    tick(f"sequence {seq.name}")
                    continue
                reg0 = sequence_regimen(design.treatments, seq.phases)
                adh = p.get("adherence.fixed", float(pts["adherence"].to_numpy()[rows].mean()))
                mask = (
                    missed_dose_mask(rng, n_dose_events(reg0, n_days[s]), adh) if reg0 is not None else None
                )
                reg = sequence_regimen(design.treatments, seq.phases, missed_mask=mask)
                t1 = time.perf_counter()
                pain, mech = simulate_pain(
                    reg,
                    pts.iloc[rows],
                    n_days[s],
                    condition=design.condition,
                    variant=variant,
                    params=sys_params,
                    engine=engine,
                    seed=int(rng.integers(2**31)),
                )
                t_model += time.perf_counter() - t1
                tick(f"sequence {seq.name}")
                add_mech(seq.name, mech, rows.size)
                obs_rows.append(rows)
                obs_parts.append(observed_for(rows, pain, s))
            rows_all = np.concatenate(obs_rows)
            diary = np.concatenate([o.diary for o in obs_parts])
            latent = np.concatenate([o.latent for o in obs_parts])
            trajectories[seq.name] = _traj(diary, latent, design.scale_max, seq.phases, pdays[s])
            latent_tr[seq.name] = latent
            k_period = 0
            for (_a, _b), ph in zip(pdays[s], seq.phases, strict=True):
                if ph.treatment is None:
                    continue
                k_period += 1
                period[ph.treatment][rows_all] = k_period
            for e in ep_list:
                base = _phase_window(seq.phases, pdays[s], e.baseline_phase)
                for tname in {ph.treatment for ph in seq.phases if ph.treatment}:
                    win = _last_phase_window(seq.phases, pdays[s], tname)
                    vals = np.concatenate([endpoint_values(e, o, base, win) for o in obs_parts])
                    ev_vals[e.name][tname][rows_all] = vals
        # completers: stayed until the end of their last treated phase
        last_tr_end = np.array(
            [
                max(b for (a, b), ph in zip(pdays[s], seqs[s].phases, strict=True) if ph.treatment)
                for s in seq_idx
            ]
        )
        completer = drop >= last_tr_end
        pts["completer"] = completer
        summary, waterfall = _analyse(design, pts, ev_vals, period, completer, R)
        summary["screening"] = {"screened_per_enrolled": round(1.0 / max(screening_rate, 1e-9), 3)}
    else:
        enrolled = _Enrolled(design=design, pts=pts, rng=rng, realism=p, pattern=pat, k_pat=k_pat, drop=drop,
                             fluct=fluct, resp=resp, expectation=E, n=n, replicates=R, variant=variant,
                             sys_params=sys_params, engine=engine, treated_flags=treated_flags, tick=tick,
                             add_mech=add_mech)
        summary, waterfall, trajectories = _run_up_and_down(enrolled, levels, pdays[0], n_days[0])
        t_model = float("nan")
    for g in mechanism.values():
        g.pop("_w", None)
    summary = {
        "design": _design_doc(design, n, R, seed, variant, engine),
        **summary,
        "published": design.published or {},
        "disclaimer": DISCLAIMER,
    }
    summary["comparison"] = _compare(design, summary)
    elapsed = time.perf_counter() - t0
    summary["timing_s"] = {"total": round(elapsed, 3)}
    if math.isfinite(t_model):
        summary["timing_s"]["model"] = round(t_model, 3)
    return TrialResult(
        design=design,
        summary=summary,
        trajectories=trajectories,
        waterfall=waterfall,
        mechanism=mechanism,
        patients=pts,
        timings=summary["timing_s"],
    )


# ------------------------------------------------------------------------------------------ helpers


def _phase_window(phases, pdays, name: str) -> tuple[int, int]:
    for (a, b), ph in zip(pdays, phases, strict=True):
        if ph.name == name:
            return (a, b)
    raise InputError("endpoints.baseline_phase", f"no phase named {name!r}")


def _last_phase_window(phases, pdays, treatment: str) -> tuple[int, int]:
    win = None
    for (a, b), ph in zip(pdays, phases, strict=True):
        if ph.treatment == treatment:
            win = (a, b)
    assert win is not None
    return win


def _traj(diary: np.ndarray, latent: np.ndarray, scale_max: int, phases, pdays) -> dict:
    f = scale_max / 10.0
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(diary, axis=0) * f
            p10 = np.nanpercentile(diary, 10, axis=0) * f
            p90 = np.nanpercentile(diary, 90, axis=0) * f
            lat = np.nanmean(latent, axis=0) * f
    return {
        "day": np.arange(diary.shape[1]),
        "mean": mean,
        "p10": p10,
        "p90": p90,
        "latent_mean": lat,
        "n": int(diary.shape[0]),
        "phases": [
            {"name": ph.name, "treatment": ph.treatment, "start": a, "end": b}
            for (a, b), ph in zip(pdays, phases, strict=True)
        ],
    }


def _responder_name(design: TrialDesign) -> str | None:
    names = [e.name for e in design.endpoints]
    if "responder" in names and design.endpoint("responder").kind in BINARY_KINDS:
        return "responder"
    for e in design.endpoints:
        if e.kind in BINARY_KINDS:
            return e.name
    return None


def _first_of(design: TrialDesign, kind: str) -> str | None:
    for e in design.endpoints:
        if e.kind == kind:
            return e.name
    return None


def _mean(x: np.ndarray) -> float | None:
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else None


def _arm_summary(design: TrialDesign, vals: dict[str, np.ndarray], mask: np.ndarray) -> dict:
    pct, chg, rsp = _first_of(design, "pct_reduction"), _first_of(design, "change"), _responder_name(design)
    prim = vals[design.primary][mask]
    out: dict[str, Any] = {"n": int(np.sum(~np.isnan(prim)))}
    out["pct_reduction_mean"] = _mean(vals[pct][mask]) if pct else None
    out["nrs_change_mean"] = _mean(vals[chg][mask]) if chg else None
    out["responder_rate"] = _mean(vals[rsp][mask]) if rsp else None
    out["endpoints"] = {k: _mean(v[mask]) for k, v in vals.items()}
    return out


def _contrast(design: TrialDesign, c, ev_vals, period, pts, mask, with_mixed: bool) -> dict:
    ep = design.endpoint(c.endpoint)
    a = ev_vals[c.endpoint][c.a]
    b = ev_vals[c.endpoint][c.b]
    binary = ep.kind in BINARY_KINDS
    if design.paired():
        res = st.paired_binary(a[mask], b[mask]) if binary else st.paired_continuous(a[mask], b[mask])
    else:
        res = st.unpaired_binary(a[mask], b[mask]) if binary else st.unpaired_continuous(a[mask], b[mask])
    out = {"a": c.a, "b": c.b, "endpoint": c.endpoint, **res}
    if with_mixed and design.type == "crossover" and not binary:
        rows = np.flatnonzero(mask)
        vals = np.concatenate([a[rows], b[rows]])
        pid = np.concatenate([rows, rows])
        trt = np.array([c.a] * rows.size + [c.b] * rows.size)
        per = np.concatenate([period[c.a][rows], period[c.b][rows]])
        seq = np.concatenate([pts["sequence"].to_numpy()[rows]] * 2)
        mm = st.mixed_model_crossover(vals, pid, trt, per, seq, c.a, c.b)
        if mm is not None:
            out["mixed_model"] = mm
    return out


def _favourable(design: TrialDesign, endpoint: str) -> int:
    return -1 if design.endpoint(endpoint).kind == "change" else 1


def _analyse(design, pts, ev_vals, period, completer, R) -> tuple[dict, dict]:
    rep = pts["replicate"].to_numpy()
    trts = design.treatment_names()
    per_rep_arms = []
    per_rep_con = []
    for r in range(R):
        m = (rep == r) & completer
        per_rep_arms.append({t: _arm_summary(design, {k: v[t] for k, v in ev_vals.items()}, m) for t in trts})
        per_rep_con.append(
            [_contrast(design, c, ev_vals, period, pts, m, with_mixed=(r == 0)) for c in design.contrasts]
        )
    arms = {}
    for t in trts:
        first = per_rep_arms[0][t]
        arm = {"n": first["n"]}
        for key in ("pct_reduction_mean", "nrs_change_mean", "responder_rate"):
            xs = [a[t][key] for a in per_rep_arms if a[t][key] is not None]
            arm[key] = float(np.mean(xs)) if xs else None
            if xs and len(xs) > 1:
                arm[key.replace("_mean", "").replace("_rate", "") + "_sd_between_trials"] = float(
                    np.std(xs, ddof=1)
                )
        arm["endpoints"] = {k: _nanmean_list([a[t]["endpoints"][k] for a in per_rep_arms]) for k in ev_vals}
        arm["label"] = design.treatments[t].label or t
        arms[t] = arm
    contrasts = per_rep_con[0]
    rep_contrasts = []
    for i, c in enumerate(design.contrasts):
        rs = st.replicate_summary(
            [pc[i]["difference"] for pc in per_rep_con],
            [pc[i]["p_value"] for pc in per_rep_con],
            _favourable(design, c.endpoint),
        )
        rep_contrasts.append({"a": c.a, "b": c.b, "endpoint": c.endpoint, **rs})
    replicates = {"n": R}
    if rep_contrasts:
        prim = next((rc for rc in rep_contrasts if rc["endpoint"] == design.primary), rep_contrasts[0])
        replicates.update(
            {
                "power": prim["power"],
                "difference_ci95": prim["difference_ci95"],
                "difference_mean": prim["difference_mean"],
                "endpoint": prim["endpoint"],
            }
        )
    else:
        replicates.update({"power": None, "difference_ci95": [None, None]})
    replicates["contrasts"] = rep_contrasts
    m0 = (rep == 0) & completer
    waterfall = {t: ev_vals[design.primary][t][m0] for t in trts}
    waterfall = {t: v[~np.isnan(v)] for t, v in waterfall.items()}
    return {
        "arms": arms,
        "contrasts": contrasts,
        "replicates": replicates,
        "n_enrolled_per_trial": int(np.sum(rep == 0)),
        "n_completed_per_trial_mean": float(np.mean([np.sum((rep == r) & completer) for r in range(R)])),
    }, waterfall


def _nanmean_list(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return float(np.mean(xs)) if xs else None


@dataclass
class _Enrolled:
    """What :func:`run_trial` has settled before the treatment phases: the enrolled patients and their
    per-patient draws, the realism parameters and the run's callbacks (passed to the up-and-down runner)."""

    design: TrialDesign
    pts: pd.DataFrame
    rng: np.random.Generator
    realism: dict[str, float]
    pattern: np.ndarray  # adherence pattern per patient
    k_pat: int
    drop: np.ndarray  # dropout day per patient
    fluct: np.ndarray  # patients × days pain fluctuation
    resp: np.ndarray  # placebo responsiveness per patient
    expectation: float
    n: int
    replicates: int
    variant: str
    sys_params: dict[str, float] | None
    engine: str | None
    treated_flags: Callable[[Any], list[bool]]
    tick: Callable[[str], None]
    add_mech: Callable[[str, dict, int], None]


def _run_up_and_down(ctx: _Enrolled, levels: np.ndarray, pdays, n_days: int):
    design, pts, rng, p = ctx.design, ctx.pts, ctx.rng, ctx.realism
    pat, k_pat, drop, fluct, resp = ctx.pattern, ctx.k_pat, ctx.drop, ctx.fluct, ctx.resp
    E, n, R = ctx.expectation, ctx.n, ctx.replicates
    variant, sys_params, engine = ctx.variant, ctx.sys_params, ctx.engine
    treated_flags, tick, add_mech = ctx.treated_flags, ctx.tick, ctx.add_mech
    df_ = design.dose_finding
    seq = design.sequences[0]
    need = len(pts)
    course = expectation_course(
        pdays, treated_flags(seq.phases), p["placebo.onset_days"], p["placebo.offset_days"]
    )
    pf = placebo_fraction(course, E, resp)
    base = _phase_window(seq.phases, pdays, design.endpoint(df_.responder_endpoint).baseline_phase)
    win = _last_phase_window(seq.phases, pdays, df_.treatment)
    # one set of measurement noise per patient, whatever dose they end up on
    noise_seed = int(rng.integers(2**31))
    vals = {e.name: np.full((len(levels), need), np.nan) for e in design.endpoints}
    diaries = {}
    for li, dose in enumerate(levels):
        pain = np.empty((need, n_days))
        for j in range(k_pat):
            rows = np.flatnonzero(pat == j)
            if rows.size == 0:
                tick(f"dose {format_dose(dose)} mg")
                continue
            reg0 = sequence_regimen(design.treatments, seq.phases, dose_mg=float(dose))
            adh = p.get("adherence.fixed", float(pts["adherence"].to_numpy()[rows].mean()))
            mask = missed_dose_mask(rng, n_dose_events(reg0, n_days), adh)
            reg = sequence_regimen(design.treatments, seq.phases, dose_mg=float(dose), missed_mask=mask)
            pr, mech = simulate_pain(
                reg,
                pts.iloc[rows],
                n_days,
                condition=design.condition,
                variant=variant,
                params=sys_params,
                engine=engine,
                seed=int(rng.integers(2**31)),
            )
            pain[rows] = pr
            add_mech(f"{format_dose(dose)} mg", mech, rows.size)
            tick(f"dose {format_dose(dose)} mg")
        obs = observe(
            np.random.default_rng(noise_seed), pain, pf, fluct[:, :n_days], base, p, design.scale_max
        )
        for arr in (obs.diary, obs.fatigue, obs.sleep):
            for r in range(need):
                arr[r, drop[r] :] = np.nan
        diaries[li] = obs
        for e in design.endpoints:
            vals[e.name][li] = endpoint_values(e, obs, base, win)
    rep = pts["replicate"].to_numpy()
    completer = drop >= win[1]
    pts["completer"] = completer
    per_rep = []
    assigned = np.full(need, -1)
    for r in range(R):
        rows = np.flatnonzero(rep == r)
        li = int(np.argmin(np.abs(levels - df_.start_mg)))
        doses, responses = [], []
        for i in rows:
            if not completer[i]:
                continue
            rsp = vals[df_.responder_endpoint][li, i]
            if np.isnan(rsp):
                continue
            assigned[i] = li
            doses.append(float(levels[li]))
            responses.append(float(rsp))
            li = li - 1 if rsp >= 0.5 else li + 1
            li = int(min(max(li, 0), len(levels) - 1))
        ed50 = st.logistic_ed(doses, responses, 0.5)
        method = "logistic regression"
        if ed50 is None or not (levels[0] / 4 <= ed50 <= levels[-1] * 4):
            ed50, method = st.reversal_ed50(doses, responses), "mean dose from first reversal"
        ed95 = st.logistic_ed(doses, responses, 0.95)
        per_rep.append(
            {
                "ed50_mg": ed50,
                "ed95_mg": ed95,
                "method": method,
                "n": len(doses),
                "responders": int(sum(responses)),
                "doses": doses,
                "responses": responses,
            }
        )
    ed50s = np.array([x["ed50_mg"] for x in per_rep if x["ed50_mg"] is not None], float)
    ed95s = np.array([x["ed95_mg"] for x in per_rep if x["ed95_mg"] is not None], float)
    arms = {}
    for li, dose in enumerate(levels):
        m = assigned == li
        if not m.any():
            continue
        v = {k: vv[li] for k, vv in vals.items()}
        a = _arm_summary(design, v, m)
        a["label"] = f"{format_dose(dose)} mg"
        arms[f"{format_dose(dose)} mg"] = a
    dose_finding = {
        "ed50_mg_mean": float(ed50s.mean()) if ed50s.size else None,
        "ed50_mg_median": float(np.median(ed50s)) if ed50s.size else None,
        "ed50_mg_ci95_over_trials": [float(np.percentile(ed50s, 2.5)), float(np.percentile(ed50s, 97.5))]
        if ed50s.size
        else [None, None],
        "ed95_mg_median": float(np.median(ed95s)) if ed95s.size else None,
        "responders_mean": float(np.mean([x["responders"] for x in per_rep])),
        "analysed_mean": float(np.mean([x["n"] for x in per_rep])),
        "first_trial": per_rep[0],
        "dose_response": {
            f"{format_dose(d)} mg": _mean(vals[df_.responder_endpoint][li][completer])
            for li, d in enumerate(levels)
        },
    }
    # the ED50 the design estimates: logistic fit of every patient's response at every dose level
    all_d = np.concatenate([np.full(int(completer.sum()), d) for d in levels])
    all_r = np.concatenate([vals[df_.responder_endpoint][li][completer] for li in range(len(levels))])
    dose_finding["ed50_mg_population"] = st.logistic_ed(all_d, all_r, 0.5)
    replicates = {
        "n": R,
        "power": None,
        "difference_ci95": dose_finding["ed50_mg_ci95_over_trials"],
        "endpoint": "ed50_mg",
    }
    waterfall = {}
    trajectories = {}
    m0 = np.flatnonzero((rep == 0) & (assigned >= 0))
    prim = next((e.name for e in design.endpoints if e.kind == "pct_reduction"), design.primary)
    waterfall[df_.treatment] = np.array([vals[prim][assigned[i], i] for i in m0])
    for li, dose in enumerate(levels):
        rows = np.flatnonzero(assigned == li)
        if rows.size:
            trajectories[f"{format_dose(dose)} mg"] = _traj(
                diaries[li].diary[rows], diaries[li].latent[rows], design.scale_max, seq.phases, pdays
            )
    summary = {
        "arms": arms,
        "contrasts": [],
        "replicates": replicates,
        "dose_finding": dose_finding,
        "n_enrolled_per_trial": n,
    }
    return summary, waterfall, trajectories


def _design_doc(design: TrialDesign, n: int, R: int, seed, variant: str, engine) -> dict:
    return {
        "name": design.name,
        "title": design.title,
        "type": design.type,
        "blinding": design.blinding,
        "randomized": design.randomized,
        "condition": design.condition,
        "patients": n,
        "replicates": R,
        "seed": seed,
        "variant": variant,
        "engine": engine or "default",
        "scale": f"0-{design.scale_max}",
        "treatments": {k: (v.regimen or "placebo") for k, v in design.treatments.items()},
        "sequences": [
            {
                "name": s.name,
                "phases": [{"name": p.name, "weeks": p.weeks, "treatment": p.treatment} for p in s.phases],
            }
            for s in design.sequences
        ],
        "primary": design.primary,
    }


def _compare(design: TrialDesign, summary: dict) -> list[dict]:
    """Simulated vs published, quantity by quantity, with the published tolerance."""
    pub = design.published or {}
    tol = pub.get("tolerance") or {}
    out = []
    for arm, vals in (pub.get("arms") or {}).items():
        for key, pv in vals.items():
            sim = (summary.get("arms", {}).get(arm) or {}).get(key)
            t = tol.get(key)
            out.append(
                {
                    "quantity": f"{arm}.{key}",
                    "published": pv,
                    "simulated": sim,
                    "tolerance": t,
                    "within": None if (sim is None or t is None) else bool(abs(sim - pv) <= t),
                }
            )
    if "ed50_mg" in pub:
        sim = (summary.get("dose_finding") or {}).get("ed50_mg_median")
        t = tol.get("ed50_mg")
        out.append(
            {
                "quantity": "ed50_mg",
                "published": pub["ed50_mg"],
                "simulated": sim,
                "tolerance": t,
                "within": None if (sim is None or t is None) else bool(abs(sim - pub["ed50_mg"]) <= t),
            }
        )
    return out
