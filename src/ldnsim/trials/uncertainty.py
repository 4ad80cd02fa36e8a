"""The uncertainty a report shows beside a trial run: the posterior predictive over parameter draws
(:func:`~ldnsim.trials.posterior.run_posterior`) and what each model hypothesis predicts for the design
(:func:`~ldnsim.trials.hypotheses.run_hypotheses`).

One code path for ``ldnsim demo``, ``ldnsim trial --posterior --report`` and the web trial page, so a
person without a command line sees the same uncertainty as the demo. The result is the report's ``extra``
(keys ``posterior`` and ``hypotheses``; see :func:`ldnsim.trials.report.render_report`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:  # the CLI imports the constants below at start-up, without the trial layer
    from .design import TrialDesign

__all__ = ["DEMO_DRAWS", "DEMO_REPLICATES_PER_DRAW", "ProgressFactory", "check_posterior_applies",
           "run_uncertainty"]

#: the demo's (and the web page's) posterior predictive: parameter draws and trials per draw, kept small
#: so `make demo` stays about a minute on 2 cores (`ldnsim trial younger2013 --posterior --draws N` for more)
DEMO_DRAWS = 20
DEMO_REPLICATES_PER_DRAW = 2

#: ``make(label)`` → a ``callback(stage, done, total)`` for one stage (or None for no progress)
ProgressFactory = Callable[[str], Callable[[str, int, int], None] | None]


def check_posterior_applies(design: TrialDesign, field: str) -> None:
    """InputError naming ``field`` when ``design`` is a Crohn's/MS (immune-module) design: the posterior
    predictive draws the pain model's parameters."""
    if design.is_disease():
        raise InputError(
            field,
            "the posterior predictive runs the pain model's parameter draws; for Crohn's and MS "
            "designs it waits for the Bayesian calibration (the readouts have point estimates with "
            "profile intervals: docs/conditions.md)",
        )


def run_uncertainty(
    design: TrialDesign,
    *,
    trial_replicates: int,
    seed: int = 0,
    patients: int | None = None,
    variant: str = "full",
    engine: str | None = None,
    posterior: bool = True,
    hypotheses: bool = True,
    draws: int = DEMO_DRAWS,
    replicates_per_draw: int | None = DEMO_REPLICATES_PER_DRAW,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """The report's uncertainty sections for ``design`` (after its trial ran with ``trial_replicates``
    replicate trials of ``patients`` patients each; None: the design's).

    hypotheses: :func:`run_hypotheses` over min(``trial_replicates``, its default of 5) trials per
    hypothesis, at the same seed and patients (None in the result for a design without an LDN − placebo %
    reduction contrast). posterior: :func:`run_posterior` with ``draws`` parameter draws ×
    ``replicates_per_draw`` trials (None: the design's), refused for Crohn's/MS designs (InputError
    ``posterior``). Returns the keys asked for: ``{"hypotheses": ..., "posterior": ...}``."""
    from .hypotheses import DEFAULT_REPLICATES, run_hypotheses
    from .posterior import run_posterior

    def cb(label: str):
        return progress(label) if progress is not None else None

    if posterior:
        check_posterior_applies(design, "posterior")
    out: dict[str, Any] = {}
    if hypotheses:
        out["hypotheses"] = run_hypotheses(
            design, replicates=min(int(trial_replicates), DEFAULT_REPLICATES), patients=patients, seed=seed,
            engine=engine, progress=cb("hypotheses"),
        )
    if posterior:
        out["posterior"] = run_posterior(
            design, draws=draws, patients=patients, replicates=replicates_per_draw, seed=seed,
            variant=variant, engine=engine, progress=cb("posterior draws"),
        )
    return out
