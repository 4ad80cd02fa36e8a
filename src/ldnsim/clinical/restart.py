"""Earliest (re)start of LDN after opioids (``ldnsim restart``).

Label rule (``washout.yaml`` ``restart_label``; the conservative end of each range is used): short-acting
7–10 opioid-free days; methadone and buprenorphine 10–14; long-acting oral and patches 10–14 (extrapolated,
marked assumed; patches counted from removal). Model: the opioid regimen simulated through the PK and
receptor layers for a seeded virtual population; the time after the last dose at which the 95th percentile
of μ-agonist occupancy falls below the threshold (5%, or 3% of its peak after the last dose where that is
lower — a 97% washout). The recommendation is the later of the two, so it is
never earlier than the label rule. Ultra-low-dose naltrexone is not a way around the interval.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np

from ..data import load_yaml, value_of
from ..errors import InputError
from ._model import ModelUnavailable, population_occupancy, time_below
from .formulation import Cue, pk_formulation
from .hold import _iso
from .patient import Patient, patient
from .rules import DISCLAIMER
from .screen import screen_medication
from .screened import Finding, ScreenedMedication
from .when import date_warnings, day_text, first_dose_at_clock, parse_clock, parse_time, when_text

__all__ = [
    "plan_restart",
    "restart_plan",
    "parse_interval_h",
    "label_category",
    "OpioidRead",
    "RestartModel",
    "RestartPlan",
    "read_opioid",
    "model_stage",
    "decide",
]

_FREQ = [
    (r"\bq\s*(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hours?)\b", None),
    (r"\bevery\s+(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hours?)\b", None),
    (r"\b(?:qid|qds|4\s*times\s*(?:a|per)\s*day)\b", 6.0),
    (r"\b(?:tid|tds|3\s*times\s*(?:a|per)\s*day|three\s*times\s*(?:a|per)\s*day)\b", 8.0),
    (r"\b(?:bid|bd|twice\s*(?:a\s*)?daily|twice\s*a\s*day|q12h)\b", 12.0),
    (r"\b(?:daily|qd|od|once\s*(?:a\s*)?daily|nightly|qhs|q24h|every\s*day)\b", 24.0),
    (r"\b(?:weekly|every\s*7\s*days)\b", 168.0),
]
_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*(mcg|µg|ug|micrograms?)\s*/\s*(h|hr|hour)\b", re.I)


def parse_interval_h(text: str, acting: str) -> tuple[float, bool]:
    """Dosing interval in hours from a sig; (interval, given?). Without a frequency, the conservative default
    of ``washout.yaml`` ``restart_model.default_interval_{short,long,patch}_h`` (short 4 h, long 12 h,
    patch 72 h; an unknown kind as short-acting, the shortest interval)."""
    for pat, fixed in _FREQ:
        m = re.search(pat, text, re.I)
        if m:
            return (float(m.group(1)) if fixed is None else fixed), True
    kind = acting if acting in ("short", "long", "patch") else "short"
    defaults = load_yaml("clinical/washout.yaml")["restart_model"]
    return float(value_of(defaults[f"default_interval_{kind}_h"])), False


def label_category(rule: str, acting: str) -> str:
    if rule == "methadone":
        return "methadone"
    if rule == "buprenorphine":
        return "buprenorphine"
    if acting == "patch":
        return "patch"
    if acting == "long":
        return "long"
    return "short"


def _label_rows(w: dict, cat: str) -> dict:
    r = w["restart_label"][cat]
    prov = []
    for end in ("lo", "hi"):
        e = r[end]
        if e.get("assumed"):
            prov.append({"end": end, "assumed": True, "reason": " ".join(str(e["reason"]).split())})
        else:
            prov += [
                {"end": end, "cite": s["cite"], "url": s["url"], "grade": r["grade"]} for s in e["source"]
            ]
    return {
        "category": cat,
        "days_lo": float(value_of(r["lo"])),
        "days_hi": float(value_of(r["hi"])),
        "evidence": r["grade"],
        "provenance": prov,
    }


@dataclass(frozen=True)
class OpioidRead:
    """Stage 1: what the opioid text is (screen result, main finding, product form, label category)."""

    text: str
    screen: ScreenedMedication
    main: Finding
    critical: tuple[Finding, ...]
    cue: Cue
    category: str


@dataclass
class RestartModel:
    """Stage 3: the virtual-population time (h after the last dose) and its detail."""

    hours: float | None
    detail: dict[str, Any]
    pk: dict[str, Any] | None
    threshold_text: str


@dataclass
class RestartPlan:
    """Stage 4: the recommendation; :meth:`to_dict` is the ``--json`` document."""

    opioid: OpioidRead
    last_dose: datetime
    patient: Patient
    label: dict[str, Any]
    model: RestartModel
    recommendation: dict[str, Any]
    notes: list[str]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        scr = self.opioid.screen
        return {
            "opioid": self.opioid.text,
            "ingredients": scr.ingredients,
            "category": self.opioid.category,
            "formulation": {**self.opioid.cue.to_dict(), "pk": self.model.pk},
            "last_dose": _iso(self.last_dose),
            "last_dose_text": when_text(self.last_dose),
            "patient": self.patient.to_dict(),
            "recommendation": self.recommendation,
            "warnings": self.warnings,
            "label_rule": self.label,
            "model": self.model.detail,
            "screen": {
                "severity": scr.severity,
                "summary": scr.summary,
                "evidence": scr.evidence,
                "sources": scr.sources,
            },
            "notes": self.notes,
            "disclaimer": DISCLAIMER,
        }


def read_opioid(opioid: str) -> OpioidRead:
    """Screen the opioid text; InputError unless it is an opioid that conflicts with LDN."""
    if not isinstance(opioid, str) or not opioid.strip():
        raise InputError("opioid", "is required", accepted="an opioid as written, e.g. 'oxycodone 10 mg q6h'")
    scr = screen_medication(opioid)
    if scr.severity != "critical":
        raise InputError(
            "opioid",
            f"not recognised as an opioid that conflicts with LDN (screened as "
            f"{scr.severity}: {', '.join(scr.ingredients) or 'not recognised'})",
            value=opioid,
            accepted="an opioid, e.g. 'oxycodone 10 mg q6h', 'methadone 40 mg daily', 'Butrans 10 mcg/h'",
        )
    crit = tuple(f for f in scr.findings if f.severity == "critical")
    cue = Cue(**(scr.formulation_detail or {}))
    cat = label_category(crit[0].rule, scr.formulation or "short")
    return OpioidRead(opioid, scr, crit[0], crit, cue, cat)


def model_stage(
    op: OpioidRead,
    pt: Patient,
    *,
    course_days: float | None,
    seed: int | None,
    n_patients: int | None,
) -> RestartModel:
    """Simulate the opioid regimen in a seeded population; time until p95 μ-agonist occupancy washes out."""
    w = load_yaml("clinical/washout.yaml")
    mm = w["restart_model"]
    thr = float(value_of(mm["occupancy_threshold"]))
    rel = float(value_of(mm["relative_washout"]))
    thr_txt = f"{thr:.0%}"
    hm = w["hold_model"]
    pct = float(value_of(hm["percentile"]))
    n = int(n_patients or value_of(hm["n_patients"]))
    seed = int(value_of(hm["seed"]) if seed is None else seed)
    horizon = 2.0 * float(value_of(hm["horizon"]))  # opioids with long half-lives need a longer window
    days = float(course_days if course_days is not None else value_of(mm["days_on_opioid"]))
    if not (0 < days <= 3650):
        raise InputError("course_days", "out of range", accepted="> 0 and ≤ 3650 days", value=course_days)
    cue = op.cue
    interval, given = parse_interval_h(op.text, op.screen.formulation or "short")
    model: dict[str, Any] = {
        "threshold": thr,
        "percentile": pct,
        "n_patients": n,
        "seed": seed,
        "site": "mu_agonist",
        "ingredient": op.main.ingredient,
        "interval_h": interval,
        "interval_from_sig": given,
        "course_days": days,
        "assumption": " ".join(str(mm["occupancy_threshold"]["reason"]).split())
        + " "
        + " ".join(str(mm["relative_washout"]["reason"]).split()),
    }
    pk_info: dict[str, Any] | None = None
    model_h = None
    try:
        from ..pk import known_drugs, load_drug
        from ..regimen import DoseEvent

        drug = op.main.ingredient
        if drug not in set(known_drugs()):
            raise ModelUnavailable(f"no PK file for {drug!r} (known: {', '.join(sorted(known_drugs()))})")
        from .screen import _dose_mg

        rate = _RATE.search(op.text)
        duration = 0.0
        form, pk_info = pk_formulation(drug, cue, load_drug(drug).formulations)
        if form is None:
            raise ModelUnavailable(pk_info["why"])
        if form == "patch" and not rate:
            raise ModelUnavailable("no patch rate in the text (e.g. '25 mcg/h'); model not run")
        if pk_info["fallback"] and cue.kind != "ir":
            model["note"] = pk_info["why"]
        if form == "patch":
            assert rate is not None
            dose_mg: float | None = float(rate.group(1)) * 1e-3 * interval
            duration = interval
        else:
            dose_mg = _dose_mg(op.text, bare=False)
        if dose_mg is None or dose_mg <= 0:
            raise ModelUnavailable("no dose in the opioid text (e.g. 'oxycodone 10 mg q6h'); model not run")
        n_doses = max(1, int(days * 24.0 // interval))
        events = [
            DoseEvent(time_h=i * interval, drug=drug, dose_mg=dose_mg, formulation=form, duration_h=duration)
            for i in range(n_doses)
        ]
        t_end = events[-1].time_h + duration  # last dose (or patch removal)
        times = np.arange(t_end, t_end + horizon + 0.25, 0.25)
        model["formulation"] = form
        occ = population_occupancy(
            events, times, "mu_agonist", drugs=[drug], covariates=pt.covariates(), n=n, seed=seed
        )
        p = np.percentile(occ, pct, axis=0)
        # the lower of the absolute threshold and a 97% washout of the p95 peak after the last dose: with
        # receptor reserve clinical doses occupy a few percent of μ receptors, where 5% alone says nothing
        peak = float(np.max(p))
        if 0.0 < rel * peak < thr:
            thr = rel * peak
            thr_txt = f"{thr:.2g} ({rel:.0%} of the p{pct:g} peak {peak:.2g} after the last dose)"
        model["threshold"] = thr
        model["peak_occupancy_after_last_dose"] = peak
        below = time_below(times, p, thr, t_end)
        if below is None:
            model_h = horizon
            model["note"] = (model.get("note", "") + "; " if model.get("note") else "") + (
                f"p{pct:g} occupancy still ≥ {thr_txt} at the end of the {horizon:g} h window: "
                f"the model time is at least {horizon:g} h"
            )
        else:
            model_h = float(math.ceil(below))
        model["hours_after_last_dose"] = model_h
        model["available"] = True
    except ModelUnavailable as exc:
        model["available"] = False
        model["reason"] = str(exc)
        if pk_info is None:
            pk_info = {"requested": cue.kind, "used": None, "fallback": False, "why": str(exc)}
    except InputError as exc:  # the PK layer refused our events (e.g. formulation missing in the drug file)
        model["available"] = False
        model["reason"] = f"PK layer: {exc}"
    return RestartModel(model_h, model, pk_info, thr_txt)


def _notes(op: OpioidRead, m: RestartModel, interval_given: tuple[float, bool]) -> list[str]:
    w = load_yaml("clinical/washout.yaml")
    cue, cat = op.cue, op.category
    notes = [" ".join(str(v).split()) for v in w["restart_notes"].values()]
    if cat in ("patch",):
        notes.insert(0, "Count from patch removal: give the removal time as --last-dose.")
    pk = m.pk or {}
    form_note = f"Formulation read as {cue.label}: {cue.why}"
    if cue.cite:
        form_note += f" [{cue.cite}]"
    elif cue.assumed and cue.by == "brand":
        form_note += f" [assumed: {cue.reason}]"
    form_note += f". Model: {pk.get('why', 'not run')}."
    notes.insert(0, form_note)
    interval, given = interval_given
    if cue.by == "default" and given and interval >= 12.0 and cat == "short":
        notes.insert(
            1,
            f"Dosed every {interval:g} h but no product form is named: if this is an extended-release "
            "product, say so (e.g. 'ER' or the brand): the long-acting label rule (longer interval) applies.",
        )
    if not given and cue.kind != "depot":
        notes.insert(
            1,
            f"No dosing interval in the text: the model assumed one dose every {interval:g} h (ldnsim's "
            f"default for {op.screen.formulation or 'short'}-acting products, assumed, not sourced); give "
            "the frequency (e.g. 'q4h') so the model uses the patient's own.",
        )
    if cue.kind == "depot":
        notes.insert(
            1,
            "Depot injection/implant: the drug is released for weeks to months after the last injection; "
            "neither the label rule (written for tablets and patches) nor the model covers this — the "
            "interval is likely much longer; seek specialist advice.",
        )
    if any(f.rule == "possible_opioid" for f in op.critical):
        notes.insert(0, "The opioid name was an uncertain spelling match; confirm it.")
    return notes


def decide(
    op: OpioidRead, t_last: datetime, label: dict[str, Any], m: RestartModel, clock: time
) -> dict[str, Any]:
    """The later of the label rule and the model; no date at all for a depot. Phrased as the dose to take."""
    label_h = label["days_hi"] * 24.0
    pct = m.detail["percentile"]
    if m.hours is not None and m.hours > label_h:
        hours, basis = m.hours, "model"
        why = (
            f"In the virtual population the opioid keeps occupying μ receptors for {m.hours:g} h after the "
            f"last dose (95% of simulated patients below {m.threshold_text}), longer than the label rule "
            f"({label['days_hi']:g} days); the later date is recommended."
        )
    else:
        hours, basis = label_h, "label"
        tail = (
            f"the model gives {m.hours:g} h to p{pct:g} μ-agonist occupancy < {m.threshold_text}"
            if m.hours is not None
            else f"model unavailable: {m.detail['reason']}"
        )
        why = (
            f"Label rule for {op.category} opioids: {label['days_lo']:g}–{label['days_hi']:g} opioid-free "
            f"days; the conservative end ({label['days_hi']:g} days) is used; {tail}. The later date is "
            "recommended."
        )
    if op.cue.kind == "depot":
        # a depot keeps releasing the opioid for weeks to months: no rule or model here gives a safe date, so
        # none is given (a date from the tablet rule would be the unsafe direction); the label interval is
        # only a floor
        floor = t_last + timedelta(hours=label_h)
        return {
            "earliest_ldn_start": None,
            "opioid_free_hours": None,
            "opioid_free_days": None,
            "not_before": _iso(floor),
            "basis": "specialist",
            "plain": (
                f"No date: a long-acting injection/implant keeps releasing the opioid. Not before "
                f"{when_text(floor)}, and only after specialist review."
            ),
            "why": (
                f"No date is given: {op.cue.label} products release {', '.join(op.screen.ingredients)} "
                "for weeks to months after the last injection, and neither the label rule (written for "
                f"tablets and patches) nor ldnsim's model covers them. Not before {_iso(floor)} (the label "
                "interval), and only after specialist review (e.g. measured levels or a naloxone challenge)."
            ),
        }
    earliest = t_last + timedelta(hours=hours)
    first = first_dose_at_clock(earliest, clock)
    return {
        "earliest_ldn_start": _iso(earliest),
        "opioid_free_hours": hours,
        "opioid_free_days": round(hours / 24.0, 2),
        "basis": basis,
        "why": why,
        "earliest_text": when_text(earliest),
        "first_usual_dose": _iso(first),
        "plain": (
            f"First {clock:%H:%M} LDN dose: {day_text(first)} at the earliest — only if no opioid has been "
            f"taken since {when_text(t_last)} (an opioid-free interval of {hours / 24.0:g} days). Any opioid "
            "dose in between restarts the count."
        ),
    }


def restart_plan(
    opioid: str,
    last_dose: str | datetime,
    *,
    weight_kg: Any = None,
    hepatic: Any = None,
    egfr_ml_min: Any = None,
    cyp2d6: Any = None,
    course_days: float | None = None,
    seed: int | None = None,
    n_patients: int | None = None,
    age_years: Any = None,
    patient_: Patient | None = None,
    dose_time: str | None = None,
    now: datetime | None = None,
) -> RestartPlan:
    """The typed :class:`RestartPlan`: read → label → model → decide."""
    pt = patient(
        patient_,
        weight_kg=weight_kg,
        egfr_ml_min=egfr_ml_min,
        hepatic=hepatic,
        age_years=age_years,
        cyp2d6=cyp2d6,
    )
    clock = parse_clock(dose_time)
    op = read_opioid(opioid)
    t_last = parse_time(last_dose, "last_dose")
    warnings = [*date_warnings(t_last, "last opioid dose", expect="past", now=now), *pt.unused()]
    label = _label_rows(load_yaml("clinical/washout.yaml"), op.category)
    m = model_stage(op, pt, course_days=course_days, seed=seed, n_patients=n_patients)
    rec = decide(op, t_last, label, m, clock)
    notes = _notes(op, m, parse_interval_h(op.text, op.screen.formulation or "short"))
    return RestartPlan(op, t_last, pt, label, m, rec, notes, warnings)


def plan_restart(opioid: str, last_dose: str | datetime, **kw: Any) -> dict[str, Any]:
    """The ``ldnsim restart`` document (see :func:`restart_plan` for the keywords)."""
    return restart_plan(opioid, last_dose, **kw).to_dict()
