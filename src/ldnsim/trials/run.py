"""Run a virtual trial: a thin orchestration of five stages, each returning a typed result.

1. **enrol** (:mod:`.enrol`): settle the run (:class:`~.enrol.TrialSettings`), screen candidates on a
   noisy, fluctuating rating, allocate and draw adherence and dropout (:class:`~.enrol.Enrolment`);
2. **simulate arms** (:mod:`.arms`, :mod:`.updown`): one vectorised model call per sequence (or dose
   level) × adherence pattern for the patients of all replicate trials (:class:`~.arms.ModelRun`);
3. **measure** (:mod:`.arms`, :mod:`.measurement`): placebo expectation, fluctuation, diary noise,
   missed days, dropout; per-patient endpoint values (:class:`~.arms.EndpointTable`);
4. **endpoints and statistics** (:mod:`.analysis`): arms, contrasts and their distribution over
   replicate trials (:class:`~.analysis.Analysis`);
5. **comparison with published** (:mod:`.compare`).

:func:`run_trial` returns a :class:`~.results.TrialResult`; the CLI's JSON is its ``to_json()``, the human
text and the HTML report render the same object. A replicate is a group of patients, so R replicates
cost about one R-times-larger population, not R runs.

Reproducibility: one ``numpy.random.default_rng(seed)`` drives enrolment, allocation, adherence, placebo,
noise and dropout in a fixed order (stages 2 and 3 interleave per group of patients to keep it); the
model itself is deterministic given its patients.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np

from ..errors import InputError
from .analysis import analyse
from .arms import MechanismMeans, simulate_sequences
from .compare import compare
from .design import TrialDesign, load_design
from .enrol import allocate, enrol, settle
from .provenance import model_info
from .results import RunInfo, TrialResult
from .updown import analyse_up_and_down, dose_levels, simulate_dose_levels

__all__ = ["run_trial", "TrialResult", "allocate"]

# kept for callers of the earlier private name
_allocate = allocate


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
    Raises :class:`~ldnsim.errors.InputError` naming the field for a bad size or design.
    """
    t0 = time.perf_counter()
    if isinstance(design, str):
        design = load_design(design)
    if design.is_disease():  # Crohn's / MS: the immune module and its disease readout, never the pain model
        if variant != "full":
            raise InputError("variant", f"pain-model variants do not apply to condition {design.condition!r}",
                             accepted="full", value=variant)
        if iiv_cv:
            raise InputError("iiv_cv", f"pain-model IIV does not apply to condition {design.condition!r}")
        from .disease.runner import run_disease_trial

        return run_disease_trial(design, patients=patients, replicates=replicates, seed=seed, engine=engine,
                                 params=params, readout=realism, use_calibrated=use_calibrated,
                                 progress=progress)
    st = settle(
        design,
        patients=patients,
        replicates=replicates,
        seed=seed,
        variant=variant,
        engine=engine,
        params=params,
        realism=realism,
        iiv_cv=iiv_cv,
        use_calibrated=use_calibrated,
    )
    rng = np.random.default_rng(seed)
    ud = design.type == "up-and-down"
    groups = len(dose_levels(st)) if ud else len(design.sequences)
    n_calls = 1 + groups * st.k_patterns
    done = {"i": 0}

    def tick(stage: str) -> None:
        done["i"] += 1
        if progress:
            progress(stage, done["i"], n_calls)

    en = enrol(st, rng, tick)
    mech = MechanismMeans()
    run_info = RunInfo(patients=st.n, replicates=st.replicates, seed=seed, variant=variant, engine=engine)
    model = model_info(variant, params=params, realism=realism, use_calibrated=use_calibrated)
    if ud:
        dl = simulate_dose_levels(st, en, rng, tick, mech)
        out = analyse_up_and_down(st, en, dl)
        res = TrialResult(
            design=design,
            run=run_info,
            arms=out.arms,
            contrasts=[],
            replicates=out.replicates,
            n_enrolled_per_trial=st.n,
            dose_finding=out.dose_finding,
            trajectories=out.trajectories,
            waterfall=out.waterfall,
            mechanism=mech.groups,
            patients=en.patients,
            analysis=design.analysis,
            per_replicate_ed50=out.per_replicate_ed50,
            model=model,
        )
        t_model = None
    else:
        table, trajectories, t_model = simulate_sequences(st, en, rng, tick, mech)
        en.patients["completer"] = table.completer
        an = analyse(design, en.patients, table, st.replicates)
        res = TrialResult(
            design=design,
            run=run_info,
            arms=an.arms,
            contrasts=an.contrasts,
            replicates=an.replicates,
            n_enrolled_per_trial=an.n_enrolled_per_trial,
            n_completed_per_trial_mean=an.n_completed_per_trial_mean,
            screened_per_enrolled=round(1.0 / max(en.screening_rate, 1e-9), 3),
            trajectories=trajectories,
            waterfall=an.waterfall,
            mechanism=mech.groups,
            patients=en.patients,
            analysis=design.analysis,
            per_replicate_arms=an.per_replicate_arms,
            per_replicate_contrasts=an.per_replicate_contrasts,
            model=model,
        )
    res = replace(res, comparison=compare(res))
    res.timings = {"total": round(time.perf_counter() - t0, 3)}
    if t_model is not None:
        res.timings["model"] = round(t_model, 3)
    return res
