"""Virtual trials of the disease conditions (Crohn's disease, multiple sclerosis) on the immune module.

The same five stages as the pain trials (:mod:`ldnsim.trials.run`), with the disease readout in place of
the pain diary:

1. **enrol**: draw candidates' traits (:mod:`.crohns` / :mod:`.ms`), measure the entry visit, apply the
   entry window (Crohn's: CDAI 220–450 unless the design says otherwise; regression to the mean follows),
   allocate to sequences, draw dropout;
2. **simulate**: one :func:`~.immune_link.immune_daily` call per sequence for the patients of every
   replicate trial (the immune module's between-patient variability included);
3. **measure**: expectation (placebo) course, natural course, readout, one noisy reading per visit (the
   last day of each treated phase; the entry visit is the baseline);
4. **analyse**: per-patient endpoint values → :func:`ldnsim.trials.analysis.analyse` (the pain trials'
   statistics: arms, contrasts, replicate distributions);
5. **compare** with the published result (:func:`ldnsim.trials.compare.compare`).

One ``numpy.random.default_rng(seed)`` drives every draw in a fixed order, so a seed gives the same numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from ...errors import InputError
from ..analysis import analyse
from ..arms import EndpointTable, last_phase_window
from ..compare import compare
from ..design import TrialDesign
from ..enrol import MAX_PATIENT_TRIALS, MAX_PATIENTS, _check_arm_sizes, allocate
from ..measurement import dropout_days, missed_dose_mask
from ..model import n_dose_events, phase_days, sequence_regimen
from ..placebo import expectation_course, placebo_fraction
from ..provenance import disease_model_info
from ..results import RunInfo, Trajectory, TrialResult
from . import crohns, ms
from .immune_link import READOUT_VAR, immune_daily
from .params import readout_parameters

__all__ = ["run_disease_trial", "READINGS", "primary_reading"]

#: the readings of each condition: name -> (noise SD key, low, high) of its scale
READINGS: dict[str, dict[str, tuple[str, float, float]]] = {
    "crohns": {
        "cdai": ("cdai.measurement_sd", 0.0, 600.0),
        "pcdai": ("pcdai.measurement_sd", 0.0, 100.0),
        "cdeis": ("cdeis.measurement_sd", 0.0, 44.0),
    },
    "ms": {m: (f"measures.{m}.assessment_sd", -1e6, 1e6) for m in ms.MEASURES},
}

#: endpoint kind -> (reading, default threshold key)
_KIND_READING = {
    "cdai_response": ("cdai", "cdai.response_drop"),
    "cdai_remission": ("cdai", "cdai.remission_below"),
    "cdai_change": ("cdai", None),
    "endoscopic_response": ("cdeis", "cdeis.response_drop"),
    "endoscopic_remission": ("cdeis", "cdeis.remission_below"),
    "pcdai_response": ("pcdai", "pcdai.response_drop"),
    "pcdai_remission": ("pcdai", "pcdai.remission_at_most"),
    "pcdai_change": ("pcdai", None),
}


def reading_of(ep) -> str:
    return ep.measure if ep.kind in ("qol_score", "qol_change") else _KIND_READING[ep.kind][0]


def primary_reading(design: TrialDesign) -> str:
    return reading_of(design.endpoint(design.primary))


def endpoint_value(ep, p: Mapping[str, float], base: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Per-patient value of a disease endpoint from the baseline and end readings (NaN stays NaN)."""
    if ep.kind in ("qol_score",):
        return end.astype(float)
    if ep.kind in ("qol_change", "cdai_change", "pcdai_change"):
        return end - base
    reading, key = _KIND_READING[ep.kind]
    assert key is not None  # every thresholded kind has a default threshold in the data file
    thr = ep.threshold_points if ep.threshold_points is not None else p[key]
    if ep.kind.endswith("_response"):
        ok = (base - end) >= thr
    elif ep.kind == "pcdai_remission":
        ok = end <= thr
    else:
        ok = end < thr
    return np.where(np.isnan(end) | np.isnan(base), np.nan, ok.astype(float))


def _treated_flags(design: TrialDesign, phases) -> list[bool]:
    out = []
    for ph in phases:
        if ph.treatment is None:
            out.append(False)
        elif design.blinding == "open":
            out.append(not design.treatments[ph.treatment].placebo)
        else:
            out.append(True)
    return out


def _draw(cond: str, rng, n: int, p):
    return crohns.draw_traits(rng, n, p) if cond == "crohns" else ms.draw_traits(rng, n, p)


def _inclusion(design: TrialDesign, p: Mapping[str, float]) -> tuple[str, float, float] | None:
    """(reading, min, max) of the entry window, or None (no entry criterion on a score)."""
    inc = design.inclusion
    if design.condition != "crohns":
        return None
    uses_pcdai = any(e.kind.startswith("pcdai") for e in design.endpoints)
    reading = "pcdai" if uses_pcdai else "cdai"
    lo = inc.score_min if inc.score_min is not None else p[f"{reading}.inclusion_min"]
    hi_default = p.get(f"{reading}.inclusion_max", 100.0)
    hi = inc.score_max if inc.score_max is not None else hi_default
    return reading, float(lo), float(hi)


def _entry(cond: str, rng, tr, p) -> dict[str, np.ndarray]:
    if cond == "crohns":
        return crohns.entry_visit(rng, tr, p)
    return {
        m: crohns.measure(rng, tr.baseline[m], p[f"measures.{m}.assessment_sd"], -1e6, 1e6)
        for m in ms.MEASURES
    }


def _enrol(design, rng, need, p, max_screened):
    cond = design.condition
    window = _inclusion(design, p)
    parts, entries, screened, n_ok = [], [], 0, 0
    batch = int(need * 1.5) + 8
    while n_ok < need:
        if screened >= need * max_screened:
            raise InputError(
                "inclusion",
                f"too few candidates meet the entry window ({n_ok} of {need} after screening {screened})",
                accepted="widen score_min/score_max",
            )
        tr = _draw(cond, rng, batch, p)
        ent = _entry(cond, rng, tr, p)
        ok = np.ones(batch, bool)
        if window is not None:
            r, lo, hi = window
            ok = (ent[r] >= lo) & (ent[r] <= hi)
        idx = np.flatnonzero(ok)
        parts.append(tr.take(idx))
        entries.append({k: v[idx] for k, v in ent.items()})
        screened += batch
        n_ok += idx.size
        batch = max(8, int(np.ceil((need - n_ok) * 1.5 * screened / max(n_ok, 1))))
    cls = crohns.CrohnsTraits if cond == "crohns" else ms.MsTraits
    traits = cls.concat(parts).take(np.arange(need))
    entry = {k: np.concatenate([e[k] for e in entries])[:need] for k in entries[0]}
    return traits, entry, n_ok / max(screened, 1)


def _true_readings(
    cond: str, infl: np.ndarray, pf: np.ndarray, course: np.ndarray, tr, p
) -> dict[str, np.ndarray]:
    if cond == "crohns":
        act = crohns.activity(infl, tr, p)
        return {
            "cdai": crohns.cdai(act, pf, tr, p),
            "pcdai": crohns.pcdai(act, pf, tr, p),
            "cdeis": crohns.cdeis(act, tr),
        }
    return {m: ms.true_score(m, infl, course, tr, p) for m in ms.MEASURES}


def run_disease_trial(
    design: TrialDesign,
    *,
    patients: int | None = None,
    replicates: int | None = None,
    seed: int | None = 0,
    engine: str | None = None,
    params: Mapping[str, float] | None = None,
    readout: Mapping[str, float] | None = None,
    use_calibrated: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrialResult:
    """Run ``replicates`` virtual trials of a Crohn's or MS design with ``patients`` each.

    params: immune-module parameter overrides (passed to ``simulate_immune``).
    readout: disease-readout overrides (dotted keys of ``disease/<condition>.yaml``).
    """
    from ...units import check_seed

    t0 = time.perf_counter()
    cond = design.condition
    seed = check_seed(seed)
    n = int(design.patients if patients is None else patients)
    R = int(design.replicates if replicates is None else replicates)
    if not 1 <= n <= MAX_PATIENTS:
        raise InputError("patients", "out of range", value=n, accepted=f"1-{MAX_PATIENTS}")
    if not 1 <= R <= 10000 or n * R > MAX_PATIENT_TRIALS:
        raise InputError(
            "replicates",
            "out of range",
            value=R,
            accepted=f"1-10000 with patients x replicates <= {MAX_PATIENT_TRIALS}",
        )
    if design.type == "up-and-down":
        raise InputError(
            "type",
            f"up-and-down designs are pain-model only (condition {cond!r})",
            accepted="parallel, crossover, fixed-order, open-label",
        )
    _check_arm_sizes(design, n)
    p = readout_parameters(cond, readout, use_calibrated=use_calibrated)
    rng = np.random.default_rng(seed)
    need = n * R
    traits, entry, rate = _enrol(design, rng, need, p, design.inclusion.max_screened_per_enrolled)
    seqs = design.sequences
    seq_idx = np.concatenate([allocate([s.fraction for s in seqs], n, rng) for _ in range(R)])
    pdays = [phase_days(s.phases) for s in seqs]
    n_days = [d[-1][1] for d in pdays]
    per_week = design.realism.dropout_per_week or 0.0
    drop = dropout_days(rng, need, max(n_days), per_week)
    pts = pd.DataFrame(
        {
            "patient_id": np.arange(need),
            "replicate": np.arange(need) // n,
            "sequence": [seqs[i].name for i in seq_idx],
            "dropout_day": drop,
            "condition": cond,
        }
    )
    expectation = p["placebo.expectation"]
    tnames = design.treatment_names()
    values = {e.name: {t: np.full(need, np.nan) for t in tnames} for e in design.endpoints}
    period = {t: np.full(need, -1) for t in tnames}
    trajectories: dict[str, Trajectory] = {}
    mechanism: dict[str, dict[str, np.ndarray]] = {}
    t_model = 0.0
    for s, seq in enumerate(seqs):
        rows = np.flatnonzero(seq_idx == s)
        if rows.size == 0:
            continue
        reg = sequence_regimen(design.treatments, seq.phases)
        if reg is not None and design.realism.adherence is not None:
            mask = missed_dose_mask(rng, n_dose_events(reg, n_days[s]), design.realism.adherence)
            reg = sequence_regimen(design.treatments, seq.phases, missed_mask=mask)
        t1 = time.perf_counter()
        imm = immune_daily(
            reg, n_days[s], cond, rows.size, seed=int(rng.integers(2**31)), params=params, engine=engine
        )
        t_model += time.perf_counter() - t1
        if progress:
            progress(f"sequence {seq.name}", s + 1, len(seqs))
        mechanism[seq.name] = {k: v.mean(axis=0) for k, v in imm.items()}
        tr = traits.take(rows)
        course = expectation_course(
            pdays[s], _treated_flags(design, seq.phases), p["placebo.onset_days"], p["placebo.offset_days"]
        )
        resp = tr.responsiveness if cond == "crohns" else np.ones(rows.size)
        pf = placebo_fraction(course, expectation, resp)
        norm = pf / expectation if expectation > 0 else np.zeros_like(pf)
        true = _true_readings(cond, imm[READOUT_VAR[cond]], pf, norm, tr, p)
        prim = primary_reading(design)
        trajectories[seq.name] = _trajectory(true[prim], seq.phases, pdays[s])
        readings_at: dict[tuple[str, int], np.ndarray] = {}

        def read(name: str, day: int, _true=true, _rows=rows, _at=readings_at) -> np.ndarray:
            """One noisy reading per (reading, visit day), shared by every endpoint of that visit."""
            key = (name, day)
            if key not in _at:
                sd_key, lo, hi = READINGS[cond][name]
                v = crohns.measure(rng, _true[name][:, day], p[sd_key], lo, hi)
                _at[key] = np.where(drop[_rows] > day, v, np.nan)
            return _at[key]

        k_period = 0
        for ph in seq.phases:
            if ph.treatment is not None:
                k_period += 1
                period[ph.treatment][rows] = k_period
        names = {ph.name: w for ph, w in zip(seq.phases, pdays[s], strict=True)}
        for e in design.endpoints:
            if e.kind in ("cohens_d", "cohens_dz"):
                continue
            r = reading_of(e)
            base = read(r, names[e.baseline_phase][1] - 1) if e.baseline_phase in names else entry[r][rows]
            for tname in {ph.treatment for ph in seq.phases if ph.treatment}:
                a, b = last_phase_window(seq.phases, pdays[s], tname)
                end = read(r, b - 1)
                v = endpoint_value(e, p, base, end)
                if design.analysis != "completers":  # ITT: a dropout is a non-responder / no change
                    gone = np.isnan(end)
                    if e.kind in ("qol_score",):
                        v = np.where(gone, base, v)
                    else:
                        v = np.where(gone, 0.0, v)
                values[e.name][tname][rows] = v
    last_treated_end = np.array(
        [
            max(b for (_a, b), ph in zip(pdays[s], seqs[s].phases, strict=True) if ph.treatment)
            for s in seq_idx
        ]
    )
    completer = drop >= last_treated_end
    pts["completer"] = completer
    table = EndpointTable(values=values, period=period, completer=completer)
    an = analyse(design, pts, table, R)
    res = TrialResult(
        design=design,
        run=RunInfo(patients=n, replicates=R, seed=seed, variant="immune", engine=engine),
        arms=an.arms,
        contrasts=an.contrasts,
        replicates=an.replicates,
        n_enrolled_per_trial=an.n_enrolled_per_trial,
        n_completed_per_trial_mean=an.n_completed_per_trial_mean,
        screened_per_enrolled=round(1.0 / max(rate, 1e-9), 3),
        trajectories=trajectories,
        waterfall=an.waterfall,
        mechanism=mechanism,
        patients=pts,
        analysis=design.analysis,
        per_replicate_arms=an.per_replicate_arms,
        per_replicate_contrasts=an.per_replicate_contrasts,
        model=disease_model_info(cond, params=params, readout=readout, use_calibrated=use_calibrated),
    )
    res = replace(res, comparison=compare(res))
    res.timings = {"total": round(time.perf_counter() - t0, 3), "model": round(t_model, 3)}
    return res


def _trajectory(true: np.ndarray, phases, pdays) -> Trajectory:
    """Daily readout of a group (true values, no visit noise): mean and 10–90% band."""
    return Trajectory(
        day=np.arange(true.shape[1]),
        mean=true.mean(axis=0),
        p10=np.percentile(true, 10, axis=0),
        p90=np.percentile(true, 90, axis=0),
        latent_mean=true.mean(axis=0),
        n=int(true.shape[0]),
        phases=[
            {"name": ph.name, "treatment": ph.treatment, "start": a, "end": b}
            for (a, b), ph in zip(pdays, phases, strict=True)
        ],
    )
