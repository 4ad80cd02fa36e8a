"""Schemas of the shipped data files (pydantic v2), applied by :func:`ldnsim.data.load_yaml` on load.

The building blocks are shared by every file:

* :class:`Source` — where a number or a statement was read: ``{cite, url?, note?}``;
* :class:`Param` — one *parameter entry* (docs/architecture.md, "Parameter entries"): ``value`` (finite
  number), ``unit``, and exactly the provenance the project requires — ``source`` (a list of
  :class:`Source`), ``derived`` (arithmetic on sourced numbers, shown) or ``assumed: true`` with a
  ``reason``; optional ``cv`` (inter-individual log-normal CV), ``prior``, ``range``, ``note``, ...;
* :class:`GradedSource` — an entry of a clinical file's ``sources:`` table (a :class:`Source` with an
  evidence ``grade``).

Each data file has one schema in :data:`SCHEMAS` (a relative path or a glob under ``ldnsim/data``). Every
schema also applies the generic rule of :func:`check_parameters`: any mapping with a ``value`` and a unit or
provenance key *is* a parameter entry and must validate as :class:`Param` (so a missing unit or source
cannot hide in a nested block). Drug files (``drugs/*.yaml``) and trial designs (``trials/<design>.yaml``)
get the generic rule here and their full schema from their own layer on load (:func:`ldnsim.pk.parse_drug`,
:class:`ldnsim.trials.design.TrialDesign`), which sit above this one.

Errors are :class:`~ldnsim.errors.DataFileError` naming the file and the dotted field::

    clinical/rules.yaml: rules.opioid_agonist.severity: Input should be 'none', 'info', ... (got 'severe')

To add a data file: write its model here (``extra="forbid"`` so a misspelt key is an error), add it to
:data:`SCHEMAS`, and run ``pytest tests/data``; the test fails for a shipped file without a schema.
"""

from __future__ import annotations

import math
from fnmatch import fnmatch
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import DataFileError

__all__ = [
    "Strict",
    "Source",
    "GradedSource",
    "Prior",
    "Param",
    "ParameterTree",
    "SCHEMAS",
    "schema_for",
    "check_parameters",
    "validate_document",
]

#: clinical severities from lowest to highest (the order ldnsim.clinical.rules uses)
Severity = Literal["none", "info", "unknown", "warning", "critical"]


class Strict(BaseModel):
    """Base of every data-file model: unknown keys are errors (a misspelt key never passes silently)."""

    #: defer_build: a model's validator is built on its first use, so a command that loads two files
    #: does not pay for building all of them (clinical commands start fast)
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class Source(Strict):
    """Where a number or statement was read: a citation (author year, journal, PMID/DOI, label) and URL."""

    cite: str = Field(min_length=1)
    url: str | None = None
    note: str | None = None


class GradedSource(Source):
    """An entry of a clinical file's ``sources:`` table, with its evidence grade (L, P, E, C, ...)."""

    grade: str = Field(min_length=1)


class Prior(BaseModel):
    """Prior distribution of an uncertain parameter (for calibration)."""

    model_config = ConfigDict(extra="allow", defer_build=True)
    dist: Literal["loguniform", "uniform", "normal", "lognormal", "beta", "fixed"]
    lo: float | None = None
    hi: float | None = None
    mean: float | None = None
    sd: float | None = None


class Param(Strict):
    """One number with its unit and provenance (the parameter entry of every data file)."""

    value: float
    unit: str = Field(min_length=1)
    source: list[Source] | None = None
    derived: str | None = None
    assumed: bool = False
    reason: str | None = None
    cv: float | None = Field(default=None, ge=0.0, le=3.0)
    cv_source: list[Source] | None = None
    cv_assumed: bool | str | None = None
    prior: Prior | None = None
    range: list[float] | None = None
    ci95_profile: list[float | None] | None = None
    ci95_profile_note: str | None = None
    note: str | None = None
    confidence: Literal["high", "medium", "low"] | None = None
    grade: str | None = None
    claim: str | None = None
    applies: Any = None
    calibrate: Any = None
    unverified: bool | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("value must be a finite number")
        return v

    @model_validator(mode="after")
    def _provenance(self) -> Param:
        if self.assumed and not (self.reason or "").strip():
            raise ValueError("an assumed value needs a 'reason'")
        if not (self.source or self.derived or self.assumed):
            raise ValueError(
                "needs provenance: 'source' [{cite, url}], 'derived' text, or 'assumed: true' + 'reason'"
            )
        return self


#: keys that make a mapping with a ``value`` a parameter entry (a drug file's ``checks`` rows and a profile's
#: ``{value, chi2}`` points also carry a ``value``, but none of these)
_PARAM_MARKERS = frozenset({"unit", "source", "derived", "assumed", "reason", "cv"})


def _walk(node: Any, path: tuple[str | int, ...], out: list[tuple[tuple[str | int, ...], Any]]) -> None:
    if isinstance(node, dict):
        if "value" in node and not _PARAM_MARKERS.isdisjoint(node):
            out.append((path, node))
            return
        for k, v in node.items():
            _walk(v, (*path, str(k)), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, (*path, i), out)


def check_parameters(doc: Any) -> list[str]:
    """Problems (``dotted.field: message``) of every parameter entry that is not a valid :class:`Param`.

    A parameter entry is a mapping with a ``value`` and any of ``unit``, ``source``, ``derived``, ``assumed``,
    ``reason`` or ``cv``: so a sourced value without a unit, or a value with a unit and no provenance, is an
    error here rather than a number the parameter tables silently leave out.
    """
    entries: list[tuple[tuple[str | int, ...], Any]] = []
    _walk(doc, (), entries)
    problems = []
    for path, node in entries:
        try:
            Param.model_validate(node)
        except ValidationError as exc:
            problems += [f"{_dotted((*path, *err['loc']))}: {_msg(err)}" for err in exc.errors()]
    return problems


class ParameterTree(RootModel[Any]):
    """Any document whose parameter entries (mappings with a ``value``) are valid :class:`Param` entries."""

    model_config = ConfigDict(defer_build=True)


# ------------------------------------------------------------------------------------------------ clinical


def _check_refs(refs: dict[str, list[str]], known: dict[str, Any], what: str) -> None:
    bad = [f"{owner}.sources: {r!r}" for owner, ids in refs.items() for r in ids if r not in known]
    if bad:
        raise ValueError(f"{what} cite source ids missing from 'sources': {'; '.join(bad)}")


class Rule(Strict):
    """One interaction rule of ``clinical/rules.yaml`` (severity, wording, evidence grade, source ids)."""

    severity: Severity
    summary: str
    mechanism: str
    management: str
    evidence: str
    sources: list[str] = Field(min_length=1)


class RulesFile(Strict):
    """``clinical/rules.yaml``: the sources table and the interaction rules that cite it."""

    sources: dict[str, GradedSource]
    rules: dict[str, Rule]

    @model_validator(mode="after")
    def _refs(self) -> RulesFile:
        _check_refs({k: r.sources for k, r in self.rules.items()}, self.sources, "rules")
        return self


class CompoundingFile(Strict):
    """``clinical/compounding.yaml``: sources and compounding parameters."""

    sources: dict[str, GradedSource]
    parameters: dict[str, Param]


class Caution(Strict):
    """A monitoring caution: when it applies, its severity, wording, grade and source ids."""

    when: dict[str, Any]
    severity: Severity
    summary: str
    evidence: str
    sources: list[str] = Field(min_length=1)


class MonitoringFile(Strict):
    """``clinical/monitoring.yaml``: sources, thresholds and cautions (hepatic, renal, pregnancy, ...)."""

    sources: dict[str, GradedSource]
    thresholds: dict[str, Param]
    cautions: dict[str, Caution]

    @model_validator(mode="after")
    def _refs(self) -> MonitoringFile:
        _check_refs({k: c.sources for k, c in self.cautions.items()}, self.sources, "cautions")
        return self


class Preset(Strict):
    """A titration preset: start dose, step, interval and target (parameter entries) and its grade."""

    title: str
    start: Param
    step: Param
    every: Param
    target: Param
    grade: str
    form: Literal["capsule", "liquid"] | None = None
    concentration: Param | None = None


class SideEffect(Strict):
    """What to do about a side effect during titration."""

    trigger: str
    actions: list[str] = Field(min_length=1)
    evidence: str
    sources: list[Source] = Field(min_length=1)


class TitrationFile(Strict):
    """``clinical/titration.yaml``: presets, limits, side-effect advice and general notes."""

    presets: dict[str, Preset]
    limits: dict[str, Param]
    side_effects: dict[str, SideEffect]
    general: dict[str, str]


class LabelInterval(Strict):
    """A label's opioid-free interval before (re)starting naltrexone: ``lo``-``hi`` days and the grade."""

    lo: Param
    hi: Param
    grade: str


class WashoutFile(Strict):
    """``clinical/washout.yaml``: hold and restart parameters, label intervals and notes."""

    dose_bands: dict[str, Param]
    hold_guidance: dict[str, Any]
    hold_model: dict[str, Param]
    restart_label: dict[str, LabelInterval]
    restart_model: dict[str, Param]
    restart_notes: dict[str, str]
    depot_hold: dict[str, Any] | None = None


class Ingredient(Strict):
    """A vocabulary ingredient: its interaction rule id, ATC code(s), names and misspellings."""

    rule: str
    atc: str | list[str] | None
    names: list[str]
    rxcui: str | None = None
    misspellings: list[str] = Field(default_factory=list)
    atc_unverified: bool = False
    acting: Literal["short", "long", "patch"] | None = None
    note: str | None = None


class Brand(Strict):
    """A brand (or product word) resolving to ingredients, with region and, for opioids, how long it acts."""

    ingredients: list[str] = Field(alias="in")
    region: str | list[str]
    acting: Literal["short", "long", "patch"] | None = None
    family: bool | str | None = None
    note: str | None = None
    duplicate: Any = None


class VocabularyFile(Strict):
    """``clinical/vocabulary.yaml``: ingredients, brands and the product-formulation tables."""

    ingredients: dict[str, Ingredient]
    brands: dict[str, Brand]
    other_drugs: dict[str, list[str]]
    brands_sourced: dict[str, dict[str, Any]]
    formulation_kinds: dict[str, dict[str, Any]]
    formulation_words: dict[str, list[str]]
    brand_formulations: dict[str, dict[str, Any]]

    @model_validator(mode="after")
    def _brands_name_ingredients(self) -> VocabularyFile:
        known = set(self.ingredients) | set(self.other_drugs)
        bad = sorted({i for b in self.brands.values() for i in b.ingredients if i not in known})
        if bad:
            raise ValueError(f"brands name ingredients that are not in 'ingredients' or 'other_drugs': {bad}")
        return self


class UniiBrand(Strict):
    """A brand of ``clinical/vocabulary_unii.yaml``: its ingredient, UNII codes and display names."""

    ingredients: list[str] = Field(alias="in", min_length=1)
    unii: list[str] = Field(min_length=1)
    display: list[str] = Field(min_length=1)


class VocabularyUniiFile(Strict):
    """``clinical/vocabulary_unii.yaml``: opioid brand names generated from the FDA UNII Names list
    (``scripts/build_unii_opioid_brands.py``), with the source's provenance and every skipped name."""

    source: dict[str, Any]
    brands: dict[str, UniiBrand]
    skipped: dict[str, list[str]]

    @model_validator(mode="after")
    def _provenance(self) -> VocabularyUniiFile:
        missing = {"cite", "url", "copy", "sha256", "rows", "generated_by"} - set(self.source)
        if missing:
            raise ValueError(f"source lacks {sorted(missing)}")
        return self


class AcutePainStep(Strict):
    """One step of ``ldnsim acute-pain``: title, action, why, grade and source ids (rules.yaml)."""

    title: str
    action: str
    why: str
    grade: str
    sources: list[str] = Field(min_length=1)
    only: Literal["blocked", "injection"] | None = None


class AcutePainFile(Strict):
    """``clinical/acute_pain.yaml``: the steps in the order a clinician acts."""

    steps: dict[str, AcutePainStep]


class DxmFile(Strict):
    """``clinical/dxm.yaml``: the dextromethorphan daily ceiling and the drug lists its rules read."""

    daily_ceiling: Param
    maoi: list[str]
    serotonergic: list[str]
    cyp2d6_inhibitors: list[str]
    qt: list[str]


# ------------------------------------------------------------------------------------------------ model


class ReceptorsFile(RootModel[dict[str, Param]]):
    """``receptors.yaml``: receptor-layer constants (each a parameter entry)."""

    model_config = ConfigDict(defer_build=True)


_EFFECT_KEYS = ("naltrexone.ke0", "naltrexone.kp_uu", "6beta-naltrexol.ke0", "6beta-naltrexol.kp_uu")


class OccupancyVariant(Strict):
    """One occupancy variant of ``occupancy.yaml``: the effect-site values of naltrexone and 6β-naltrexol."""

    description: str
    fitted: list[str]
    constraints: list[str] = Field(default_factory=list)
    fit: dict[str, Any]
    values: dict[str, Param]

    @model_validator(mode="after")
    def _all_effect_values(self) -> OccupancyVariant:
        if sorted(self.values) != sorted(_EFFECT_KEYS):
            raise ValueError(f"values must give exactly {', '.join(_EFFECT_KEYS)}")
        return self


class OccupancyFile(Strict):
    """``occupancy.yaml``: targets of the occupancy fit (parameter entries) and the occupancy variants."""

    meta: dict[str, Any]
    default: str
    targets: dict[str, Any]
    variants: dict[str, OccupancyVariant]

    @model_validator(mode="after")
    def _default_declared(self) -> OccupancyFile:
        if self.default not in self.variants:
            raise ValueError(f"default {self.default!r} is not one of the variants")
        return self


class PopulationFile(Strict):
    """``population.yaml``: covariate distributions, inter-individual variability and traits."""

    covariates: dict[str, dict[str, Any]]
    iiv: dict[str, Any]
    traits: dict[str, Param]


class RealismFile(RootModel[dict[str, dict[str, Any]]]):
    """``trials/realism.yaml``: trial-realism groups (placebo, fluctuation, diary, dropout, ...)."""

    model_config = ConfigDict(defer_build=True)


class _ImmuneMeta(Strict):
    description: str
    time_unit: Literal["h"]


class ImmuneParametersFile(Strict):
    """``immune/parameters.yaml``: groups of parameter entries of :mod:`ldnsim.immune` (flat names unique
    across groups: checked by its loader) and ``meta``."""

    model_config = ConfigDict(extra="allow", defer_build=True)
    meta: _ImmuneMeta

    @model_validator(mode="after")
    def _groups(self) -> ImmuneParametersFile:
        for group, entries in (self.model_extra or {}).items():
            if not isinstance(entries, dict) or not entries:
                raise ValueError(f"{group}: a group must map parameter names to parameter entries")
            for name, entry in entries.items():
                try:
                    Param.model_validate(entry)
                except ValidationError as exc:
                    raise ValueError(f"{group}.{name}: {exc.errors()[0]['msg']}") from None
        return self


class ImmuneCondition(Strict):
    """One condition preset of ``immune/conditions.yaml``: the untreated drive of each tissue compartment."""

    description: str
    gut_drive: Param
    cns_drive: Param


class ImmuneConditionsFile(RootModel[dict[str, ImmuneCondition]]):
    """``immune/conditions.yaml``: the conditions :mod:`ldnsim.immune` covers."""

    model_config = ConfigDict(defer_build=True)


class Nof1PriorsFile(Strict):
    """``nof1/priors.yaml``: priors of the model-informed N-of-1 analysis (groups of parameter entries)."""

    onset: dict[str, Param]
    benefit: dict[str, Param]
    placebo: dict[str, Param]
    noise: dict[str, Param]
    trend: dict[str, Param]
    level: dict[str, Param]
    decision: dict[str, Param]
    method_sources: list[Source] = Field(min_length=1)


#: relative path (or glob) under ldnsim/data -> its schema; the first match wins
SCHEMAS: dict[str, type[BaseModel]] = {
    "clinical/rules.yaml": RulesFile,
    "clinical/compounding.yaml": CompoundingFile,
    "clinical/monitoring.yaml": MonitoringFile,
    "clinical/titration.yaml": TitrationFile,
    "clinical/washout.yaml": WashoutFile,
    "clinical/vocabulary.yaml": VocabularyFile,
    "clinical/vocabulary_unii.yaml": VocabularyUniiFile,
    "clinical/acute_pain.yaml": AcutePainFile,
    "clinical/dxm.yaml": DxmFile,
    "receptors.yaml": ReceptorsFile,
    "occupancy.yaml": OccupancyFile,
    "population.yaml": PopulationFile,
    "trials/realism.yaml": RealismFile,
    "nof1/priors.yaml": Nof1PriorsFile,
    # the system model's files and the calibrated set: parameter entries checked here, the shape by
    # ldnsim.system and ldnsim.data.parameter_set (the one loader of the parameter set)
    "system/*.yaml": ParameterTree,
    "immune/parameters.yaml": ImmuneParametersFile,
    "immune/conditions.yaml": ImmuneConditionsFile,
    "trials/calibrated.yaml": ParameterTree,
    # full schemas in the layers that own them (ldnsim.pk.parse_drug, ldnsim.trials.design.TrialDesign)
    "drugs/*.yaml": ParameterTree,
    "trials/*.yaml": ParameterTree,
    # the disease readouts (ldnsim.trials.disease): parameter entries here, the shape by their readers
    "disease/*.yaml": ParameterTree,
}


def schema_for(relative: str) -> type[BaseModel] | None:
    """The schema of a data file from its path relative to ``ldnsim/data`` (None: no shipped file's path)."""
    rel = relative.replace("\\", "/")
    for pattern, model in SCHEMAS.items():
        if fnmatch(rel, pattern):
            return model
    return None


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and (part.startswith("function-") or part.startswith("[")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _msg(err: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if (
        err["type"] not in ("missing", "extra_forbidden")
        and "input" in err
        and not isinstance(err["input"], dict)
    ):
        msg += f" (got {err['input']!r})"
    return msg


def validate_document(relative: str, doc: Any) -> None:
    """Validate a loaded data file against its schema; raise :class:`DataFileError` naming file and fields."""
    model = schema_for(relative)
    problems = check_parameters(doc)
    if model is not None and not problems:
        try:
            model.model_validate(doc)
        except ValidationError as exc:
            problems = [f"{_dotted(tuple(err['loc']))}: {_msg(err)}" for err in exc.errors()]
    if problems:
        head = f"{relative}: " if len(problems) == 1 else f"{relative}: {len(problems)} problems:\n  "
        raise DataFileError(head + "\n  ".join(problems))
