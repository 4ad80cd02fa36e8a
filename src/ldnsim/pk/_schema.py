"""Schema of a drug file (``ldnsim/data/drugs/<id>.yaml``), as pydantic v2 models.

Every numeric leaf is a *parameter entry* (:class:`Param`): ``{value, unit, source | derived |
assumed + reason, cv?, prior?}`` (docs/architecture.md, "Parameter entries"). The models check
structure, units and provenance, and cross-references (metabolites formed from analytes that
exist, first-pass metabolites that exist, checks that name known analytes and formulations).
:func:`parse_drug` turns a loaded YAML document into a :class:`DrugSpec` or raises
:class:`~ldnsim.errors.DataFileError` naming the file and the dotted field.

Units inside ldnsim: mass mg, volume L, time h, clearance L/h, affinities nM, molar mass g/mol.
See ``docs/drug-files.md`` for every field with an example.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..data.schema import Prior, Source  # the one citation/prior schema (data layer, below pk)
from ..errors import DataFileError

__all__ = [
    "Source",
    "Prior",
    "Param",
    "Formulation",
    "Effect",
    "MuBinding",
    "TLR4Binding",
    "IC50Binding",
    "NOX2Binding",
    "Receptors",
    "Analyte",
    "CovariateEffect",
    "WeightScaling",
    "Covariates",
    "Check",
    "DoseBasis",
    "DrugSpec",
    "parse_drug",
    "UNIT_ALIASES",
]

# Accepted spellings of each canonical unit (lower-case, spaces removed).
UNIT_ALIASES: dict[str, set[str]] = {
    "1/h": {"1/h", "h-1", "/h", "h^-1", "per_h"},
    "h": {"h", "hour", "hours"},
    "L": {"l"},
    "L/h": {"l/h"},
    "fraction": {"fraction", "1", "-", "ratio"},
    "fold": {"fold", "x", "ratio"},
    "nM": {"nm"},
    "g/mol": {"g/mol", "da"},
    "ng/mL": {"ng/ml"},
    "ng*h/mL": {"ng*h/ml", "ng.h/ml", "ng·h/ml", "h*ng/ml"},
    "kg": {"kg"},
    "mL/min": {"ml/min"},
    "mg": {"mg"},
}


def _canon(unit: str) -> str | None:
    u = str(unit).strip().lower().replace(" ", "")
    for canon, aliases in UNIT_ALIASES.items():
        if u == canon.lower() or u in aliases:
            return canon
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class Param(_Strict):
    """One number with its unit and provenance.

    Exactly one kind of provenance is required: ``source`` (list of {cite, url}), ``derived``
    (arithmetic or fit on sourced numbers, shown), or ``assumed: true`` with a ``reason``.
    ``cv`` is the inter-individual log-normal CV (fraction), optional.
    """

    value: float
    unit: str
    source: list[Source] | None = None
    derived: str | None = None
    assumed: bool = False
    reason: str | None = None
    cv: float | None = Field(default=None, ge=0.0, le=3.0)
    cv_source: list[Source] | None = None
    prior: Prior | None = None
    range: list[float] | None = None
    note: str | None = None
    confidence: Literal["high", "medium", "low"] | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("value must be a finite number")
        return v

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, u: str) -> str:
        c = _canon(u)
        if c is None:
            raise ValueError(f"unknown unit {u!r}; known: {', '.join(UNIT_ALIASES)}")
        return c

    @model_validator(mode="after")
    def _provenance(self) -> Param:
        has_source = bool(self.source)
        if self.assumed and not self.reason:
            raise ValueError("an assumed value needs a 'reason'")
        if not (has_source or self.derived or self.assumed):
            raise ValueError(
                "needs provenance: 'source' [{cite, url}], 'derived' text, or 'assumed: true' + 'reason'"
            )
        return self


def _need_unit(p: Param | None, units: tuple[str, ...], what: str) -> None:
    if p is not None and p.unit not in units:
        raise ValueError(f"{what}: unit must be {' or '.join(units)} (got {p.unit!r})")


def _need_range(p: Param | None, lo: float, hi: float, what: str, lo_open: bool = False) -> None:
    if p is None:
        return
    ok = (p.value > lo if lo_open else p.value >= lo) and p.value <= hi
    if not ok:
        bracket = "(" if lo_open else "["
        raise ValueError(f"{what}: value {p.value} outside {bracket}{lo}, {hi}]")


Route = Literal[
    "oral", "iv", "im", "sc", "sublingual", "buccal", "intranasal", "transdermal", "rectal", "intrathecal"
]


class Formulation(_Strict):
    """How a dose enters the body.

    A dose of ``dose_mg`` (labelled amount, salt as prescribed) delivers ``dose_mg * base_fraction``
    mg of base. For extravascular routes, ``fa`` of it reaches an absorption depot (the rest is lost
    unabsorbed) and leaves the depot at ``ka``; of the absorbed flux, ``F`` (fraction of the dose)
    reaches the circulation as parent and ``(fa - F) * first_pass[m]`` as metabolite ``m``; the rest
    is eliminated presystemically. ``release_h`` spreads the dose as a zero-order input into the
    depot (slow-release tablets, patches) unless the dose event gives its own duration.
    For ``route: iv`` the dose goes straight to the central compartment (``ka``/``F`` unused; F = 1).
    """

    label: str
    route: Route
    ka: Param | None = None
    F: Param | None = None
    fa: Param | None = None
    first_pass: dict[str, Param] = Field(default_factory=dict)
    lag: Param | None = None
    release_h: Param | None = None
    base_fraction: Param | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Formulation:
        _need_unit(self.ka, ("1/h",), "ka")
        _need_unit(self.F, ("fraction",), "F")
        _need_unit(self.fa, ("fraction",), "fa")
        _need_unit(self.lag, ("h",), "lag")
        _need_unit(self.release_h, ("h",), "release_h")
        _need_unit(self.base_fraction, ("fraction",), "base_fraction")
        _need_range(self.ka, 0.0, 1e4, "ka", lo_open=True)
        _need_range(self.F, 0.0, 1.0, "F", lo_open=True)
        _need_range(self.fa, 0.0, 1.0, "fa", lo_open=True)
        _need_range(self.lag, 0.0, 48.0, "lag")
        _need_range(self.release_h, 0.0, 24.0 * 31, "release_h", lo_open=True)
        _need_range(self.base_fraction, 0.0, 1.0, "base_fraction", lo_open=True)
        for k, p in self.first_pass.items():
            _need_unit(p, ("fraction",), f"first_pass.{k}")
            _need_range(p, 0.0, 1.0, f"first_pass.{k}")
        if self.route != "iv":
            if self.ka is None:
                raise ValueError(f"route {self.route!r} needs 'ka' (absorption rate constant, 1/h)")
            if self.F is None:
                raise ValueError(f"route {self.route!r} needs 'F' (systemic fraction of the dose)")
        fa = self.fa.value if self.fa is not None else 1.0
        if self.F is not None and self.F.value > fa + 1e-12:
            raise ValueError(f"F ({self.F.value}) cannot exceed fa ({fa})")
        if sum(p.value for p in self.first_pass.values()) > 1.0 + 1e-12:
            raise ValueError("first_pass fractions sum to more than 1")
        return self


class Effect(_Strict):
    """Effect site (brain) of an analyte: ``dCe/dt = ke0 * (kp_uu * fu * C_plasma - Ce)``.

    ``ke0`` absent: the effect site follows unbound plasma instantly. ``kp_uu`` is the unbound
    brain-to-plasma ratio at equilibrium (BBB factor; 1 = free passage).
    """

    ke0: Param | None = None
    kp_uu: Param | None = None

    @model_validator(mode="after")
    def _check(self) -> Effect:
        _need_unit(self.ke0, ("1/h",), "ke0")
        _need_unit(self.kp_uu, ("fraction",), "kp_uu")
        _need_range(self.ke0, 0.0, 1e4, "ke0", lo_open=True)
        _need_range(self.kp_uu, 0.0, 10.0, "kp_uu", lo_open=True)
        return self


class MuBinding(_Strict):
    """Competitive binding at the μ-opioid receptor: Ki (nM, unbound) and role.

    ``efficacy`` is the intrinsic efficacy relative to a full agonist (1 for full agonists, 0 for
    antagonists; partial agonists in between).
    """

    role: Literal["agonist", "partial_agonist", "antagonist"]
    ki: Param
    efficacy: Param | None = None

    @model_validator(mode="after")
    def _check(self) -> MuBinding:
        _need_unit(self.ki, ("nM",), "mu.ki")
        _need_range(self.ki, 0.0, 1e9, "mu.ki", lo_open=True)
        _need_unit(self.efficacy, ("fraction",), "mu.efficacy")
        _need_range(self.efficacy, 0.0, 1.0, "mu.efficacy")
        return self

    @property
    def efficacy_value(self) -> float:
        if self.efficacy is not None:
            return self.efficacy.value
        return {"agonist": 1.0, "partial_agonist": 0.5, "antagonist": 0.0}[self.role]


class TLR4Binding(_Strict):
    """TLR4/MD-2: ``antagonist`` (potency relative to the shared ``tlr4_ic50_nM``; 1 = equipotent
    with naltrexone) or ``activator`` (``ec50`` in nM)."""

    role: Literal["antagonist", "activator"]
    relative_potency: Param | None = None
    ec50: Param | None = None

    @model_validator(mode="after")
    def _check(self) -> TLR4Binding:
        _need_unit(self.relative_potency, ("fold", "fraction"), "tlr4.relative_potency")
        _need_range(self.relative_potency, 0.0, 1e6, "tlr4.relative_potency", lo_open=True)
        _need_unit(self.ec50, ("nM",), "tlr4.ec50")
        _need_range(self.ec50, 0.0, 1e9, "tlr4.ec50", lo_open=True)
        if self.role == "activator" and self.ec50 is None:
            raise ValueError("a TLR4 activator needs 'ec50' (nM)")
        return self


class IC50Binding(_Strict):
    """A simple Hill-1 blocker: IC50 in nM (unbound effect-site concentration)."""

    ic50: Param

    @model_validator(mode="after")
    def _check(self) -> IC50Binding:
        _need_unit(self.ic50, ("nM",), "ic50")
        _need_range(self.ic50, 0.0, 1e9, "ic50", lo_open=True)
        return self


class NOX2Binding(IC50Binding):
    """NOX2 (microglial NADPH oxidase) inhibition: IC50 (nM) and maximal inhibition ``emax`` (≤ 0.5)."""

    emax: Param

    @model_validator(mode="after")
    def _check_emax(self) -> NOX2Binding:
        _need_unit(self.emax, ("fraction",), "nox2.emax")
        _need_range(self.emax, 0.0, 0.5, "nox2.emax")
        return self


class Receptors(_Strict):
    mu: MuBinding | None = None
    tlr4: TLR4Binding | None = None
    nmda: IC50Binding | None = None
    nox2: NOX2Binding | None = None


class Analyte(_Strict):
    """One measured compound (parent or metabolite): disposition, effect site and receptor constants.

    One compartment (``V``, ``CL``) or two (add ``Q``, ``V2``). ``V``/``CL``/``Q``/``V2`` are for a
    70 kg adult. A metabolite names ``formed_from`` (another analyte) and ``fm``, the fraction of
    that analyte's clearance that produces it.
    """

    display_name: str | None = None
    molar_mass: Param
    V: Param
    CL: Param
    Q: Param | None = None
    V2: Param | None = None
    fu: Param
    formed_from: str | None = None
    fm: Param | None = None
    effect: Effect = Field(default_factory=Effect)
    receptors: Receptors = Field(default_factory=Receptors)
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Analyte:
        _need_unit(self.molar_mass, ("g/mol",), "molar_mass")
        _need_range(self.molar_mass, 10.0, 1e5, "molar_mass")
        _need_unit(self.V, ("L",), "V")
        _need_range(self.V, 0.0, 1e6, "V", lo_open=True)
        _need_unit(self.CL, ("L/h",), "CL")
        _need_range(self.CL, 0.0, 1e5, "CL", lo_open=True)
        _need_unit(self.Q, ("L/h",), "Q")
        _need_range(self.Q, 0.0, 1e5, "Q", lo_open=True)
        _need_unit(self.V2, ("L",), "V2")
        _need_range(self.V2, 0.0, 1e6, "V2", lo_open=True)
        _need_unit(self.fu, ("fraction",), "fu")
        _need_range(self.fu, 0.0, 1.0, "fu", lo_open=True)
        _need_unit(self.fm, ("fraction",), "fm")
        _need_range(self.fm, 0.0, 1.0, "fm")
        if (self.Q is None) != (self.V2 is None):
            raise ValueError("a peripheral compartment needs both 'Q' (L/h) and 'V2' (L)")
        if (self.formed_from is None) != (self.fm is None):
            raise ValueError("a metabolite needs both 'formed_from' and 'fm'")
        return self


class CovariateEffect(_Strict):
    """Multipliers applied for one covariate level (hepatic severity, CYP2D6 phenotype).

    ``F_fold`` multiplies the systemic parent fraction of extravascular formulations (capped at
    ``fa``); first-pass metabolite fractions then apply to the smaller extracted amount.
    ``CL_fold``/``V_fold``/``fm_fold``/``first_pass_fold``: per analyte name.
    """

    F_fold: Param | None = None
    CL_fold: dict[str, Param] = Field(default_factory=dict)
    V_fold: dict[str, Param] = Field(default_factory=dict)
    fm_fold: dict[str, Param] = Field(default_factory=dict)
    first_pass_fold: dict[str, Param] = Field(default_factory=dict)
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> CovariateEffect:
        _need_unit(self.F_fold, ("fold",), "F_fold")
        _need_range(self.F_fold, 0.0, 100.0, "F_fold", lo_open=True)
        for name in ("CL_fold", "V_fold", "fm_fold", "first_pass_fold"):
            for k, p in getattr(self, name).items():
                _need_unit(p, ("fold",), f"{name}.{k}")
                _need_range(p, 0.0, 1000.0, f"{name}.{k}")
        return self

    def analytes_named(self) -> set[str]:
        return set(self.CL_fold) | set(self.V_fold) | set(self.fm_fold) | set(self.first_pass_fold)


class WeightScaling(_Strict):
    """Allometric scaling: ``CL·(W/ref)^exponent_CL``, ``V·(W/ref)^exponent_V`` (also Q and V2)."""

    reference_kg: Param
    exponent_CL: Param
    exponent_V: Param


class Covariates(_Strict):
    """Covariate effects. ``renal``: per analyte the fraction of its CL that is renal; that part
    scales with eGFR/``reference_egfr`` (mL/min)."""

    weight: WeightScaling | None = None
    hepatic: dict[Literal["mild", "moderate", "severe"], CovariateEffect] = Field(default_factory=dict)
    renal: dict[str, Param] = Field(default_factory=dict)
    reference_egfr: Param | None = None
    cyp2d6: dict[Literal["pm", "im", "em", "um"], CovariateEffect] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Covariates:
        for k, p in self.renal.items():
            _need_unit(p, ("fraction",), f"renal.{k}")
            _need_range(p, 0.0, 1.0, f"renal.{k}")
        _need_unit(self.reference_egfr, ("mL/min",), "reference_egfr")
        return self


class Check(_Strict):
    """An independent reference number a test compares the model against.

    ``what``: cmax (ng/mL), tmax (h), t_half (terminal, h), auc (ng*h/mL, 0-inf) of ``analyte``
    after a single ``dose_mg`` of ``formulation``; ``tolerance`` is relative (0.15 = ±15%) or use
    ``range`` [lo, hi] in the value's unit. ``covariates`` optionally sets Covariates fields.
    ``known_gap`` records a documented disagreement the model cannot honestly close (measured vs
    cited and why); the check's test case is then an expected failure (``xfail(strict=True)``).
    """

    what: Literal["cmax", "tmax", "t_half", "auc"]
    analyte: str
    formulation: str
    dose_mg: float = Field(gt=0)
    value: Param
    tolerance: float | None = Field(default=None, gt=0)
    range: list[float] | None = None
    covariates: dict[str, Any] = Field(default_factory=dict)
    duration_h: float = 0.0
    note: str | None = None
    known_gap: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Check:
        unit = {"cmax": "ng/mL", "tmax": "h", "t_half": "h", "auc": "ng*h/mL"}[self.what]
        _need_unit(self.value, (unit,), f"check {self.what}")
        if self.tolerance is None and self.range is None:
            raise ValueError("a check needs 'tolerance' (relative) or 'range' [lo, hi]")
        if self.range is not None and (len(self.range) != 2 or self.range[0] > self.range[1]):
            raise ValueError("range must be [lo, hi] with lo <= hi")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        if self.range is not None:
            return float(self.range[0]), float(self.range[1])
        tol = float(self.tolerance)  # type: ignore[arg-type]
        return self.value.value * (1 - tol), self.value.value * (1 + tol)


class DoseBasis(_Strict):
    """What ``dose_mg`` means: the labelled amount of ``salt``; ``base_fraction`` of it is base."""

    salt: str
    base_fraction: Param

    @model_validator(mode="after")
    def _check(self) -> DoseBasis:
        _need_unit(self.base_fraction, ("fraction",), "base_fraction")
        _need_range(self.base_fraction, 0.0, 1.0, "base_fraction", lo_open=True)
        return self


DrugClass = Literal[
    "opioid_agonist",
    "opioid_partial_agonist",
    "opioid_antagonist",
    "tlr4_antagonist",
    "nmda_antagonist",
    "other",
]


class DrugSpec(_Strict):
    """A whole drug file. ``parent`` is the analyte a dose delivers (default: ``id``)."""

    id: str
    name: str
    synonyms: list[str] = Field(default_factory=list)
    drug_class: DrugClass = Field(alias="class")
    parent: str | None = None
    dose_basis: DoseBasis | None = None
    default_formulation: str | None = None
    dose_range_mg: list[float] | None = None
    formulations: dict[str, Formulation]
    analytes: dict[str, Analyte]
    covariates: Covariates = Field(default_factory=Covariates)
    iiv: dict[str, Param] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    notes: str | list[str] | None = None

    @model_validator(mode="after")
    def _cross(self) -> DrugSpec:
        if self.parent is None:
            self.parent = self.id
        an = self.analytes
        if self.parent not in an:
            raise ValueError(f"parent analyte {self.parent!r} is not among analytes ({', '.join(an)})")
        if not self.formulations:
            raise ValueError("at least one formulation is needed")
        if self.default_formulation is None:
            self.default_formulation = next(iter(self.formulations))
        if self.default_formulation not in self.formulations:
            raise ValueError(f"default_formulation {self.default_formulation!r} is not a formulation")
        if an[self.parent].formed_from is not None:
            raise ValueError("the parent analyte cannot be 'formed_from' another analyte")
        for name, a in an.items():
            if a.formed_from is not None and a.formed_from not in an:
                raise ValueError(f"analytes.{name}.formed_from: {a.formed_from!r} is not an analyte")
            if a.formed_from == name:
                raise ValueError(f"analytes.{name}.formed_from: an analyte cannot form itself")
        # acyclic metabolite chain
        for name in an:
            seen, cur = set(), name
            while an[cur].formed_from is not None:
                if cur in seen:
                    raise ValueError(f"analytes.{name}: formed_from chain is circular")
                seen.add(cur)
                cur = an[cur].formed_from  # type: ignore[assignment]
        for parent_name in an:
            total = sum(a.fm.value for a in an.values() if a.formed_from == parent_name and a.fm is not None)
            if total > 1.0 + 1e-12:
                raise ValueError(f"fm of the metabolites of {parent_name!r} sum to {total} > 1")
        for fname, f in self.formulations.items():
            for m in f.first_pass:
                if m not in an or m == self.parent:
                    raise ValueError(f"formulations.{fname}.first_pass.{m}: not a metabolite analyte")
        cov = self.covariates
        for level, eff in list(cov.hepatic.items()) + list(cov.cyp2d6.items()):
            bad = eff.analytes_named() - set(an)
            if bad:
                raise ValueError(f"covariates.{level}: unknown analyte(s) {sorted(bad)}")
        bad = set(cov.renal) - set(an)
        if bad:
            raise ValueError(f"covariates.renal: unknown analyte(s) {sorted(bad)}")
        for key, p in self.iiv.items():
            _need_unit(p, ("fraction",), f"iiv.{key}")
            _check_eta_key(self, key)
        for i, c in enumerate(self.checks):
            if c.analyte not in an:
                raise ValueError(f"checks[{i}].analyte {c.analyte!r} is not an analyte")
            if c.formulation not in self.formulations:
                raise ValueError(f"checks[{i}].formulation {c.formulation!r} is not a formulation")
        if self.dose_range_mg is not None and (
            len(self.dose_range_mg) != 2 or not 0 < self.dose_range_mg[0] < self.dose_range_mg[1]
        ):
            raise ValueError("dose_range_mg must be [lo, hi] with 0 < lo < hi")
        return self

    @property
    def parent_analyte(self) -> str:
        return self.parent or self.id

    def all_names(self) -> list[str]:
        """Id, name and synonyms (for name resolution)."""
        return [self.id, self.name, *self.synonyms]


ANALYTE_ETA_PARAMS = ("CL", "V", "Q", "V2", "ke0", "kp_uu", "fm")
FORMULATION_ETA_PARAMS = ("ka", "F")


def _check_eta_key(spec: DrugSpec, key: str) -> None:
    """IIV / eta keys are ``<analyte>.<param>`` or ``<formulation>.<param>``."""
    head, _, param = key.rpartition(".")
    if head in spec.analytes and param in ANALYTE_ETA_PARAMS:
        return
    if head in spec.formulations and param in FORMULATION_ETA_PARAMS:
        return
    raise ValueError(
        f"iiv key {key!r}: expected '<analyte>.<{'|'.join(ANALYTE_ETA_PARAMS)}>' or "
        f"'<formulation>.<{'|'.join(FORMULATION_ETA_PARAMS)}>'"
    )


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_drug(doc: Any, path: str = "<drug file>") -> DrugSpec:
    """Validate a loaded drug YAML document; errors name the file and each offending field."""
    if not isinstance(doc, dict):
        raise DataFileError(f"{path}: a drug file must be a mapping at the top level")
    try:
        return DrugSpec.model_validate(doc)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path}: {_loc(loc)}: {msg}")
        raise DataFileError("\n".join(lines)) from None
