"""Trial designs as YAML: the pydantic schema, loading, presets and validation errors.

A design names the condition, the blinding, the treatments (regimens in ldnsim's text form, or
placebo), the sequences of phases each patient follows (one sequence = one parallel arm, or one
order of a crossover), the endpoints, the contrasts to test and, optionally, the published result
it should be compared with. ``docs/trials.md`` documents every field; :func:`json_schema` exports
the JSON schema. A malformed file raises :class:`~ldnsim.errors.InputError` naming the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError, UnknownNameError

__all__ = [
    "TrialDesign",
    "Treatment",
    "Phase",
    "Sequence",
    "Endpoint",
    "Contrast",
    "Inclusion",
    "PopulationSpec",
    "DoseFinding",
    "Realism",
    "load_design",
    "design_from_dict",
    "PRESETS",
    "preset_path",
    "json_schema",
]

PRESETS = {
    "younger2009": "younger2009.yaml",
    "younger2013": "younger2013.yaml",
    "bruun-plesner2020": "bruun-plesner2020.yaml",
    "parkitny2017": "parkitny2017.yaml",
    "bruun2024": "bruun2024.yaml",  # role: validation (not calibrated against)
    "smith2011": "smith2011.yaml",  # Crohn's disease RCT (calibration of the CDAI readout)
    "lie2018": "lie2018.yaml",  # IBD open label (context, not calibration)
    "crohns-placebo-reference": "crohns-placebo-reference.yaml",  # meta-analytic placebo rates
    "cree2010": "cree2010.yaml",  # MS crossover (calibration of the QoL readout)
    "gironi2008": "gironi2008.yaml",  # PPMS open label (direction only: validation)
}

#: endpoint kinds of the pain model (diary of 0-10 pain); the disease kinds are in
#: :data:`ldnsim.trials.disease.DISEASE_ENDPOINT_KINDS`
PAIN_ENDPOINT_KINDS = ("pct_reduction", "change", "responder", "composite_responder")
#: continuous endpoint kinds (an effect size can standardise them)
CONTINUOUS_KINDS = ("pct_reduction", "change", "cdai_change", "pcdai_change", "qol_score", "qol_change")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Treatment(_Strict):
    """What patients take in a phase: a regimen text (``"naltrexone 4.5 mg nightly"``, titrations with
    ``then``) or ``placebo: true``. In up-and-down designs the regimen contains ``{dose}``."""

    regimen: str | None = None
    placebo: bool = False
    label: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Treatment:
        if self.placebo and self.regimen:
            raise ValueError("give either a regimen or placebo: true, not both")
        if not self.placebo and not self.regimen:
            raise ValueError("needs a regimen (e.g. 'naltrexone 4.5 mg nightly') or placebo: true")
        return self


class Phase(_Strict):
    """One period of a sequence. ``treatment`` names a key of ``treatments`` or is omitted for an
    untreated phase (baseline, washout, follow-up)."""

    name: str = Field(min_length=1)
    weeks: float = Field(gt=0, le=260)
    treatment: str | None = None


class Sequence(_Strict):
    """A path through the trial: one parallel arm, or one order of a crossover.
    ``fraction`` is the share of patients allocated (normalised over sequences)."""

    name: str = Field(min_length=1)
    fraction: float = Field(default=1.0, gt=0)
    phases: list[Phase] = Field(min_length=1)


class Endpoint(_Strict):
    """An endpoint computed per patient and treatment.

    kind:
      pct_reduction — % reduction from baseline (positive = less pain) of the mean of the last
        ``last_days`` days of the treatment's phase; baseline = mean of the ``baseline_phase``.
      change — change in pain on the 0–10 NRS (endpoint minus baseline; negative = better).
      responder — 1 if pct reduction ≥ ``threshold_pct`` (and, with ``min_nrs_drop``, an NRS drop at
        least that large); with ``or_global_impression_pct`` also 1 if the patient's global impression
        (perceived % improvement) reaches that value (e.g. PGI-I 1–3).
      composite_responder — significant within-patient pain reduction (one-sided t-test of the last
        ``window_days`` vs baseline days, ``alpha``) and, when ``secondary`` is set, a significant
        reduction in any (``any``) or all (``all``) of the secondary diary symptoms (fatigue, sleep).
      cohens_d / cohens_dz — standardised effect size of a contrast on the continuous endpoint ``of``:
        d = difference of means / pooled SD (parallel arms), d_z = mean within-patient difference / SD
        of the differences (crossovers). Used in ``contrasts`` only; not a per-patient value.

    baseline: ``phase`` (default) — the ``baseline_phase``; ``per_period`` — a new baseline for each
      treated phase: the untreated phase (run-in or washout) just before it (crossovers with a baseline
      each period).

    Crohn's disease (condition ``crohns``; values at the last day of the treatment's phase, baseline = the
    entry visit, or the end of ``baseline_phase`` when the sequence has one):
      cdai_response — CDAI fall ≥ ``threshold_points`` (default 70; 100 for CDAI-100);
      cdai_remission — CDAI < ``threshold_points`` (default 150); cdai_change — CDAI change (points);
      endoscopic_response — CDEIS fall ≥ ``threshold_points`` (default 5); endoscopic_remission — CDEIS <
      ``threshold_points`` (default 6); pcdai_response — PCDAI fall ≥ ``threshold_points`` (default 12.5);
      pcdai_remission — PCDAI ≤ ``threshold_points`` (default 10); pcdai_change — PCDAI change.
    Multiple sclerosis (condition ``ms``; ``measure`` one of sf36_mcs, sf36_pcs, mhi, pain_effects,
      perceived_deficits, spasticity, fatigue): qol_score — the score at the end of the phase (crossovers
      compare periods); qol_change — score change from baseline (points; the measure's own direction).
    """

    name: str = Field(min_length=1)
    kind: Literal[
        "pct_reduction", "change", "responder", "composite_responder", "cohens_d", "cohens_dz",
        "cdai_response", "cdai_remission", "cdai_change", "endoscopic_response", "endoscopic_remission",
        "pcdai_response", "pcdai_remission", "pcdai_change", "qol_score", "qol_change",
    ]
    baseline_phase: str = "baseline"
    baseline: Literal["phase", "per_period"] = "phase"
    of: str | None = None
    last_days: int = Field(default=7, ge=1, le=365)
    threshold_pct: float = Field(default=30.0, gt=0, le=100)
    min_nrs_drop: float | None = Field(default=None, ge=0, le=10)
    or_global_impression_pct: float | None = Field(default=None, gt=0, le=100)
    window_days: int = Field(default=14, ge=3, le=365)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    secondary: Literal["any", "all"] | None = None
    threshold_points: float | None = Field(default=None, gt=0, le=600)
    measure: str | None = None


class Contrast(_Strict):
    """A comparison of treatment ``a`` with ``b`` on ``endpoint`` (a − b)."""

    a: str
    b: str
    endpoint: str


class Inclusion(_Strict):
    """Inclusion criteria applied to the noisy screening visit (drives regression to the mean)."""

    screening_pain_min: float = Field(default=0.0, ge=0, le=10, description="on the 0–10 NRS")
    screening_pain_max: float = Field(default=10.0, ge=0, le=10)
    max_screened_per_enrolled: int = Field(default=50, ge=1, le=10000)
    score_min: float | None = Field(default=None, ge=0, le=600, description="entry CDAI/PCDAI")
    score_max: float | None = Field(default=None, ge=0, le=600)


class BaselinePain(_Strict):
    """A trial's reported baseline pain (0–10 NRS; a 0–100 report divided by 10): enrolled virtual patients
    are matched to it (``mean``; ``sd`` when reported, else the eligible patients' own spread is kept)."""

    mean: float = Field(ge=0, le=10, description="mean baseline pain, 0-10 NRS")
    sd: float | None = Field(default=None, gt=0, le=5, description="SD of baseline pain, NRS")
    source: str = ""


class PopulationSpec(_Strict):
    """Who is enrolled. ``conditions``: a mixed-condition population, condition -> share (normalised);
    each patient is sampled and simulated with their own condition (overrides ``condition``).
    ``baseline_pain``: the reported baseline the enrolled patients are matched to (see BaselinePain)."""

    sex: Literal["female", "male", "any"] | None = None
    age: tuple[float, float] | None = None
    concomitant_opioid: bool | None = None
    conditions: dict[str, float] | None = None
    baseline_pain: BaselinePain | None = None

    @field_validator("conditions")
    @classmethod
    def _shares(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("give at least one condition with its share")
        for k, share in v.items():
            if not (isinstance(share, int | float) and share > 0):
                raise ValueError(f"share of {k!r} must be a positive number")
        return v


class DoseFinding(_Strict):
    """Up-and-down dose finding: patient i+1 gets ``dose_i − step`` after a response, ``+ step``
    otherwise, within [min, max]. The treatment's regimen text contains ``{dose}``."""

    treatment: str
    start_mg: float = Field(gt=0, le=2000)
    step_mg: float = Field(gt=0, le=2000)
    min_mg: float = Field(gt=0, le=2000)
    max_mg: float = Field(gt=0, le=2000)
    responder_endpoint: str

    @model_validator(mode="after")
    def _range(self) -> DoseFinding:
        if not self.min_mg <= self.start_mg <= self.max_mg:
            raise ValueError("start_mg must lie within [min_mg, max_mg]")
        return self


class Realism(_Strict):
    """Per-design overrides of the trial-realism model (placebo, noise, dropout); defaults come from
    ``ldnsim/data/trials/realism.yaml`` and the calibration."""

    expectation: float | None = Field(default=None, ge=0, le=0.9, description="mean placebo fraction")
    dropout_per_week: float | None = Field(default=None, ge=0, le=0.5)
    adherence: float | None = Field(default=None, gt=0, le=1)


class TrialDesign(_Strict):
    """A virtual clinical trial. See docs/trials.md for every field and examples."""

    name: str = Field(min_length=1)
    title: str = ""
    role: Literal["calibration", "validation", "context", "example"] | None = None
    condition: str = "fibromyalgia"
    type: Literal["parallel", "crossover", "fixed-order", "open-label", "up-and-down"]
    blinding: Literal["double", "single", "open"] = "double"
    randomized: bool = True
    scale_max: Literal[10, 100] = 10
    #: how pain is rated: a daily diary, or a recall rating (e.g. "average pain over the last 7 days" at a
    #: visit); the placebo/expectation model's size depends on it (ldnsim.trials.placebo)
    pain_report: Literal["diary", "recall"] = "diary"
    patients: int = Field(ge=1, le=100000)
    replicates: int = Field(default=1, ge=1, le=10000)
    population: PopulationSpec = PopulationSpec()
    inclusion: Inclusion = Inclusion()
    treatments: dict[str, Treatment] = Field(min_length=1)
    sequences: list[Sequence] = Field(min_length=1)
    endpoints: list[Endpoint] = Field(min_length=1)
    primary: str
    contrasts: list[Contrast] = []
    dose_finding: DoseFinding | None = None
    analysis: Literal["completers", "itt-bocf", "itt-locf"] = "completers"
    realism: Realism = Realism()
    published: dict[str, Any] | None = None
    notes: str = ""

    @field_validator("published")
    @classmethod
    def _published_finite(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        """The published block is free-form, but every number in it must be finite (it reaches the output)."""
        from .._io import check_tree

        if v is not None:
            check_tree(v, "published", max_depth=16)  # InputError is a ValueError: pydantic reports it
        return v

    @field_validator("condition")
    @classmethod
    def _covered(cls, v: str) -> str:
        """A condition no model covers is refused here (never run on the pain model)."""
        from ..data.conditions import check_condition

        return check_condition(v, "condition")

    @field_validator("treatments")
    @classmethod
    def _no_none_name(cls, v: dict[str, Treatment]) -> dict[str, Treatment]:
        if "none" in v:
            raise ValueError("'none' is reserved for untreated phases")
        return v

    @model_validator(mode="after")
    def _cross_refs(self) -> TrialDesign:
        names = set(self.treatments)
        for i, seq in enumerate(self.sequences):
            seen: set[str] = set()
            for j, ph in enumerate(seq.phases):
                if ph.treatment is not None and ph.treatment not in names:
                    raise _RefError(
                        f"sequences.{i}.phases.{j}.treatment",
                        f"unknown treatment {ph.treatment!r}",
                        sorted(names),
                    )
                if ph.name in seen:
                    raise _RefError(f"sequences.{i}.phases.{j}.name", f"duplicate phase name {ph.name!r}", [])
                seen.add(ph.name)
        ep_names = [e.name for e in self.endpoints]
        if len(set(ep_names)) != len(ep_names):
            raise _RefError("endpoints", "endpoint names must be unique", [])
        if self.primary not in ep_names:
            raise _RefError("primary", f"unknown endpoint {self.primary!r}", ep_names)
        self._check_conditions()
        for i, ep in enumerate(self.endpoints):
            self._check_endpoint(i, ep)
            for seq in self.sequences:
                if ep.baseline == "per_period" or ep.kind not in PAIN_ENDPOINT_KINDS:
                    continue
                if ep.baseline_phase not in {p.name for p in seq.phases}:
                    raise _RefError(
                        f"endpoints.{i}.baseline_phase",
                        f"phase {ep.baseline_phase!r} missing from sequence {seq.name!r}",
                        [p.name for p in seq.phases],
                    )
        for i, c in enumerate(self.contrasts):
            for fld in ("a", "b"):
                if getattr(c, fld) not in names:
                    raise _RefError(
                        f"contrasts.{i}.{fld}", f"unknown treatment {getattr(c, fld)!r}", sorted(names)
                    )
            if c.endpoint not in ep_names:
                raise _RefError(f"contrasts.{i}.endpoint", f"unknown endpoint {c.endpoint!r}", ep_names)
        if self.type == "up-and-down":
            if self.dose_finding is None:
                raise _RefError("dose_finding", "required when type is up-and-down", [])
            df = self.dose_finding
            if df.treatment not in names:
                raise _RefError(
                    "dose_finding.treatment", f"unknown treatment {df.treatment!r}", sorted(names)
                )
            if "{dose}" not in (self.treatments[df.treatment].regimen or ""):
                raise _RefError(
                    f"treatments.{df.treatment}.regimen", "must contain {dose} in up-and-down designs", []
                )
            if df.responder_endpoint not in ep_names:
                raise _RefError(
                    "dose_finding.responder_endpoint", f"unknown endpoint {df.responder_endpoint!r}", ep_names
                )
            if not df.min_mg < df.max_mg:
                raise _RefError("dose_finding.max_mg", "must exceed min_mg", [])
        elif self.dose_finding is not None:
            raise _RefError("dose_finding", "only allowed when type is up-and-down", [])
        if self.type == "crossover" and len(self.sequences) < 2:
            raise _RefError(
                "sequences", "a crossover needs at least two sequences (counterbalanced orders)", []
            )
        if self.type == "parallel":
            for i, seq in enumerate(self.sequences):
                ts = {p.treatment for p in seq.phases if p.treatment}
                if len(ts) > 1:
                    raise _RefError(
                        f"sequences.{i}", "a parallel arm has one treatment; use type crossover", []
                    )
        return self

    def _check_conditions(self) -> None:
        mix = self.population.conditions
        if not mix:
            return
        from ..data import load_yaml

        known = sorted(k for k, v in load_yaml("system/conditions.yaml").items() if isinstance(v, dict))
        for k in mix:
            if k not in known:
                raise _RefError(f"population.conditions.{k}", f"unknown condition {k!r}", known)

    def _check_endpoint(self, i: int, ep: Endpoint) -> None:
        self._check_endpoint_condition(i, ep)
        continuous = [e.name for e in self.endpoints if e.kind in CONTINUOUS_KINDS]
        if ep.kind in ("cohens_d", "cohens_dz"):
            if ep.of is None or ep.of not in continuous:
                raise _RefError(
                    f"endpoints.{i}.of", "an effect size needs a continuous endpoint to standardise",
                    continuous,
                )
            if ep.kind == "cohens_dz" and not self.paired():
                raise _RefError(
                    f"endpoints.{i}.kind",
                    "d_z is a within-patient effect size; use cohens_d for parallel arms",
                    ["cohens_d"],
                )
            ud_ep = self.dose_finding.responder_endpoint if self.dose_finding else None
            if ep.name in (self.primary, ud_ep):
                raise _RefError(
                    f"endpoints.{i}", "an effect size is a contrast endpoint, not a per-patient primary one",
                    [],
                )
        elif ep.of is not None:
            raise _RefError(f"endpoints.{i}.of", "only for kind cohens_d or cohens_dz", [])
        if ep.baseline == "per_period":
            for seq in self.sequences:
                for j, ph in enumerate(seq.phases):
                    if ph.treatment is not None and (j == 0 or seq.phases[j - 1].treatment is not None):
                        raise _RefError(
                            f"endpoints.{i}.baseline",
                            f"per_period: phase {ph.name!r} of sequence {seq.name!r} does not follow an "
                            "untreated phase (run-in or washout)",
                            ["phase"],
                        )

    def _check_endpoint_condition(self, i: int, ep: Endpoint) -> None:
        """Each condition's model has its own endpoints: CDAI on the pain model, or pain on the CDAI model,
        would be a silent mismatch, so it is refused."""
        from ..data.conditions import DISEASE_ENDPOINT_KINDS

        own = DISEASE_ENDPOINT_KINDS.get(self.condition, PAIN_ENDPOINT_KINDS)
        if ep.kind in ("cohens_d", "cohens_dz"):
            pass
        elif ep.kind not in own:
            raise _RefError(
                f"endpoints.{i}.kind",
                f"{ep.kind!r} is not an endpoint of condition {self.condition!r}",
                list(own),
            )
        if ep.kind in ("qol_score", "qol_change"):
            from .disease.ms import MEASURES

            if ep.measure not in MEASURES:
                raise _RefError(f"endpoints.{i}.measure", "a quality-of-life endpoint needs a measure",
                                list(MEASURES))
        elif ep.measure is not None:
            raise _RefError(f"endpoints.{i}.measure", "only for kind qol_score or qol_change", [])
        thresholded = ("cdai_response", "cdai_remission", "endoscopic_response", "endoscopic_remission",
                       "pcdai_response", "pcdai_remission")
        if ep.threshold_points is not None and ep.kind not in thresholded:
            raise _RefError(f"endpoints.{i}.threshold_points", "only for Crohn's response/remission", [])
        if self.population.conditions and self.condition in DISEASE_ENDPOINT_KINDS:
            raise _RefError("population.conditions", "mixed-condition populations are pain-model only", [])

    def is_disease(self) -> bool:
        """True when the condition runs on the immune module with a disease readout (not the pain model)."""
        from ..data.conditions import DISEASE_CONDITIONS

        return self.condition in DISEASE_CONDITIONS

    # -- helpers ---------------------------------------------------------------------------------
    def endpoint(self, name: str) -> Endpoint:
        for e in self.endpoints:
            if e.name == name:
                return e
        raise KeyError(name)

    def treatment_names(self) -> list[str]:
        """Treatments in the order they first appear in the sequences."""
        out: list[str] = []
        for seq in self.sequences:
            for p in seq.phases:
                if p.treatment and p.treatment not in out:
                    out.append(p.treatment)
        return out

    def total_weeks(self, seq: Sequence) -> float:
        return float(sum(p.weeks for p in seq.phases))

    def paired(self) -> bool:
        """True when each patient receives every compared treatment (within-subject analysis)."""
        return self.type in ("crossover", "fixed-order") or (
            self.type == "open-label"
            and all(len({p.treatment for p in s.phases if p.treatment}) > 1 for s in self.sequences)
        )


class _RefError(ValueError):
    def __init__(self, field: str, problem: str, accepted: list[str]):
        self.field, self.problem, self.accepted = field, problem, accepted
        super().__init__(f"{field}: {problem}")


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-after")))


def design_from_dict(doc: Any, source: str = "design") -> TrialDesign:
    """Validate a loaded YAML/JSON mapping; errors name the field (InputError, exit code 2)."""
    if not isinstance(doc, dict):
        raise InputError(source, "a trial design must be a mapping of fields", value=type(doc).__name__)
    try:
        return TrialDesign.model_validate(doc)
    except _RefError as exc:
        raise InputError(
            f"{source}: {exc.field}", exc.problem, accepted=", ".join(exc.accepted) if exc.accepted else None
        ) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        ctx_err = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_err, _RefError):
            raise InputError(
                f"{source}: {ctx_err.field}",
                ctx_err.problem,
                accepted=", ".join(ctx_err.accepted) if ctx_err.accepted else None,
            ) from None
        field = _loc(err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check spelling; see docs/trials.md)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        more = f" (+{len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        inp = err.get("input")
        value = inp if isinstance(inp, str | int | float | bool) else None
        raise InputError(f"{source}: {field}", msg + more, value=value) from None


def preset_path(name: str) -> Path:
    from ..data import data_path

    return data_path(f"trials/{PRESETS[name]}")


def load_design(preset_or_file: str | Path) -> TrialDesign:
    """Load a preset by name (``younger2013``) or a YAML/JSON design file by path."""
    key = str(preset_or_file)
    if key in PRESETS:
        path = preset_path(key)
    else:
        path = Path(key)
        if not path.exists():
            if path.suffix in (".yaml", ".yml", ".json") or "/" in key:
                raise InputError("design", "file not found", value=key)
            raise UnknownNameError("preset", key, PRESETS)
    from .._io import load_yaml_file  # regular file, bounded size/depth, no aliases, finite numbers

    doc = load_yaml_file(path, path.name)
    return design_from_dict(doc, source=path.name)


def json_schema() -> dict:
    """The JSON schema of a trial design file."""
    return TrialDesign.model_json_schema()
