"""Stage 1 of a virtual trial: the run's settings, then screening, enrolment and allocation.

:func:`settle` checks the requested size against the design and gathers the parameters every later
stage needs (:class:`TrialSettings`); :func:`enrol` screens candidates on a noisy, fluctuating pain
rating (regression to the mean), allocates them to sequences and draws the per-patient adherence
pattern and dropout day (:class:`Enrolment`). Both use the run's single random generator in a fixed
order, so the same seed gives the same patients.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..population import sample_population
from .design import Phase, TrialDesign
from .measurement import dropout_days, ou_process, realism_parameters
from .model import phase_days, simulate_pain
from .placebo import design_expectation

__all__ = ["TrialSettings", "Enrolment", "settle", "enrol", "allocate", "adherence_patterns"]

MAX_PATIENTS = 100000
MAX_PATIENT_TRIALS = 400000


@dataclass(frozen=True)
class TrialSettings:
    """What a run is: the design, its size, model choice and realism parameters (dotted keys of
    realism.yaml, after calibration and the design's overrides).

    ``phase_days[s]``: (start, end) day of each phase of sequence ``s``; ``n_days[s]``: its length in days.
    ``k_patterns``: adherence groups per sequence (one model call each).
    """

    design: TrialDesign
    n: int
    replicates: int
    seed: int | None
    variant: str
    engine: str | None
    realism: dict[str, float]
    sys_params: dict[str, float] | None
    iiv_cv: Mapping[str, float] | None
    phase_days: list[list[tuple[int, int]]]
    n_days: list[int]
    k_patterns: int

    @property
    def max_days(self) -> int:
        return max(self.n_days)

    @property
    def expectation(self) -> float:
        """Mean placebo (expectation) fraction for the design's blinding."""
        return self.realism[f"placebo.expectation.{self.design.blinding}"]

    def treated_flags(self, phases: Sequence[Phase]) -> list[bool]:
        """Per phase: does the patient expect treatment (placebo expectation builds)? Blinded designs:
        every treatment phase; open label: only active treatments."""
        out = []
        for ph in phases:
            if ph.treatment is None:
                out.append(False)
            elif self.design.blinding == "open":
                out.append(not self.design.treatments[ph.treatment].placebo)
            else:
                out.append(True)
        return out


@dataclass
class Enrolment:
    """The enrolled patients of all replicate trials (``patients``: one row each, with ``replicate``,
    ``sequence``, ``adherence_pattern``, ``dropout_day``) and their per-patient draws."""

    patients: pd.DataFrame
    sequence: np.ndarray  # sequence index per patient
    pattern: np.ndarray  # adherence pattern per patient
    dropout_day: np.ndarray
    fluctuation: np.ndarray  # patients x days, slow pain fluctuation (NRS)
    placebo_responsiveness: np.ndarray
    screening_rate: float  # share of screened candidates who met the inclusion criteria

    @property
    def replicate(self) -> np.ndarray:
        return np.asarray(self.patients["replicate"].to_numpy(), int)


def realism_for(
    design: TrialDesign, overrides: Mapping[str, float] | None, use_calibrated: bool, variant: str = "full"
) -> dict[str, float]:
    """Realism parameters: realism.yaml, the calibration, the design's ``realism`` block, then
    ``overrides``. The expectation of the design's blinding is a reference value (daily diary, 12 weeks)
    adjusted for the design's length and pain report (:func:`~.placebo.design_expectation`), unless the
    design's ``realism.expectation`` gives it (taken as it is)."""
    p = realism_parameters(overrides, use_calibrated=use_calibrated, variant=variant)
    r = design.realism
    key = f"placebo.expectation.{design.blinding}"
    own = r.expectation is not None
    if own:
        p[key] = r.expectation
    if r.dropout_per_week is not None:
        p["dropout.per_week"] = r.dropout_per_week
    if r.adherence is not None:
        p["adherence.fixed"] = r.adherence
    if overrides:  # explicit overrides win over the design's own
        p.update({k: float(v) for k, v in overrides.items() if v is not None})
        own = own and overrides.get(key) is None
    if not own:
        p[key] = design_expectation(
            p[key],
            weeks=max(design.total_weeks(s) for s in design.sequences),
            recall=design.pain_report == "recall",
            cap=p.get("placebo.expectation_cap", 0.6),
            length_logit=p.get("placebo.design.length_logit", 0.0),
            recall_logit=p.get("placebo.design.recall_logit", 0.0),
        )
    return p


def calibrated_system_params(variant: str) -> dict[str, float]:
    """The variant's system values from the one parameter set (:mod:`ldnsim.data.parameter_set`)."""
    from ..data.parameter_set import load_parameter_set

    return dict(load_parameter_set(variant).system)


def settle(
    design: TrialDesign,
    *,
    patients: int | None,
    replicates: int | None,
    seed: int | None,
    variant: str,
    engine: str | None,
    params: Mapping[str, float] | None,
    realism: Mapping[str, float] | None,
    iiv_cv: Mapping[str, float] | None,
    use_calibrated: bool,
) -> TrialSettings:
    """Validate the run's size and choices (InputError naming the field) and gather its parameters."""
    from ..data.parameter_set import check_variant

    check_variant(variant)  # mechanism[/occupancy]: InputError naming the accepted values
    from ..units import check_seed

    seed = check_seed(seed)  # numpy refuses negative seeds: exit 2 naming the field, not a ValueError
    n = int(design.patients if patients is None else patients)
    R = int(design.replicates if replicates is None else replicates)
    if not 1 <= n <= MAX_PATIENTS:
        raise InputError(
            "patients",
            "out of range",
            value=n,
            accepted=f"1-{MAX_PATIENTS} (larger populations, without the measurement layer: "
            "ldnsim population-trial)",
        )
    if not 1 <= R <= 10000 or n * R > MAX_PATIENT_TRIALS:
        raise InputError(
            "replicates",
            "out of range",
            accepted=f"1-10000 with patients x replicates <= {MAX_PATIENT_TRIALS}",
            value=R,
        )
    _check_arm_sizes(design, n)
    p = realism_for(design, realism, use_calibrated, variant)
    sys_params = calibrated_system_params(variant) if use_calibrated else {}
    if params:
        sys_params.update({k: float(v) for k, v in params.items()})
    pdays = [phase_days(s.phases) for s in design.sequences]
    k_pat = 1 if p.get("adherence.fixed") == 1.0 else int(p.get("adherence.patterns", 3))
    return TrialSettings(
        design=design,
        n=n,
        replicates=R,
        seed=seed,
        variant=variant,
        engine=engine,
        realism=p,
        sys_params=sys_params or None,
        iiv_cv=iiv_cv,
        phase_days=pdays,
        n_days=[d[-1][1] for d in pdays],
        k_patterns=k_pat,
    )


def min_patients(design: TrialDesign) -> int:
    """The fewest patients per trial that give every sequence at least one patient (up-and-down: 1)."""
    if design.type == "up-and-down":
        return 1
    fr = np.array([s.fraction for s in design.sequences], float)
    for n in range(len(fr), 100000):
        if np.all(_counts(fr, n) >= 1):
            return n
    return 100000  # pragma: no cover - fractions this uneven are refused by the schema's range


def _check_arm_sizes(design: TrialDesign, n: int) -> None:
    """Every sequence must receive a patient; otherwise its arm would silently come back empty."""
    need = min_patients(design)
    if n < need:
        raise InputError(
            "patients",
            f"too few for the design's {len(design.sequences)} sequences "
            f"({', '.join(s.name for s in design.sequences)}): a sequence would get no patient",
            accepted=f">= {need} per trial",
            value=n,
        )


def _counts(fractions: np.ndarray, n: int) -> np.ndarray:
    """Exact counts per sequence by largest remainder."""
    f = fractions / fractions.sum()
    raw = f * n
    k = np.floor(raw).astype(int)
    rem = n - k.sum()
    if rem > 0:
        k[np.argsort(-(raw - k), kind="stable")[:rem]] += 1
    return np.asarray(k, int)


def allocate(fractions: list[float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Counterbalanced allocation: exact counts by largest remainder, random order."""
    k = _counts(np.asarray(fractions, float), n)
    return rng.permutation(np.repeat(np.arange(len(k)), k))


def adherence_patterns(adherence: np.ndarray, k: int) -> np.ndarray:
    """Adherence pattern index (0..k-1) by quantile of adherence."""
    if k <= 1 or adherence.size < k:
        return np.zeros(adherence.size, int)
    ranks = np.argsort(np.argsort(adherence, kind="stable"), kind="stable")
    return (ranks * k // adherence.size).astype(int)


def enrol(
    st: TrialSettings, rng: np.random.Generator, tick: Callable[[str], None] = lambda _s: None
) -> Enrolment:
    """Screen candidates (model pain + fluctuation + rating error) until ``n × replicates`` meet the
    inclusion criteria, then allocate them to sequences and draw adherence patterns and dropout days."""
    design, p, n, R = st.design, st.realism, st.n, st.replicates
    pop_kw = dict(
        sex=design.population.sex if design.population.sex != "any" else None,
        age_range=design.population.age,
        concomitant_opioid=design.population.concomitant_opioid,
        params=st.sys_params,
        iiv_cv=st.iiv_cv,
    )
    need = n * R
    inc = design.inclusion
    match = design.population.baseline_pain
    pool_need = need * (_MATCH_POOL if match is not None else 1)
    lead = max(-int(round(p["fluctuation.screening_day"])), 0)
    cand_parts, fl_parts, elig_parts, day0_parts = [], [], [], []
    screened, n_elig = 0, 0
    batch = int(math.ceil(pool_need * 1.3)) + 8
    while n_elig < pool_need:
        if screened >= pool_need * inc.max_screened_per_enrolled:
            raise InputError(
                "inclusion",
                f"too few candidates meet the inclusion criteria ({n_elig} of {need} after screening "
                f"{screened})",
                accepted="lower screening_pain_min",
            )
        c = _sample_candidates(design, batch, rng, pop_kw)
        pain0, _ = simulate_pain(
            None,
            c,
            2,
            condition=_conditions(c, design),
            variant=st.variant,
            params=st.sys_params,
            engine=st.engine,
            seed=int(rng.integers(2**31)),
        )
        fl = ou_process(rng, batch, lead + st.max_days, p["fluctuation.sd_nrs"], p["fluctuation.tau_days"])
        scr = pain0[:, 0] + fl[:, 0] + rng.normal(0.0, p["fluctuation.screening_sd_nrs"], batch)
        ok = (scr >= inc.screening_pain_min) & (scr <= inc.screening_pain_max)
        cand_parts.append(c)
        fl_parts.append(fl[:, lead:])
        elig_parts.append(ok)
        day0_parts.append(pain0[:, 0] + fl[:, lead])
        screened += batch
        n_elig += int(ok.sum())
        batch = max(8, int(math.ceil((pool_need - n_elig) * 1.5 * screened / max(n_elig, 1))))
    tick("screening")
    cands = pd.concat(cand_parts, ignore_index=True)
    elig = np.concatenate(elig_parts)
    if match is None:
        idx = np.flatnonzero(elig)[:need]
    else:
        pool = np.flatnonzero(elig)
        idx = pool[match_baseline(np.concatenate(day0_parts)[pool], need, match.mean, match.sd, rng)]
    pts = cands.iloc[idx].reset_index(drop=True)
    pts["patient_id"] = np.arange(need)
    pts["replicate"] = np.arange(need) // n
    fluct = np.concatenate(fl_parts)[idx]
    pts["pain_day0"] = np.concatenate(day0_parts)[idx]  # untreated pain + fluctuation on day 0 (NRS)

    seqs = design.sequences
    if design.type == "up-and-down":
        seq_idx = np.zeros(need, int)
    else:
        seq_idx = np.concatenate([allocate([s.fraction for s in seqs], n, rng) for _ in range(R)])
    pts["sequence"] = [seqs[i].name for i in seq_idx]
    pat = adherence_patterns(pts["adherence"].to_numpy(), st.k_patterns)
    pts["adherence_pattern"] = pat
    drop = dropout_days(rng, need, st.max_days, p["dropout.per_week"])
    pts["dropout_day"] = drop
    return Enrolment(
        patients=pts,
        sequence=seq_idx,
        pattern=pat,
        dropout_day=drop,
        fluctuation=fluct,
        placebo_responsiveness=pts["placebo_responsiveness"].to_numpy(),
        screening_rate=float(elig.mean()),
    )


#: eligible candidates screened per enrolled patient when matching a reported baseline (the pool to pick from)
_MATCH_POOL = 4
#: largest gap (NRS) between the matched and the reported mean baseline that is accepted
_MATCH_TOL = 0.3


def match_baseline(
    values: np.ndarray, need: int, mean: float, sd: float | None, rng: np.random.Generator
) -> np.ndarray:
    """Indices of ``need`` of ``values`` (each eligible candidate's untreated pain on day 0, NRS) whose
    distribution matches a reported baseline: targets are a random subsample of the pool shifted to
    ``mean`` (and rescaled to ``sd`` when given); each target, in ascending order, takes the nearest unused
    candidate at or above the previous pick. Raises InputError when the population cannot reach ``mean``
    within 0.3 NRS (e.g. a reported baseline above what the condition preset produces)."""
    values = np.asarray(values, float)
    v = rng.choice(values, size=need, replace=False)
    spread = v.std()
    t = np.sort(mean + (v - v.mean()) * (sd / spread if sd and spread > 0 else 1.0))
    order = np.argsort(values, kind="stable")
    sv = values[order]
    picks = np.empty(need, int)
    last = -1
    for i, x in enumerate(t):
        j = max(int(np.searchsorted(sv, x)), last + 1)
        j = min(j, sv.size - (need - i))  # leave room for the remaining targets
        if j > last + 1 and abs(sv[j - 1] - x) < abs(sv[j] - x):
            j -= 1
        picks[i] = j
        last = j
    got = float(sv[picks].mean())
    if abs(got - mean) > _MATCH_TOL:
        raise InputError(
            "population.baseline_pain.mean",
            f"the virtual population cannot be matched to the reported baseline (matched mean {got:.2f} NRS)",
            accepted=f"a mean the eligible patients reach (their range {sv[0]:.1f}-{sv[-1]:.1f} NRS)",
            value=mean,
        )
    return order[picks]


def _sample_candidates(
    design: TrialDesign, n: int, rng: np.random.Generator, pop_kw: dict[str, Any]
) -> pd.DataFrame:
    """Candidates of the design's condition (or of its mixed-condition population, by share)."""
    mix = design.population.conditions
    if not mix:
        return sample_population(n, design.condition, rng, **pop_kw)
    names = list(mix)
    share = np.array([mix[k] for k in names], float)
    which = rng.choice(len(names), size=n, p=share / share.sum())
    parts = []
    for i, name in enumerate(names):
        m = int(np.sum(which == i))
        if m:
            part = sample_population(m, name, rng, **pop_kw)
            part["condition"] = name
            part["_order"] = np.flatnonzero(which == i)
            parts.append(part)
    out = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def _conditions(patients: pd.DataFrame, design: TrialDesign) -> str | np.ndarray:
    """The condition argument for the model: the design's, or each patient's in a mixed population."""
    return design.condition if not design.population.conditions else patients["condition"]
