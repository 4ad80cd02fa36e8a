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
    if concentration is not None and form != "liquid":  # as titrate: never silently ignored
        raise InputError("concentration", "only applies to --form liquid", value=concentration)
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
        over = float(value_of(prm["overage_capsules"]))
        made = max(int(days) + 1, math.ceil(int(days) * (1.0 + over)))
        bud_solid = float(value_of(prm["bud_nonaqueous_solid"]))
        out["worksheet"] = {
            "form": "capsule",
            "dispensed_units": int(days),
            "made_units": made,
            "overage_fraction": (made - int(days)) / int(days),
            "api_mass_mg": round(dose_mg * made, 4),
            "filler_mass_mg": round((fill - dose_mg) * made, 1),
            "filler": "microcrystalline cellulose (no calcium carbonate)",
            "capsule_fill_mg": fill,
            "beyond_use_days": bud_solid,
            "beyond_use_source": _src(doc, "usp_795"),
            "steps": [
                f"Weigh {dose_mg * made:.4g} mg naltrexone HCl and {(fill - dose_mg) * made:.4g} mg "
                "microcrystalline cellulose.",
                "Mix by geometric dilution until uniform.",
                f"Fill {made} size #3 capsules at {fill:g} mg each; dispense {int(days)}; keep "
                f"{made - int(days)} for the content-uniformity check.",
                f"Label: beyond-use date {bud_solid:g} days from compounding (USP <795>, nonaqueous), or the "
                "earliest component expiry if sooner.",
            ],
        }
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
        bud_expert = float(value_of(prm["liquid_bud"]))
        bud = min(bud_expert, float(value_of(prm["bud_aqueous_nonpreserved"])))
        covered = min(int(days), int(bud))
        total = vol * covered
        over = float(value_of(prm["overage_liquid"]))
        made_ml = total * (1.0 + over)
        min_ml = float(value_of(prm["min_prepared_volume"]))
        chain = _dilution_chain(conc, made_ml, min_ml=min_ml) if conc < 1.0 else []
        dil = _dilution_text(chain)
        stock_ml = chain[0]["take_ml"] if chain else made_ml
        stock_ml = max(stock_ml, float(value_of(prm["min_prepared_volume"]))) if chain else made_ml
        stock_conc = 1.0 if chain else conc
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
                "text": f"Refrigerate; beyond-use date {bud:g} days (USP <795> default for a nonpreserved "
                f"aqueous preparation; the {bud_expert:g}-day expert statement is not a stability study).",
                "sources": _src(doc, "usp_795", "liquid_stability"),
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
        out["worksheet"] = {
            "form": "liquid",
            "days_covered": covered,
            "dispensed_volume_ml": round(total, 2),
            "made_volume_ml": round(made_ml, 2),
            "overage_fraction": over,
            "stock_concentration_mg_per_ml": stock_conc,
            "stock_volume_ml": round(stock_ml, 2),
            "api_mass_mg": round(stock_conc * stock_ml, 4),
            "dilution_steps": chain,
            "beyond_use_days": bud,
            "beyond_use_source": _src(doc, "usp_795"),
            "steps": [
                f"Weigh {stock_conc * stock_ml:.4g} mg naltrexone HCl; dissolve in purified water to "
                f"{stock_ml:.3g} mL ({stock_conc:g} mg/mL).",
                *dil,
                f"Dispense {total:.3g} mL ({covered} days at {vol:.3g} mL per dose); "
                f"{made_ml - total:.2g} mL "
                "overage covers losses.",
                f"Label: refrigerate; beyond-use date {bud:g} days from compounding (USP <795>); shake well.",
            ],
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
