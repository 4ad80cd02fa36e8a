"""Compounding specification for LDN (``ldnsim compound``): what the compounding pharmacy must be told.

Immediate release only (never SR), filler guidance (inert filler; no calcium carbonate), capsule fill,
liquid concentration with a serial-dilution plan for microgram doses, storage and beyond-use date, and a
topical note. Every statement carries its source and grade (``compounding.yaml``).
"""

from __future__ import annotations

import math
from typing import Any

from ..data import load_yaml, value_of
from ..errors import InputError
from ..units import parse_concentration, parse_mass
from .rules import DISCLAIMER
from .titrate import nice_concentration

__all__ = ["compound_spec", "spec_text", "FORMS"]

FORMS = ("capsule", "liquid", "topical")
_MODIFIED_RELEASE = {"sr", "er", "xr", "xl", "cr", "slow-release", "sustained-release", "extended-release",
                     "modified-release"}


def _src(doc: dict, *ids: str) -> list[dict]:
    return [{"id": i, **doc["sources"][i]} for i in ids]


def _dilution_plan(target_conc: float, stock: float = 1.0) -> list[str]:
    """Serial 1:10 dilutions from a 1 mg/mL stock down to ``target_conc`` (mg/mL)."""
    steps = []
    c = stock
    while c / 10 >= target_conc * 0.999:
        steps.append(f"1 mL of {c:g} mg/mL + 9 mL purified water → 10 mL of {c / 10:g} mg/mL")
        c /= 10
    if not math.isclose(c, target_conc, rel_tol=1e-6):
        factor = c / target_conc
        steps.append(f"1 part of {c:g} mg/mL + {factor - 1:g} parts purified water → {target_conc:g} mg/mL")
    return steps


def compound_spec(
    dose: str | float, form: str, *, concentration: str | None = None, days: int = 30
) -> dict[str, Any]:
    """The specification document. ``dose`` is naltrexone HCl per daily dose ("4.5 mg", "250 mcg")."""
    doc = load_yaml("clinical/compounding.yaml")
    prm = doc["parameters"]
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
    if not (1 <= int(days) <= 180):
        raise InputError("days", "out of range", accepted="1-180 days of supply", value=days)
    band = "LDN" if dose_mg >= 1.0 else ("VLDN" if dose_mg >= 1e-3 else "ULDN")
    base = dose_mg * float(value_of(prm["base_per_hcl"]))
    lines: list[dict] = [
        {
            "item": "Active ingredient",
            "text": f"Naltrexone hydrochloride {dose_mg:g} mg per dose "
            f"(≈{base:.3g} mg naltrexone base); dose band {band}.",
            "sources": _src(doc, "dose_bands"),
        },
        {
            "item": "Release",
            "text": "IMMEDIATE RELEASE ONLY. Do NOT prepare as SR, slow-release, timed-release or "
            "any modified-release form.",
            "sources": _src(doc, "ir_only"),
        },
    ]
    warnings: list[str] = []
    out: dict[str, Any] = {"dose_mg": dose_mg, "form": form, "band": band, "days_supply": int(days)}
    min_caps = float(value_of(prm["min_capsule_dose"]))
    if form == "capsule":
        fill = float(value_of(prm["capsule_fill_size3"]))
        frac = dose_mg / fill
        if dose_mg < min_caps:
            warnings.append(
                f"{dose_mg:g} mg per capsule is below {min_caps:g} mg: content uniformity is hard to "
                "assure — prefer an oral liquid dilution (`--form liquid`)."
            )
        lines += [
            {
                "item": "Capsule",
                "text": f"Size #3 (≈{fill:g} mg fill): API ≈{frac:.2%} of the fill; quantity "
                f"{int(days)} capsules.",
                "sources": _src(doc, "fillers_swidan"),
            },
            {
                "item": "Filler",
                "text": "Inert filler: microcrystalline cellulose (Avicel), or lactose or sucrose. "
                "AVOID calcium carbonate (reported to reduce absorption). No head-to-head "
                "filler trial exists (expert consensus).",
                "sources": _src(doc, "fillers_swidan", "fillers_compounder", "no_filler_trial"),
            },
            {
                "item": "Storage",
                "text": "Room temperature, dry; capsules keep longer than the refrigerated liquid.",
                "sources": _src(doc, "capsules_canada"),
            },
        ]
        out["capsule"] = {"size": "#3", "fill_mg": fill, "api_fraction": frac, "count": int(days)}
    elif form == "liquid":
        lim = float(value_of(prm["solubility_limit"]))
        vmin = float(value_of(prm["min_dose_volume"]))
        if concentration is not None:
            conc = parse_concentration(concentration, "concentration", lo=0.0, hi=lim)
        else:
            default = float(value_of(prm["liquid_default_concentration"]))
            conc = default if dose_mg / default >= vmin else nice_concentration(dose_mg, vmin / 5)
        vol = dose_mg / conc
        if vol < vmin:
            warnings.append(
                f"{vol:.3g} mL per dose is below {vmin:g} mL: use a weaker dilution "
                f"(e.g. {nice_concentration(dose_mg, vmin / 5):g} mg/mL)."
            )
        if vol > 20:
            warnings.append(f"{vol:.3g} mL per dose is large: a stronger concentration is easier to take.")
        bud = float(value_of(prm["liquid_bud"]))
        total = vol * min(int(days), int(bud))
        dil = _dilution_plan(conc) if conc < 1.0 else []
        lines += [
            {
                "item": "Vehicle and strength",
                "text": f"Naltrexone HCl {conc:g} mg/mL in purified water (below the "
                f"≈{lim:g} mg/mL solubility); {vol:.3g} mL per dose.",
                "sources": _src(doc, "liquid_stability", "solubility"),
            },
            {
                "item": "Quantity",
                "text": f"{total:.3g} mL for {min(int(days), int(bud))} days"
                + (f" (supply limited by the {bud:g}-day beyond-use date)" if days > bud else ""),
                "sources": [],
            },
            {
                "item": "Storage / beyond-use",
                "text": f"Refrigerate; beyond-use date {bud:g} days (expert statement; "
                "no published stability study — UNVERIFIED).",
                "sources": _src(doc, "liquid_stability"),
            },
            {
                "item": "Measuring",
                "text": "Supply a 1 mL oral syringe graduated in 0.01 mL; shake before use.",
                "sources": [],
            },
        ]
        if dil:
            lines.append(
                {
                    "item": "Serial dilution (microgram doses)",
                    "text": " ; ".join(dil),
                    "sources": _src(doc, "dose_bands"),
                }
            )
        out["liquid"] = {
            "concentration_mg_per_ml": conc,
            "volume_per_dose_ml": round(vol, 3),
            "total_volume_ml": round(total, 2),
            "beyond_use_days": bud,
            "dilution_plan": dil,
        }
    else:
        lines += [
            {
                "item": "Topical",
                "text": "Topical cream is in use but evidence is low-authority only; absorption and "
                "dose equivalence to oral LDN are unknown — ldnsim's oral PK model does not "
                "apply. Specify base, strength per mL and metered dispenser.",
                "sources": _src(doc, "topical_forms"),
            },
        ]
        warnings.append("Topical LDN: no PK data; oral-equivalent dose unknown.")
        out["topical"] = {"per_dose_mg": dose_mg}
    if band != "LDN":
        warnings.append(
            f"{band} dose: microgram naltrexone regimens are research regimens with no dosing guidance "
            "beyond the dose bands; they are not a way around an opioid-free interval."
        )
    if dose_mg > 10:
        warnings.append(f"{dose_mg:g} mg is above the LDN range (≤10 mg); check the prescription.")
    out.update({"specification": lines, "warnings": warnings, "disclaimer": DISCLAIMER})
    return out


def spec_text(doc: dict) -> str:
    lines = [
        f"COMPOUNDING SPECIFICATION — naltrexone HCl {doc['dose_mg']:g} mg, {doc['form']} ({doc['band']})",
        "=" * 78,
    ]
    for ln in doc["specification"]:
        lines.append(f"{ln['item']}: {ln['text']}")
        for s in ln["sources"]:
            lines.append(f"    [{s['grade']}] {s['cite']} <{s['url']}>")
    for w in doc["warnings"]:
        lines.append(f"WARNING: {w}")
    lines.append(DISCLAIMER)
    return "\n".join(lines)
