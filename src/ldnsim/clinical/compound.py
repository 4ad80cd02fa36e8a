"""Compounding specification for LDN (``ldnsim compound``): what the compounding pharmacy must be told.

Immediate release only (never SR), filler guidance (inert filler; no calcium carbonate), capsule fill,
liquid concentration with a serial-dilution plan for microgram doses, storage and beyond-use date, and a
topical note. Every statement carries its source and grade (``compounding.yaml``).

Built in stages, each returning a frozen dataclass (the pattern of :mod:`.restart` and :mod:`.hold`):
:func:`read_request` (dose, form, days checked → :class:`CompoundRequest`), one stage per form
(:func:`capsule_prep` → :class:`CapsulePrep`, :func:`liquid_prep` → :class:`LiquidPrep`,
:func:`topical_prep` → :class:`TopicalPrep`), each with its :class:`SpecLine` wording, worksheet and
warnings, and :func:`compound_plan` (→ :class:`CompoundSpec`, whose :meth:`~CompoundSpec.to_dict` is the
``--json`` document). :func:`compound_spec` returns that dict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..data import load_yaml, value_of
from ..errors import InputError
from ..units import parse_concentration, parse_mass
from .rules import DISCLAIMER
from .titrate import nice_concentration

__all__ = [
    "compound_spec",
    "compound_plan",
    "spec_text",
    "FORMS",
    "CompoundRequest",
    "SpecLine",
    "CapsulePrep",
    "LiquidPrep",
    "TopicalPrep",
    "CompoundSpec",
]

FORMS = ("capsule", "liquid", "topical")
_MODIFIED_RELEASE = {"sr", "er", "xr", "xl", "cr", "slow-release", "sustained-release", "extended-release",
                     "modified-release"}


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = load_yaml("clinical/compounding.yaml")
    return doc


def _param(name: str) -> float:
    return float(value_of(_doc()["parameters"][name]))


def _src(*ids: str) -> list[dict[str, Any]]:
    sources = _doc()["sources"]
    return [{"id": i, **sources[i]} for i in ids]


def _dilution_chain(target_conc: float, make_ml: float, *, stock: float = 1.0,
                    min_ml: float = 10.0) -> list[dict[str, float]]:
    """Serial dilutions from a ``stock`` mg/mL solution to ``make_ml`` mL of ``target_conc`` mg/mL.

    1:10 steps while they fit, then one final step; each intermediate is made in just the volume the next step
    takes (at least ``min_ml``); the last step makes exactly ``make_ml``. Returns one dict per step:
    ``{from_conc, to_conc, take_ml, water_ml, make_ml}`` (mg/mL, mL) — the volumes balance (mass balance).
    """
    concs = [stock]
    while concs[-1] / 10 >= target_conc * 0.999:
        concs.append(concs[-1] / 10)
    if not math.isclose(concs[-1], target_conc, rel_tol=1e-6):
        concs.append(target_conc)
    steps: list[dict[str, float]] = []
    need = make_ml
    for i in range(len(concs) - 1, 0, -1):
        c_from, c_to = concs[i - 1], concs[i]
        take = need * c_to / c_from
        steps.append({"from_conc": c_from, "to_conc": c_to, "take_ml": take, "water_ml": need - take,
                      "make_ml": need})
        need = max(take, min_ml)
    return list(reversed(steps))


def _dilution_text(steps: list[dict[str, float]]) -> list[str]:
    return [f"{s['take_ml']:.3g} mL of {s['from_conc']:g} mg/mL + {s['water_ml']:.3g} mL purified water → "
            f"{s['make_ml']:.3g} mL of {s['to_conc']:g} mg/mL" for s in steps]


@dataclass(frozen=True)
class SpecLine:
    """One line of the specification: heading, wording and its sources (with grades)."""

    item: str
    text: str
    sources: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "text": self.text, "sources": list(self.sources)}


def _line(item: str, text: str, *source_ids: str) -> SpecLine:
    return SpecLine(item, text, tuple(_src(*source_ids)))


@dataclass(frozen=True)
class CompoundRequest:
    """Stage 1: the checked request — dose (mg naltrexone HCl per dose), form, days of supply, dose band."""

    dose_mg: float
    form: str
    concentration: str | None
    days: int
    band: str

    @property
    def base_mg(self) -> float:
        """Naltrexone base per dose (mg)."""
        return self.dose_mg * _param("base_per_hcl")

    def common_lines(self) -> list[SpecLine]:
        return [
            _line(
                "Active ingredient",
                f"Naltrexone hydrochloride {self.dose_mg:g} mg per dose "
                f"(≈{self.base_mg:.3g} mg naltrexone base); dose band {self.band}.",
                "dose_bands",
            ),
            _line(
                "Release",
                "IMMEDIATE RELEASE ONLY. Do NOT prepare as SR, slow-release, timed-release or "
                "any modified-release form.",
                "ir_only",
            ),
        ]

    def dose_warnings(self) -> list[str]:
        """Warnings on the dose itself (microgram bands; above the LDN range)."""
        out = []
        if self.band != "LDN":
            out.append(
                f"{self.band} dose: microgram naltrexone regimens are research regimens with no dosing "
                "guidance beyond the dose bands; they are not a way around an opioid-free interval."
            )
        if self.dose_mg > 10:
            out.append(f"{self.dose_mg:g} mg is above the LDN range (≤10 mg); check the prescription.")
        return out


def read_request(dose: str | float, form: str, *, concentration: str | None = None, days: int = 30
                 ) -> CompoundRequest:
    """Stage 1: parse and check the inputs (InputError naming the field; never SR)."""
    dose_mg = parse_mass(dose, "dose", default_unit="mg", lo=0.0, hi=50.0)
    form = str(form or "").strip().lower()
    if form in _MODIFIED_RELEASE:
        raise InputError(
            "form",
            "LDN must be compounded immediate-release; slow/extended-release forms blunt the nightly peak "
            "and lengthen μ blockade (see `ldnsim pk naltrexone --formulation sr`)",
            accepted="|".join(FORMS),
            value=form,
        )
    if form not in FORMS:
        raise InputError("form", "unknown form", accepted="|".join(FORMS), value=form)
    if concentration is not None and form != "liquid":  # as titrate: never silently ignored
        raise InputError("concentration", "only applies to --form liquid", value=concentration)
    if not (1 <= int(days) <= 180):
        raise InputError("days", "out of range", accepted="1-180 days of supply", value=days)
    band = "LDN" if dose_mg >= 1.0 else ("VLDN" if dose_mg >= 1e-3 else "ULDN")
    return CompoundRequest(dose_mg=dose_mg, form=form, concentration=concentration, days=int(days), band=band)


@dataclass(frozen=True)
class CapsulePrep:
    """Stage 2 (capsules): size #3 fill (mg), API fraction, units made with overage, beyond-use days."""

    req: CompoundRequest
    fill_mg: float
    min_capsule_mg: float
    made_units: int
    beyond_use_days: float

    @property
    def api_fraction(self) -> float:
        return self.req.dose_mg / self.fill_mg

    def lines(self) -> list[SpecLine]:
        return [
            _line(
                "Capsule",
                f"Size #3 (≈{self.fill_mg:g} mg fill): API ≈{self.api_fraction:.2%} of the fill; quantity "
                f"{self.req.days} capsules.",
                "fillers_swidan",
            ),
            _line(
                "Filler",
                "Inert filler: microcrystalline cellulose (Avicel), or lactose or sucrose. "
                "AVOID calcium carbonate (reported to reduce absorption). No head-to-head "
                "filler trial exists (expert consensus).",
                "fillers_swidan", "fillers_compounder", "no_filler_trial",
            ),
            _line(
                "Storage",
                "Room temperature, dry; capsules keep longer than the refrigerated liquid.",
                "capsules_canada",
            ),
        ]

    def warnings(self) -> list[str]:
        if self.req.dose_mg < self.min_capsule_mg:
            return [
                f"{self.req.dose_mg:g} mg per capsule is below {self.min_capsule_mg:g} mg: content "
                "uniformity is hard to assure — prefer an oral liquid dilution (`--form liquid`)."
            ]
        return []

    def summary(self) -> dict[str, Any]:
        return {"size": "#3", "fill_mg": self.fill_mg, "api_fraction": self.api_fraction,
                "count": self.req.days}

    def worksheet(self) -> dict[str, Any]:
        dose, fill, made, days = self.req.dose_mg, self.fill_mg, self.made_units, self.req.days
        bud = self.beyond_use_days
        return {
            "form": "capsule",
            "dispensed_units": days,
            "made_units": made,
            "overage_fraction": (made - days) / days,
            "api_mass_mg": round(dose * made, 4),
            "filler_mass_mg": round((fill - dose) * made, 1),
            "filler": "microcrystalline cellulose (no calcium carbonate)",
            "capsule_fill_mg": fill,
            "beyond_use_days": bud,
            "beyond_use_source": _src("usp_795"),
            "steps": [
                f"Weigh {dose * made:.4g} mg naltrexone HCl and {(fill - dose) * made:.4g} mg "
                "microcrystalline cellulose.",
                "Mix by geometric dilution until uniform.",
                f"Fill {made} size #3 capsules at {fill:g} mg each; dispense {days}; keep "
                f"{made - days} for the content-uniformity check.",
                f"Label: beyond-use date {bud:g} days from compounding (USP <795>, nonaqueous), or the "
                "earliest component expiry if sooner.",
            ],
        }


def capsule_prep(req: CompoundRequest) -> CapsulePrep:
    over = _param("overage_capsules")
    return CapsulePrep(
        req=req,
        fill_mg=_param("capsule_fill_size3"),
        min_capsule_mg=_param("min_capsule_dose"),
        made_units=max(req.days + 1, math.ceil(req.days * (1.0 + over))),
        beyond_use_days=_param("bud_nonaqueous_solid"),
    )


@dataclass(frozen=True)
class LiquidPrep:
    """Stage 2 (liquid): strength (mg/mL), volumes (mL), beyond-use days and the serial dilutions."""

    req: CompoundRequest
    concentration: float
    solubility_limit: float
    min_dose_volume_ml: float
    bud_expert_days: float
    beyond_use_days: float
    days_covered: int
    overage: float
    dilution_steps: tuple[dict[str, float], ...]
    min_prepared_ml: float

    @property
    def volume_ml(self) -> float:
        return self.req.dose_mg / self.concentration

    @property
    def total_ml(self) -> float:
        return self.volume_ml * self.days_covered

    @property
    def made_ml(self) -> float:
        return self.total_ml * (1.0 + self.overage)

    @property
    def dilution_text(self) -> list[str]:
        return _dilution_text(list(self.dilution_steps))

    @property
    def stock_ml(self) -> float:
        chain = self.dilution_steps
        return max(chain[0]["take_ml"], self.min_prepared_ml) if chain else self.made_ml

    @property
    def stock_conc(self) -> float:
        return 1.0 if self.dilution_steps else self.concentration

    def warnings(self) -> list[str]:
        vol, vmin, out = self.volume_ml, self.min_dose_volume_ml, []
        if vol < vmin:
            out.append(
                f"{vol:.3g} mL per dose is below {vmin:g} mL: use a weaker dilution "
                f"(e.g. {nice_concentration(self.req.dose_mg, vmin / 5):g} mg/mL)."
            )
        if vol > 20:
            out.append(f"{vol:.3g} mL per dose is large: a stronger concentration is easier to take.")
        return out

    def lines(self) -> list[SpecLine]:
        bud, days = self.beyond_use_days, self.req.days
        out = [
            _line(
                "Vehicle and strength",
                f"Naltrexone HCl {self.concentration:g} mg/mL in purified water (below the "
                f"≈{self.solubility_limit:g} mg/mL solubility); {self.volume_ml:.3g} mL per dose.",
                "liquid_stability", "solubility",
            ),
            SpecLine(
                "Quantity",
                f"{self.total_ml:.3g} mL for {min(days, int(bud))} days"
                + (f" (supply limited by the {bud:g}-day beyond-use date)" if days > bud else ""),
            ),
            _line(
                "Storage / beyond-use",
                f"Refrigerate; beyond-use date {bud:g} days (USP <795> default for a nonpreserved "
                f"aqueous preparation; the {self.bud_expert_days:g}-day expert statement is not a stability "
                "study).",
                "usp_795", "liquid_stability",
            ),
            SpecLine("Measuring", "Supply a 1 mL oral syringe graduated in 0.01 mL; shake before use."),
        ]
        dil = self.dilution_text
        if dil:
            out.append(_line("Serial dilution (microgram doses)", " ; ".join(dil), "dose_bands"))
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "concentration_mg_per_ml": self.concentration,
            "volume_per_dose_ml": round(self.volume_ml, 3),
            "total_volume_ml": round(self.total_ml, 2),
            "beyond_use_days": self.beyond_use_days,
            "dilution_plan": self.dilution_text,
        }

    def worksheet(self) -> dict[str, Any]:
        total, made, vol, bud = self.total_ml, self.made_ml, self.volume_ml, self.beyond_use_days
        stock_conc, stock_ml = self.stock_conc, self.stock_ml
        return {
            "form": "liquid",
            "days_covered": self.days_covered,
            "dispensed_volume_ml": round(total, 2),
            "made_volume_ml": round(made, 2),
            "overage_fraction": self.overage,
            "stock_concentration_mg_per_ml": stock_conc,
            "stock_volume_ml": round(stock_ml, 2),
            "api_mass_mg": round(stock_conc * stock_ml, 4),
            "dilution_steps": list(self.dilution_steps),
            "beyond_use_days": bud,
            "beyond_use_source": _src("usp_795"),
            "steps": [
                f"Weigh {stock_conc * stock_ml:.4g} mg naltrexone HCl; dissolve in purified water to "
                f"{stock_ml:.3g} mL ({stock_conc:g} mg/mL).",
                *self.dilution_text,
                f"Dispense {total:.3g} mL ({self.days_covered} days at {vol:.3g} mL per dose); "
                f"{made - total:.2g} mL "
                "overage covers losses.",
                f"Label: refrigerate; beyond-use date {bud:g} days from compounding (USP <795>); shake well.",
            ],
        }


def liquid_prep(req: CompoundRequest) -> LiquidPrep:
    """Stage 2 (liquid): the strength (given, or the default unless too little volume), BUD, dilutions."""
    lim = _param("solubility_limit")
    vmin = _param("min_dose_volume")
    if req.concentration is not None:
        conc = parse_concentration(req.concentration, "concentration", lo=0.0, hi=lim)
    else:
        default = _param("liquid_default_concentration")
        conc = default if req.dose_mg / default >= vmin else nice_concentration(req.dose_mg, vmin / 5)
    bud_expert = _param("liquid_bud")
    bud = min(bud_expert, _param("bud_aqueous_nonpreserved"))
    covered = min(req.days, int(bud))
    over = _param("overage_liquid")
    made_ml = req.dose_mg / conc * covered * (1.0 + over)
    min_ml = _param("min_prepared_volume")
    chain = _dilution_chain(conc, made_ml, min_ml=min_ml) if conc < 1.0 else []
    return LiquidPrep(
        req=req,
        concentration=conc,
        solubility_limit=lim,
        min_dose_volume_ml=vmin,
        bud_expert_days=bud_expert,
        beyond_use_days=bud,
        days_covered=covered,
        overage=over,
        dilution_steps=tuple(chain),
        min_prepared_ml=min_ml,
    )


@dataclass(frozen=True)
class TopicalPrep:
    """Stage 2 (topical): wording only — no PK data, oral-equivalent dose unknown."""

    req: CompoundRequest

    def lines(self) -> list[SpecLine]:
        return [
            _line(
                "Topical",
                "Topical cream is in use but evidence is low-authority only; absorption and "
                "dose equivalence to oral LDN are unknown — ldnsim's oral PK model does not "
                "apply. Specify base, strength per mL and metered dispenser.",
                "topical_forms",
            )
        ]

    def warnings(self) -> list[str]:
        return ["Topical LDN: no PK data; oral-equivalent dose unknown."]

    def summary(self) -> dict[str, Any]:
        return {"per_dose_mg": self.req.dose_mg}


@dataclass(frozen=True)
class CompoundSpec:
    """Stage 3: the request and its form's preparation; :meth:`to_dict` is the ``--json`` document."""

    req: CompoundRequest
    prep: CapsulePrep | LiquidPrep | TopicalPrep

    @property
    def specification(self) -> list[SpecLine]:
        return self.req.common_lines() + self.prep.lines()

    @property
    def warnings(self) -> list[str]:
        return self.prep.warnings() + self.req.dose_warnings()

    def to_dict(self) -> dict[str, Any]:
        r = self.req
        out: dict[str, Any] = {"dose_mg": r.dose_mg, "form": r.form, "band": r.band, "days_supply": r.days}
        out[r.form] = self.prep.summary()
        if not isinstance(self.prep, TopicalPrep):
            out["worksheet"] = self.prep.worksheet()
        out.update({"specification": [ln.to_dict() for ln in self.specification], "warnings": self.warnings,
                    "disclaimer": DISCLAIMER})
        return out


def compound_plan(dose: str | float, form: str, *, concentration: str | None = None, days: int = 30
                  ) -> CompoundSpec:
    """The typed specification: the request checked, then the stage for its form."""
    req = read_request(dose, form, concentration=concentration, days=days)
    prep: CapsulePrep | LiquidPrep | TopicalPrep
    if req.form == "capsule":
        prep = capsule_prep(req)
    elif req.form == "liquid":
        prep = liquid_prep(req)
    else:
        prep = TopicalPrep(req)
    return CompoundSpec(req, prep)


def compound_spec(
    dose: str | float, form: str, *, concentration: str | None = None, days: int = 30
) -> dict[str, Any]:
    """The specification document. ``dose`` is naltrexone HCl per daily dose ("4.5 mg", "250 mcg")."""
    return compound_plan(dose, form, concentration=concentration, days=days).to_dict()
def spec_text(doc: dict[str, Any]) -> str:
    lines = [
        f"COMPOUNDING SPECIFICATION — naltrexone HCl {doc['dose_mg']:g} mg, {doc['form']} ({doc['band']})",
        "=" * 78,
    ]
    for ln in doc["specification"]:
        lines.append(f"{ln['item']}: {ln['text']}")
        for s in ln["sources"]:
            lines.append(f"    [{s['grade']}] {s['cite']} <{s['url']}>")
    ws = doc.get("worksheet")
    if ws:
        lines += ["", "BATCH WORKSHEET", "-" * 78]
        lines += [f"  {i}. {step}" for i, step in enumerate(ws["steps"], 1)]
        lines.append(f"  API total: {ws['api_mass_mg']:g} mg naltrexone HCl"
                     + (f"; filler total: {ws['filler_mass_mg']:g} mg" if "filler_mass_mg" in ws else ""))
        for s_ in ws["beyond_use_source"]:
            lines.append(f"    BUD source: [{s_['grade']}] {s_['cite']} <{s_['url']}>")
        lines += ["  Prepared by: ________  Checked by: ________  Date: ________  Lot: ________"]
    for w in doc["warnings"]:
        lines.append(f"WARNING: {w}")
    lines.append(DISCLAIMER)
    return "\n".join(lines)
