"""Typed results of a virtual trial, stage by stage, and the JSON document rendered from them.

The stages of :func:`ldnsim.trials.run.run_trial` each return one of these (see docs/trials.md,
"How the runner is built"). :meth:`TrialResult.to_json` renders the CLI's ``--json`` document; its keys
are the ones documented in docs/trials.md and did not change when the runner was split into stages; the
``model`` block (which model variant and parameter set produced the result, :mod:`.provenance`) came later.
Numbers are plain floats (``None`` where undefined, never NaN); arrays stay numpy until rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .design import TrialDesign
from .provenance import ModelInfo

__all__ = [
    "ArmResult",
    "ContrastResult",
    "MixedModelResult",
    "ReplicateContrast",
    "ReplicatesSummary",
    "UpDownTrial",
    "DoseFindingResult",
    "Comparison",
    "Trajectory",
    "RunInfo",
    "TrialResult",
]

Num = float | None


@dataclass(frozen=True)
class ArmResult:
    """One arm (treatment, or dose level of an up-and-down design).

    Values are means over the replicate trials (``n``: patients analysed in trial 1). ``sd_between_trials``
    maps ``pct_reduction``/``nrs_change``/``responder`` to the SD of the arm value over trials (only with
    more than one trial). ``endpoints``: every endpoint's mean (% points, NRS points or a proportion).
    """

    name: str
    label: str
    n: int
    pct_reduction_mean: Num
    nrs_change_mean: Num
    responder_rate: Num
    endpoints: dict[str, Num]
    sd_between_trials: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n": self.n}
        for key, value in (
            ("pct_reduction_mean", self.pct_reduction_mean),
            ("nrs_change_mean", self.nrs_change_mean),
            ("responder_rate", self.responder_rate),
        ):
            out[key] = value
            short = key.replace("_mean", "").replace("_rate", "")
            if short in self.sd_between_trials:
                out[f"{short}_sd_between_trials"] = self.sd_between_trials[short]
        out["endpoints"] = dict(self.endpoints)
        out["label"] = self.label
        return out


@dataclass(frozen=True)
class MixedModelResult:
    """Crossover linear mixed model ``value ~ treatment + period + sequence + (1 | patient)``."""

    model: str
    difference: float
    ci95: tuple[float, float]
    p_value: float
    n: int

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "difference": self.difference,
            "ci95": list(self.ci95),
            "p_value": self.p_value,
            "n": self.n,
        }


@dataclass(frozen=True)
class ContrastResult:
    """Treatment ``a`` − ``b`` on ``endpoint`` in one trial: estimate, 95% CI, p, the test used and
    ``n`` (paired: patients; unpaired: ``[n_a, n_b]``)."""

    a: str
    b: str
    endpoint: str
    test: str
    n: int | list[int]
    difference: Num
    ci95: tuple[Num, Num]
    p_value: Num
    mixed_model: MixedModelResult | None = None

    @classmethod
    def from_stats(
        cls, a: str, b: str, endpoint: str, res: dict[str, Any], mixed: dict[str, Any] | None = None
    ) -> ContrastResult:
        mm = None
        if mixed is not None:
            lo, hi = mixed["ci95"]
            mm = MixedModelResult(mixed["model"], mixed["difference"], (lo, hi), mixed["p_value"], mixed["n"])
        ci_lo, ci_hi = res["ci95"]
        return cls(
            a=a,
            b=b,
            endpoint=endpoint,
            test=res["test"],
            n=res["n"],
            difference=res["difference"],
            ci95=(ci_lo, ci_hi),
            p_value=res["p_value"],
            mixed_model=mm,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "a": self.a,
            "b": self.b,
            "endpoint": self.endpoint,
            "test": self.test,
            "n": self.n,
            "difference": self.difference,
            "ci95": list(self.ci95),
            "p_value": self.p_value,
        }
        if self.mixed_model is not None:
            out["mixed_model"] = self.mixed_model.to_json()
        return out


@dataclass(frozen=True)
class ReplicateContrast:
    """A contrast's distribution over replicate trials: mean, SD, 2.5–97.5% range of the estimate, power
    (share of trials with p < 0.05 in the favourable direction) and the mean width of the trials' 95% CIs."""

    a: str
    b: str
    endpoint: str
    n: int
    difference_mean: Num
    difference_sd: Num
    difference_ci95: tuple[Num, Num]
    power: Num
    ci95_width_mean: Num = None  # mean width of the trials' own 95% CIs

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "endpoint": self.endpoint,
            "n": self.n,
            "difference_mean": self.difference_mean,
            "difference_sd": self.difference_sd,
            "difference_ci95": list(self.difference_ci95),
            "power": self.power,
            "ci95_width_mean": self.ci95_width_mean,
        }


@dataclass(frozen=True)
class ReplicatesSummary:
    """Over the replicate trials: the primary contrast's power and range (or the ED50 range for
    up-and-down designs, ``endpoint = "ed50_mg"``) and every contrast's distribution."""

    n: int
    power: Num
    difference_ci95: tuple[Num, Num]
    difference_mean: Num = None
    endpoint: str | None = None
    contrasts: list[ReplicateContrast] | None = None  # None: up-and-down (no contrasts key)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "power": self.power,
            "difference_ci95": list(self.difference_ci95),
        }
        if self.contrasts is None:
            out["endpoint"] = self.endpoint
            return out
        if self.endpoint is not None:
            out["difference_mean"] = self.difference_mean
            out["endpoint"] = self.endpoint
        out["contrasts"] = [c.to_json() for c in self.contrasts]
        return out


@dataclass(frozen=True)
class UpDownTrial:
    """One up-and-down trial: the doses given in order, responses (0/1), ED50/ED95 (mg) and how."""

    ed50_mg: Num
    ed95_mg: Num
    method: str
    n: int
    responders: int
    doses: list[float]
    responses: list[float]

    def to_json(self) -> dict[str, Any]:
        return {
            "ed50_mg": self.ed50_mg,
            "ed95_mg": self.ed95_mg,
            "method": self.method,
            "n": self.n,
            "responders": self.responders,
            "doses": list(self.doses),
            "responses": list(self.responses),
        }


@dataclass(frozen=True)
class DoseFindingResult:
    """Up-and-down dose finding over replicate trials (doses in mg).

    ``ed50_identifiable`` is False when the dose–response the design samples is flat or falling (no
    positive logistic slope): the ED50 is then reported as ``None`` with ``ed50_note`` saying why, never as
    a negative or out-of-range dose.
    """

    ed50_mg_mean: Num
    ed50_mg_median: Num
    ed50_mg_ci95_over_trials: tuple[Num, Num]
    ed95_mg_median: Num
    responders_mean: float
    analysed_mean: float
    first_trial: UpDownTrial
    dose_response: dict[str, Num]
    ed50_mg_population: Num
    ed50_identifiable: bool = True
    ed50_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ed50_mg_mean": self.ed50_mg_mean,
            "ed50_mg_median": self.ed50_mg_median,
            "ed50_mg_ci95_over_trials": list(self.ed50_mg_ci95_over_trials),
            "ed95_mg_median": self.ed95_mg_median,
            "responders_mean": self.responders_mean,
            "analysed_mean": self.analysed_mean,
            "first_trial": self.first_trial.to_json(),
            "dose_response": dict(self.dose_response),
            "ed50_mg_population": self.ed50_mg_population,
        }
        if not self.ed50_identifiable:
            out["ed50_identifiable"] = False
            out["ed50_note"] = self.ed50_note
        return out


@dataclass(frozen=True)
class Comparison:
    """A simulated quantity beside its published value; ``within`` = |simulated − published| ≤ tolerance
    (None without a tolerance or a simulated value). For a difference with a published CI, ``kind`` is
    ``difference`` and ``published_ci95``/``simulated_ci95`` are given."""

    quantity: str
    published: Any
    simulated: Num
    tolerance: Num
    within: bool | None
    kind: str = "arm"
    published_ci95: tuple[Num, Num] | None = None
    simulated_ci95: tuple[Num, Num] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "quantity": self.quantity,
            "published": self.published,
            "simulated": self.simulated,
            "tolerance": self.tolerance,
            "within": self.within,
        }
        if self.kind != "arm":
            out["kind"] = self.kind
        if self.published_ci95 is not None:
            out["published_ci95"] = list(self.published_ci95)
        if self.simulated_ci95 is not None:
            out["simulated_ci95"] = list(self.simulated_ci95)
        return out


@dataclass(frozen=True)
class Trajectory:
    """Daily diary of one sequence (or dose level) on the design's scale: mean, 10th/90th percentile,
    felt pain without rating noise (``latent_mean``), patients ``n`` and the phases (days, end exclusive)."""

    day: np.ndarray
    mean: np.ndarray
    p10: np.ndarray
    p90: np.ndarray
    latent_mean: np.ndarray
    n: int
    phases: list[dict[str, Any]]


@dataclass(frozen=True)
class RunInfo:
    """How the trial was run (the JSON ``design`` block)."""

    patients: int
    replicates: int
    seed: int | None
    variant: str
    engine: str | None

    def to_json(self, design: TrialDesign) -> dict[str, Any]:
        return {
            "name": design.name,
            "title": design.title,
            "type": design.type,
            "blinding": design.blinding,
            "randomized": design.randomized,
            "condition": design.condition,
            "patients": self.patients,
            "replicates": self.replicates,
            "seed": self.seed,
            "variant": self.variant,
            "engine": self.engine or "default",
            "scale": f"0-{design.scale_max}",
            "treatments": {k: (v.regimen or "placebo") for k, v in design.treatments.items()},
            "sequences": [
                {
                    "name": s.name,
                    "phases": [
                        {"name": p.name, "weeks": p.weeks, "treatment": p.treatment} for p in s.phases
                    ],
                }
                for s in design.sequences
            ],
            "primary": design.primary,
        }


@dataclass
class TrialResult:
    """Everything a virtual trial produced. ``to_json()`` is the CLI's document (``summary`` is the same,
    kept for callers of the earlier dict API); trajectories, waterfall (per-patient primary endpoint in
    trial 1, by treatment), mechanism (patient-mean model states by group) and the patients table feed
    the HTML report."""

    design: TrialDesign
    run: RunInfo
    arms: dict[str, ArmResult]
    contrasts: list[ContrastResult]
    replicates: ReplicatesSummary
    n_enrolled_per_trial: int
    comparison: list[Comparison] = field(default_factory=list)
    dose_finding: DoseFindingResult | None = None
    n_completed_per_trial_mean: float | None = None
    screened_per_enrolled: float | None = None
    trajectories: dict[str, Trajectory] = field(default_factory=dict)
    waterfall: dict[str, np.ndarray] = field(default_factory=dict)
    mechanism: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    patients: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    analysis: str = "completers"
    #: every replicate trial's arms and contrasts (not in the JSON; the posterior-predictive runner
    #: pools them)
    per_replicate_arms: dict[str, list[ArmResult]] = field(default_factory=dict)
    per_replicate_contrasts: list[list[ContrastResult]] = field(default_factory=list)
    per_replicate_ed50: list[float | None] = field(default_factory=list)
    #: which model produced it (the JSON ``model`` block; :mod:`.provenance`)
    model: ModelInfo | None = None

    @property
    def published(self) -> dict[str, Any]:
        return self.design.published or {}

    def to_json(self) -> dict[str, Any]:
        from .. import DISCLAIMER

        out: dict[str, Any] = {
            "design": self.run.to_json(self.design),
        }
        if self.model is not None:
            out["model"] = self.model.to_json()
        out |= {
            "arms": {k: a.to_json() for k, a in self.arms.items()},
            "contrasts": [c.to_json() for c in self.contrasts],
            "replicates": self.replicates.to_json(),
        }
        if self.dose_finding is not None:
            out["dose_finding"] = self.dose_finding.to_json()
        out["n_enrolled_per_trial"] = self.n_enrolled_per_trial
        if self.n_completed_per_trial_mean is not None:
            out["n_completed_per_trial_mean"] = self.n_completed_per_trial_mean
        if self.screened_per_enrolled is not None:
            out["screening"] = {"screened_per_enrolled": self.screened_per_enrolled}
        if self.analysis != "completers":
            out["design"]["analysis"] = self.analysis
        out["published"] = self.published
        out["disclaimer"] = DISCLAIMER
        out["comparison"] = [c.to_json() for c in self.comparison]
        out["timing_s"] = dict(self.timings)
        return out

    @property
    def summary(self) -> dict[str, Any]:
        """The JSON document as a dict (same as :meth:`to_json`)."""
        return self.to_json()
