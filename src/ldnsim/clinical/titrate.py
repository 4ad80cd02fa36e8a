"""LDN titration schedules (``ldnsim titrate``) from the presets in ``titration.yaml``.

A dated schedule of once-daily doses (and millilitres for a liquid), each step with the dose to fall back to,
plus the side-effect rules (insomnia/vivid dreams → wait, morning dosing, then one level back; worse
symptoms after a step → previous dose) and the monitoring cautions.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ..data import load_yaml, value_of
from ..errors import InputError, UnknownNameError
from ..units import parse_concentration, parse_duration, parse_mass
from .monitoring import cautions_for
from .rules import DISCLAIMER

__all__ = ["plan_titration", "presets", "DEFAULT_PRESET", "nice_concentration"]

DEFAULT_PRESET = "ldnrt-standard"
_NICE_CONC = (5.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05, 0.01)


def presets() -> dict:
    return load_yaml("clinical/titration.yaml")["presets"]


def _prov(entry: dict) -> dict:
    if entry.get("assumed"):
        return {"assumed": True, "reason": " ".join(str(entry["reason"]).split())}
    return {"sources": [{"cite": s["cite"], "url": s["url"]} for s in entry.get("source") or []]}


def _parse_date(text: str | None) -> date:
    if text is None or str(text).strip() == "":
        return date.today()
    s = str(text).strip()
    try:
        d = datetime.fromisoformat(s).date() if "T" in s else date.fromisoformat(s)
    except ValueError:
        raise InputError(
            "start_date", "cannot be parsed as an ISO 8601 date", value=text, accepted="e.g. 2026-12-01"
        ) from None
    from ..units import check_date

    return check_date(d, "start_date")


def nice_concentration(smallest_dose_mg: float, min_volume_ml: float) -> float:
    """Strongest usual dilution at which ``smallest_dose_mg`` is at least 5× the minimum volume."""
    for c in _NICE_CONC:
        if smallest_dose_mg / c >= 5 * min_volume_ml:
            return c
    return _NICE_CONC[-1]


def plan_titration(
    preset: str | None = None,
    *,
    start: str | None = None,
    step: str | None = None,
    every: str | None = None,
    target: str | None = None,
    form: str | None = None,
    concentration: str | None = None,
    start_date: str | None = None,
    meds: list[str] | None = None,
    hepatic: str | None = None,
    egfr: float | None = None,
    pregnant: bool = False,
    breastfeeding: bool = False,
) -> dict[str, Any]:
    doc = load_yaml("clinical/titration.yaml")
    name = preset or DEFAULT_PRESET
    if name not in doc["presets"]:
        raise UnknownNameError("preset", name, doc["presets"])
    p = doc["presets"][name]
    ldn_max = float(value_of(doc["limits"]["ldn_max"]))
    min_vol = float(value_of(doc["limits"]["min_measurable_volume"]))

    prov = {k: _prov(p[k]) for k in ("start", "step", "every", "target")}
    start_mg = float(value_of(p["start"]))
    step_mg = float(value_of(p["step"]))
    every_d = float(value_of(p["every"]))
    target_mg = float(value_of(p["target"]))
    if start is not None:
        start_mg = parse_mass(start, "start", default_unit="mg", lo=0.0, hi=ldn_max)
        prov["start"] = {"user": True}
    if step is not None:
        step_mg = parse_mass(step, "step", default_unit="mg", lo=0.0, hi=ldn_max)
        prov["step"] = {"user": True}
    if every is not None:
        every_d = parse_duration(every, "every", default_unit="d", lo=0.0, hi=24.0 * 365) / 24.0
        if every_d < 1.0:
            raise InputError(
                "every", "must be at least 1 day", accepted="e.g. '7 days', '2 weeks'", value=every
            )
        prov["every"] = {"user": True}
    if target is not None:
        target_mg = parse_mass(target, "target", default_unit="mg", lo=0.0, hi=ldn_max)
        prov["target"] = {"user": True}
    if start_mg > target_mg:
        raise InputError("start", f"is above the target ({target_mg:g} mg)", value=f"{start_mg:g} mg")
    form = (form or p.get("form") or "capsule").lower()
    if form not in ("capsule", "liquid"):
        raise InputError("form", "unknown form", accepted="capsule|liquid", value=form)
    conc = None
    notes: list[str] = []
    if form == "liquid":
        if concentration is not None:
            conc = parse_concentration(concentration, "concentration", lo=0.0, hi=100.0)
        elif "concentration" in p:
            conc = float(value_of(p["concentration"]))
        else:
            conc = 1.0
            notes.append(
                "Liquid concentration not given: 1 mg/mL assumed (the common strength, The Compounder [E])."
            )
    elif concentration is not None:
        raise InputError("concentration", "only applies to --form liquid", value=concentration)

    start_day = _parse_date(start_date)
    doses: list[float] = []
    d = start_mg
    while True:
        d = round(min(d, target_mg), 4)
        doses.append(d)
        if d >= target_mg - 1e-9:
            break
        d += step_mg
        if len(doses) > 200:
            raise InputError("step", "too small: more than 200 steps to the target", value=f"{step_mg:g} mg")
    schedule = []
    for i, dose in enumerate(doses):
        first = start_day + timedelta(days=round(i * every_d))
        last = start_day + timedelta(days=round((i + 1) * every_d) - 1) if i + 1 < len(doses) else None
        row: dict[str, Any] = {
            "step": i + 1,
            "from": first.isoformat(),
            "to": last.isoformat() if last else None,
            "dose_mg": dose,
            "if_problems_go_back_to_mg": doses[i - 1] if i > 0 else round(dose / 2, 4),
        }
        if form == "liquid":
            row["volume_ml"] = round(dose / conc, 2)
        else:
            row["capsule_strength_mg"] = dose
        schedule.append(row)
    if form == "liquid":
        vmin = min(r["volume_ml"] for r in schedule)
        if vmin < min_vol:
            better = nice_concentration(min(doses), min_vol)
            notes.append(
                f"Smallest volume {vmin:g} mL is below {min_vol:g} mL and hard to measure: use a weaker "
                f"dilution, e.g. {better:g} mg/mL."
            )
        if max(r["volume_ml"] for r in schedule) > 10:
            notes.append("Volumes above 10 mL: a stronger liquid (e.g. 1 mg/mL) is easier to take.")
    else:
        notes.append(
            "Capsules: each step needs its own compounded strength (immediate release only; see "
            "`ldnsim compound`); a liquid allows steps without new capsules."
        )
    if target_mg > 4.5 and name != "final-rct":
        notes.append("Target above 4.5 mg: FINAL trial used 6 mg; ED95 5.4 mg in a dose-finding study [P].")
    g = doc["general"]
    screen_doc = None
    if meds:
        from .screen import screen

        screen_doc = screen(meds)
        if screen_doc["highest_severity"] == "critical":
            crit = [m["input"] for m in screen_doc["medications"] if m["severity"] == "critical"]
            notes.insert(
                0,
                f"DO NOT START: {', '.join(crit)} conflicts with LDN (critical) — opioid-free interval "
                "first (`ldnsim restart`).",
            )
    side = [
        {
            "id": k,
            "trigger": v["trigger"],
            "actions": v["actions"],
            "evidence": v["evidence"],
            "sources": v["sources"],
        }
        for k, v in doc["side_effects"].items()
    ]
    if screen_doc is not None:
        unresolved = [m["input"] for m in screen_doc["medications"] if m["severity"] == "unknown"]
        if unresolved:
            notes.insert(
                0,
                f"UNRESOLVED: {', '.join(unresolved)} could not be identified — identify the medicine(s) "
                "before starting (an unrecognised entry may be an opioid).",
            )
    custom = [k for k, v in prov.items() if isinstance(v, dict) and v.get("user")]
    if custom:
        # a schedule the user changed is not the preset: never titled (or graded) as the published one
        title = (
            f"Custom titration: {start_mg:g} mg, +{step_mg:g} mg every {every_d:g} days to {target_mg:g} mg "
            f"(changed from preset '{name}': {', '.join(custom)})"
        )
        evidence = f"custom (preset {p['grade']} for the unchanged parts)"
    else:
        title, evidence = p["title"], p["grade"]
    return {
        "preset": name,
        "custom": custom,
        "title": title,
        "evidence": evidence,
        "parameters": {
            "start_mg": start_mg,
            "step_mg": step_mg,
            "every_days": every_d,
            "target_mg": target_mg,
            "form": form,
            "concentration_mg_per_ml": conc,
        },
        "provenance": prov,
        "schedule": schedule,
        "target_reached_on": schedule[-1]["from"],
        "weeks_to_target": round((len(doses) - 1) * every_d / 7.0, 1),
        "timing": g["timing"],
        "missed_dose": " ".join(g["missed_dose"].split()),
        "time_to_effect": " ".join(g["time_to_effect"].split()),
        "dose_finding": " ".join(g["no_single_dose"].split()),
        "side_effect_rules": side,
        "cautions": cautions_for(
            screen_doc, hepatic=hepatic, egfr=egfr, pregnant=pregnant, breastfeeding=breastfeeding
        ),
        "screen": screen_doc,
        "notes": notes,
        "disclaimer": DISCLAIMER,
    }


def schedule_text(doc: dict) -> str:
    """Printable form of a titration document."""
    pr = doc["parameters"]
    lines = [
        f"LDN titration — {doc['title']} [{doc['evidence']}]",
        f"start {pr['start_mg']:g} mg, +{pr['step_mg']:g} mg every {pr['every_days']:g} days, target "
        f"{pr['target_mg']:g} mg; form {pr['form']}"
        + (f" {pr['concentration_mg_per_ml']:g} mg/mL" if pr["concentration_mg_per_ml"] else ""),
        "",
    ]
    for r in doc["schedule"]:
        amount = (
            f"{r['volume_ml']:g} mL" if "volume_ml" in r else f"1 capsule of {r['capsule_strength_mg']:g} mg"
        )
        until = f"to {r['to']}" if r["to"] else "onwards (maintenance)"
        lines.append(
            f"  step {r['step']:>2}: {r['from']} {until:<24} {r['dose_mg']:>6g} mg  = {amount}"
            f"   (if problems: {r['if_problems_go_back_to_mg']:g} mg)"
        )
    lines += [
        "",
        f"Timing: {doc['timing']}",
        f"Missed dose: {doc['missed_dose']}",
        f"Time to effect: {doc['time_to_effect']}",
        f"Dose: {doc['dose_finding']}",
        "",
        "Side effects:",
    ]
    for s in doc["side_effect_rules"]:
        lines.append(f"  {s['trigger']} [{s['evidence']}]: " + " → ".join(s["actions"]))
        lines.append("    sources: " + "; ".join(f"{x['cite']} <{x['url']}>" for x in s["sources"]))
    if doc["cautions"]:
        lines.append("Cautions:")
        lines += [f"  [{c['severity']}] {c['summary']} ({c['evidence']})" for c in doc["cautions"]]
    lines += [f"Note: {n}" for n in doc["notes"]]
    lines += [DISCLAIMER]
    return "\n".join(lines)
