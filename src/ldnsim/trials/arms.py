"""Stages 2 and 3 of a virtual trial: simulate each sequence's patients, then measure them.

:func:`simulate_group` runs the model for one group of patients on one sequence (one adherence
pattern: one model call, :class:`ModelRun`); :func:`measure_group` turns its model pain into what a
diary records (placebo expectation, fluctuation, rating noise, missed days, dropout:
:class:`~ldnsim.trials.measurement.Observed`); :func:`endpoint_table` collects every patient's endpoint
values per treatment (:class:`EndpointTable`). :func:`simulate_sequences` runs them in the order that
keeps a seed's numbers: for each sequence and adherence pattern, the missed-dose draw, the model call,
then the measurement draws.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .design import Endpoint, Phase
from .endpoints import endpoint_values
from .enrol import Enrolment, TrialSettings
from .measurement import Observed, missed_dose_mask, observe
from .model import n_dose_events, sequence_regimen, simulate_pain
from .placebo import expectation_course, placebo_fraction
from .results import Trajectory

__all__ = [
    "ModelRun",
    "EndpointTable",
    "MechanismMeans",
    "simulate_group",
    "measure_group",
    "simulate_sequences",
    "phase_window",
    "baseline_window",
    "last_phase_window",
    "trajectory",
]


@dataclass(frozen=True)
class ModelRun:
    """Model pain of a group of patients (rows of the enrolment): patients x days, 0–10 NRS, and the
    patient-mean mechanism traces (name -> days)."""

    rows: np.ndarray
    pain: np.ndarray
    mechanism: dict[str, np.ndarray]
    seconds: float


@dataclass
class EndpointTable:
    """Per-patient endpoint values: ``values[endpoint][treatment]`` (NaN where a patient did not get that
    treatment or has no data), the period (1-based treated phase) in which each treatment was given,
    and who completed (stayed to the end of their last treated phase)."""

    values: dict[str, dict[str, np.ndarray]]
    period: dict[str, np.ndarray]
    completer: np.ndarray


@dataclass
class MechanismMeans:
    """Patient-weighted running mean of the model's mechanism traces, by group (sequence or dose)."""

    groups: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    _weights: dict[str, int] = field(default_factory=dict)

    def add(self, group: str, mech: dict[str, np.ndarray], w: int) -> None:
        g = self.groups.setdefault(group, {})
        w0 = self._weights.get(group, 0)
        for k, v in mech.items():
            g[k] = (g.get(k, 0.0) * w0 + v * w) / (w0 + w)
        self._weights[group] = w0 + w


def phase_window(phases: Sequence[Phase], pdays: Sequence[tuple[int, int]], name: str) -> tuple[int, int]:
    """(start, end) day of the phase called ``name``."""
    for (a, b), ph in zip(pdays, phases, strict=True):
        if ph.name == name:
            return (a, b)
    raise InputError("endpoints.baseline_phase", f"no phase named {name!r}")


def baseline_window(
    ep: Endpoint, phases: Sequence[Phase], pdays: Sequence[tuple[int, int]], treatment: str | None = None
) -> tuple[int, int]:
    """The baseline window of endpoint ``ep`` for ``treatment``: its ``baseline_phase``, or with
    ``baseline: per_period`` the untreated phase (run-in or washout) just before the treatment's (last)
    phase."""
    if ep.baseline == "per_period" and treatment is not None:
        last = max(i for i, ph in enumerate(phases) if ph.treatment == treatment)
        if last > 0 and phases[last - 1].treatment is None:
            a, b = pdays[last - 1]
            return (a, b)
        raise InputError(
            "endpoints.baseline",
            f"per_period: the {treatment!r} phase does not follow an untreated phase",
            accepted="a run-in or washout phase just before each treated phase",
        )
    return phase_window(phases, pdays, ep.baseline_phase)


def last_phase_window(
    phases: Sequence[Phase], pdays: Sequence[tuple[int, int]], treatment: str
) -> tuple[int, int]:
    """(start, end) day of the last phase in which ``treatment`` is given."""
    win = None
    for (a, b), ph in zip(pdays, phases, strict=True):
        if ph.treatment == treatment:
            win = (a, b)
    if win is None:
        raise InputError("treatment", f"{treatment!r} is not given in this sequence")
    return win


def trajectory(
    diary: np.ndarray,
    latent: np.ndarray,
    scale_max: int,
    phases: Sequence[Phase],
    pdays: Sequence[tuple[int, int]],
) -> Trajectory:
    """Daily diary summary of a group on the design's scale."""
    f = scale_max / 10.0
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(diary, axis=0) * f
        p10 = np.nanpercentile(diary, 10, axis=0) * f
        p90 = np.nanpercentile(diary, 90, axis=0) * f
        lat = np.nanmean(latent, axis=0) * f
    return Trajectory(
        day=np.arange(diary.shape[1]),
        mean=mean,
        p10=p10,
        p90=p90,
        latent_mean=lat,
        n=int(diary.shape[0]),
        phases=[
            {"name": ph.name, "treatment": ph.treatment, "start": a, "end": b}
            for (a, b), ph in zip(pdays, phases, strict=True)
        ],
    )


def simulate_group(
    st: TrialSettings,
    en: Enrolment,
    rows: np.ndarray,
    s: int,
    rng: np.random.Generator,
    dose_mg: float | None = None,
) -> ModelRun:
    """One model call: the patients ``rows`` on sequence ``s`` (at ``dose_mg`` in up-and-down designs),
    with the doses their adherence group misses."""
    design, p = st.design, st.realism
    seq = design.sequences[s]
    n_days = st.n_days[s]
    reg0 = sequence_regimen(design.treatments, seq.phases, dose_mg=dose_mg)
    adh = p.get("adherence.fixed", float(en.patients["adherence"].to_numpy()[rows].mean()))
    mask = missed_dose_mask(rng, n_dose_events(reg0, n_days), adh) if reg0 is not None else None
    reg = sequence_regimen(design.treatments, seq.phases, dose_mg=dose_mg, missed_mask=mask)
    pts = en.patients.iloc[rows]
    t1 = time.perf_counter()
    cond = design.condition if not design.population.conditions else pts["condition"].to_numpy()
    pain, mech = simulate_pain(
        reg,
        pts,
        n_days,
        condition=cond,
        variant=st.variant,
        params=st.sys_params,
        engine=st.engine,
        seed=int(rng.integers(2**31)),
    )
    return ModelRun(rows=rows, pain=pain, mechanism=mech, seconds=time.perf_counter() - t1)


def placebo_for(st: TrialSettings, en: Enrolment, rows: np.ndarray | slice, s: int) -> np.ndarray:
    """Placebo (expectation) fraction per patient and day on sequence ``s``."""
    p = st.realism
    phases = st.design.sequences[s].phases
    course = expectation_course(
        st.phase_days[s], st.treated_flags(phases), p["placebo.onset_days"], p["placebo.offset_days"]
    )
    return placebo_fraction(course, st.expectation, en.placebo_responsiveness[rows])


def measure_group(
    st: TrialSettings, en: Enrolment, run: ModelRun, s: int, rng: np.random.Generator
) -> Observed:
    """What the diary of the patients of ``run`` records (days after dropout missing)."""
    rows = run.rows
    phases = st.design.sequences[s].phases
    base = baseline_window(st.design.endpoints[0], phases, st.phase_days[s], _first_treatment(phases))
    obs = observe(
        rng,
        run.pain,
        placebo_for(st, en, rows, s),
        en.fluctuation[rows, : st.n_days[s]],
        base,
        st.realism,
        st.design.scale_max,
    )
    blank_after_dropout(obs, en.dropout_day[rows])
    if st.design.analysis != "completers":
        impute_after_dropout(obs, en.dropout_day[rows], base, st.design.analysis)
    return obs


def _first_treatment(phases: Sequence[Phase]) -> str | None:
    return next((ph.treatment for ph in phases if ph.treatment is not None), None)


#: days before dropout whose mean is carried forward (itt-locf)
LOCF_DAYS = 7


def impute_after_dropout(obs: Observed, drop: np.ndarray, base: tuple[int, int], method: str) -> None:
    """Intention-to-treat: fill the days after each patient's dropout. ``itt-bocf``: the patient's
    baseline mean (no benefit is credited after dropout, the conservative choice for pain trials);
    ``itt-locf``: the mean of the last LOCF_DAYS observed days before dropout."""
    n_days = obs.diary.shape[1]
    for arr in (obs.diary, obs.fatigue, obs.sleep):
        for j, d in enumerate(drop):
            if d >= n_days:
                continue
            if method == "itt-bocf":
                seg = arr[j, base[0] : min(base[1], d)]
            else:
                seg = arr[j, max(0, d - LOCF_DAYS) : d]
            seg = seg[~np.isnan(seg)]
            if seg.size:
                arr[j, d:] = seg.mean()


def blank_after_dropout(obs: Observed, drop: np.ndarray) -> None:
    """Diary, fatigue and sleep ratings are missing from each patient's dropout day on."""
    for arr in (obs.diary, obs.fatigue, obs.sleep):
        for j, d in enumerate(drop):
            arr[j, d:] = np.nan


def simulate_sequences(
    st: TrialSettings,
    en: Enrolment,
    rng: np.random.Generator,
    tick: Callable[[str], None],
    mech: MechanismMeans,
) -> tuple[EndpointTable, dict[str, Trajectory], float]:
    """Simulate and measure every sequence; return the endpoint table, the trajectories by sequence and
    the seconds spent in the model."""
    design = st.design
    need = len(en.patients)
    tnames = design.treatment_names()
    values = {e.name: {t: np.full(need, np.nan) for t in tnames} for e in design.endpoints}
    period = {t: np.full(need, -1) for t in tnames}
    trajectories: dict[str, Trajectory] = {}
    t_model = 0.0
    for s, seq in enumerate(design.sequences):
        rows_s = np.flatnonzero(en.sequence == s)
        if rows_s.size == 0:
            continue
        obs_rows, obs_parts = [], []
        for j in range(st.k_patterns):
            rows = rows_s[en.pattern[rows_s] == j]
            if rows.size == 0:
                tick(f"sequence {seq.name}")
                continue
            run = simulate_group(st, en, rows, s, rng)
            t_model += run.seconds
            tick(f"sequence {seq.name}")
            mech.add(seq.name, run.mechanism, rows.size)
            obs_rows.append(rows)
            obs_parts.append(measure_group(st, en, run, s, rng))
        rows_all = np.concatenate(obs_rows)
        diary = np.concatenate([o.diary for o in obs_parts])
        latent = np.concatenate([o.latent for o in obs_parts])
        pdays = st.phase_days[s]
        trajectories[seq.name] = trajectory(diary, latent, design.scale_max, seq.phases, pdays)
        k_period = 0
        for ph in seq.phases:
            if ph.treatment is not None:
                k_period += 1
                period[ph.treatment][rows_all] = k_period
        for e in design.endpoints:
            for tname in {ph.treatment for ph in seq.phases if ph.treatment}:
                base = baseline_window(e, seq.phases, pdays, tname)
                win = last_phase_window(seq.phases, pdays, tname)
                vals = np.concatenate([endpoint_values(e, o, base, win) for o in obs_parts])
                values[e.name][tname][rows_all] = vals
    last_treated_end = np.array(
        [
            max(
                b
                for (_a, b), ph in zip(st.phase_days[s], design.sequences[s].phases, strict=True)
                if ph.treatment
            )
            for s in en.sequence
        ]
    )
    completer = en.dropout_day >= last_treated_end
    return EndpointTable(values=values, period=period, completer=completer), trajectories, t_model
