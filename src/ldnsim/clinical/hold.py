"""Peri-operative hold of LDN / naltrexone (``ldnsim hold``): when to take the last dose before surgery.

Stages, each returning a typed result; :meth:`HoldPlan.to_dict` is the JSON renderer, the CLI the text one:

1. :func:`read_request` — the procedure time, the dose, the product (daily oral tablet/liquid or the monthly
   extended-release injection) and the :class:`~ldnsim.clinical.patient.Patient`;
2. :func:`guidance_stage` — published guidance (``washout.yaml`` ``hold_guidance``): LDN 72 h (Moser, LDNRT
   [E]) and 48 h (LDN Direct [C]); standard-dose oral naltrexone 72 h (Whately & Stead 2023 [P]); SPAQI 3–4
   days shown but not used (UNVERIFIED). Doses between the LDN (≤ 10 mg) and standard (≥ 25 mg) bands use the
   standard-dose rows;
3. :func:`model_stage` — daily dosing to steady state, then the time after the last dose at which the 95th
   percentile of μ occupancy by naltrexone + 6β-naltrexol in a seeded virtual population with the patient's
   covariates falls below the threshold for good;
4. :func:`decide` — the longer of guidance and model, phrased as the dose to skip ("last bedtime dose: Tue 24
   Nov 2026") with the time zone of the input.

An extended-release injection (Vivitrol 380 mg IM every 4 weeks; a dose above the largest single oral dose on
the naltrexone label, 150 mg, is read as one) is never planned as daily tablets: the last injection must be
24–30 days before the procedure (the 30-day end is used) — see ``washout.yaml`` ``depot_hold``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..data import load_yaml, value_of
from ..data.parameter_set import occupancy_variant_names
from ..errors import InputError
from ..units import parse_mass
from ._model import ModelUnavailable, population_occupancy, time_below
from .patient import Patient, patient
from .rules import DISCLAIMER
from .when import date_warnings, day_text, last_dose_at_clock, parse_clock, parse_time, when_text

__all__ = [
    "plan_hold",
    "parse_time",
    "dose_band",
    "HoldRequest",
    "Guidance",
    "ModelResult",
    "HoldPlan",
    "read_request",
    "guidance_stage",
    "model_stage",
    "decide",
    "FORMS",
]

#: accepted --form values → product
FORMS = {
    None: None,
    "oral": "oral",
    "tablet": "oral",
    "capsule": "oral",
    "ir": "oral",
    "liquid": "oral",
    "injection": "injection",
    "er-injection": "injection",
    "depot": "injection",
    "im": "injection",
    "vivitrol": "injection",
    "xr-ntx": "injection",
}


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="minutes")


def dose_band(dose_mg: float) -> str:
    w = load_yaml("clinical/washout.yaml")["dose_bands"]
    if dose_mg <= value_of(w["ldn_max"]):
        return "ldn"
    if dose_mg >= value_of(w["standard_min"]):
        return "standard"
    return "intermediate"


def _source(entry: dict) -> list[dict]:
    grade = entry.get("grade")
    return [{"cite": s["cite"], "url": s["url"], **({"grade": grade} if grade else {})}
            for s in entry.get("source") or []]


# ------------------------------------------------------------------------------------------------ stage 1
@dataclass(frozen=True)
class HoldRequest:
    """What the planner was asked: procedure time, dose (mg), product, patient, usual dose clock time."""

    procedure: datetime
    dose_mg: float
    product: str  # oral | injection
    product_read_from: str  # "--form" | "dose" (a dose above the oral maximum) | "default"
    patient: Patient
    dose_clock: str
    formulation: str  # drug-file formulation for the model (oral products)
    warnings: tuple[str, ...] = ()


def read_request(
    procedure_time: str | datetime,
    dose: str | float,
    *,
    form: str | None = None,
    pt: Patient,
    dose_time: str | None = None,
    formulation: str = "ir",
    now: datetime | None = None,
    future_check: bool = True,
) -> HoldRequest:
    """Validate the inputs (InputError naming the field) and decide which product is meant.

    ``future_check=False`` skips the "procedure time should be in the future" warning, for callers whose
    time is not a procedure (the acute-pain planner passes the last dose, a past time, and checks it itself).
    """
    t_proc = parse_time(procedure_time, "procedure_time")
    key = None if form is None else str(form).strip().lower()
    if key not in FORMS:
        raise InputError(
            "form",
            "not a known product form",
            value=form,
            accepted="oral (daily tablet/capsule/liquid) | injection (monthly ER naltrexone, Vivitrol)",
        )
    product = FORMS[key]
    dh = load_yaml("clinical/washout.yaml")["depot_hold"]
    oral_max = float(value_of(dh["oral_max_single_dose"]))
    hi = 400.0
    dose_mg = parse_mass(dose, "dose", default_unit="mg", lo=0.0, hi=hi)
    dated = date_warnings(t_proc, "procedure time", expect="future", now=now) if future_check else []
    warnings = list(dated) + pt.unused()
    read_from = "--form" if product else "default"
    if product == "oral" and dose_mg > oral_max:
        raise InputError(
            "dose",
            f"{dose_mg:g} mg is above the largest single oral naltrexone dose on the label",
            value=dose,
            accepted=f"≤ {oral_max:g} mg for --form oral; the monthly 380 mg injection is --form injection",
        )
    if product is None:
        product = "injection" if dose_mg > oral_max else "oral"
        if product == "injection":
            read_from = "dose"
            warnings.append(
                f"WARNING: {dose_mg:g} mg is above the largest single oral naltrexone dose on the label "
                f"({oral_max:g} mg), so it is read as the monthly extended-release injection (Vivitrol "
                f"{value_of(dh['injection_dose']):g} mg IM). If it really is a daily oral dose, that is "
                "outside "
                "the label — check the prescription. Say --form injection or --form oral to be explicit."
            )
    if product == "injection" and abs(dose_mg - float(value_of(dh["injection_dose"]))) > 1e-6:
        warnings.append(
            f"WARNING: the extended-release injection is {value_of(dh['injection_dose']):g} mg; "
            f"{dose_mg:g} mg "
            "was given — check the product."
        )
    parse_clock(dose_time)
    return HoldRequest(
        t_proc, dose_mg, product, read_from, pt, str(dose_time or "22:00"), formulation, tuple(warnings)
    )


# ------------------------------------------------------------------------------------------------ stage 2
@dataclass(frozen=True)
class Guidance:
    """Published hold guidance for the dose band: every row, and the longest one used."""

    rows: tuple[dict, ...]
    hours: float
    basis: dict
    band: str
    context: dict


def guidance_stage(dose_mg: float) -> Guidance:
    w = load_yaml("clinical/washout.yaml")
    band = dose_band(dose_mg)
    rows_band = "ldn" if band == "ldn" else "standard"
    rows = []
    for gid, g in w["hold_guidance"].items():
        if "value" not in g:
            continue
        rows.append(
            {
                "id": gid,
                "hours": float(value_of(g)),
                "applies_to": g["applies"],
                "claim": g["claim"],
                "evidence": g["grade"],
                "sources": _source(g),
                "used": g["applies"] == rows_band and not g.get("unverified"),
                "unverified": bool(g.get("unverified")),
            }
        )
    used = [g for g in rows if g["used"]]
    basis = max(used, key=lambda g: g["hours"])
    return Guidance(tuple(rows), basis["hours"], basis, band, w["hold_guidance"]["label_practice_note"])


# ------------------------------------------------------------------------------------------------ stage 3
@dataclass
class ModelResult:
    """The virtual-population answer: hours after the last dose until p95 occupancy stays below threshold."""

    available: bool
    hours: float | None
    detail: dict[str, Any] = field(default_factory=dict)


def model_stage(req: HoldRequest, *, seed: int | None = None, n_patients: int | None = None) -> ModelResult:
    m = load_yaml("clinical/washout.yaml")["hold_model"]
    thr = float(value_of(m["occupancy_threshold"]))
    pct = float(value_of(m["percentile"]))
    n = int(n_patients or value_of(m["n_patients"]))
    seed = int(value_of(m["seed"]) if seed is None else seed)
    days = int(value_of(m["steady_state_days"]))
    horizon = float(value_of(m["horizon"]))
    detail: dict[str, Any] = {
        "threshold": thr,
        "percentile": pct,
        "n_patients": n,
        "seed": seed,
        "site": "mu_antagonist",
        "assumptions": {
            k: m[k].get("reason", "").strip()
            for k in ("occupancy_threshold", "percentile", "steady_state_days")
        },
    }
    if req.product == "injection":
        detail.update(
            available=False,
            reason="the naltrexone PK file has no extended-release injection "
            "formulation; a tablet stand-in would understate a month-long release, so the model is "
            "not run",
        )
        return ModelResult(False, None, detail)
    try:
        from ..regimen import DoseEvent

        t_last = (days - 1) * 24.0
        events = [
            DoseEvent(time_h=24.0 * i, drug="naltrexone", dose_mg=req.dose_mg, formulation=req.formulation)
            for i in range(days)
        ]
        times = np.arange(t_last, t_last + horizon + 0.25, 0.25)
        # the occupancy variants (data/occupancy.yaml) disagree on how long blockade lasts: run each and
        # keep the more conservative (later) washout, so the unresolved question is not hidden
        by_variant: dict[str, float] = {}
        occs: dict[str, np.ndarray] = {}
        for ov in occupancy_variant_names():
            occs[ov] = o = population_occupancy(
                events,
                times,
                "mu_antagonist",
                drugs=["naltrexone"],
                covariates=req.patient.covariates(),
                n=n,
                seed=seed,
                variant=f"full/{ov}",
            )
            below = time_below(times, np.percentile(o, pct, axis=0), thr, t_last)
            by_variant[ov] = horizon if below is None else float(math.ceil(below))
        chosen = max(by_variant, key=lambda k: by_variant[k])  # ties: the default (listed first)
        occ = occs[chosen]
    except ModelUnavailable as exc:
        detail.update(available=False, reason=str(exc))
        return ModelResult(False, None, detail)
    detail["occupancy_variant"] = chosen
    detail["hours_by_occupancy_variant"] = by_variant
    p = np.percentile(occ, pct, axis=0)
    median = np.percentile(occ, 50, axis=0)
    detail["peak_occupancy_p95"] = float(p.max())
    detail["peak_occupancy_median"] = float(median.max())
    below = time_below(times, p, thr, t_last)
    if below is None:
        hours = horizon
        detail["note"] = f"p{pct:g} occupancy still ≥ {thr:g} at the end of the {horizon:g} h window"
    else:
        hours = float(math.ceil(below))
        detail["median_hours_after_last_dose"] = float(math.ceil(time_below(times, median, thr, t_last) or 0))
    detail["hours_after_last_dose"] = hours
    detail["available"] = True
    return ModelResult(True, hours, detail)


# ------------------------------------------------------------------------------------------------ stage 4
@dataclass
class HoldPlan:
    """The recommendation and everything it rests on; :meth:`to_dict` is the ``--json`` document."""

    request: HoldRequest
    guidance: Guidance | None
    model: ModelResult
    hours: float
    basis: str
    why: str
    plain: str
    last_dose_no_later_than: datetime
    last_usual_dose: datetime
    depot: dict[str, Any] | None
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        req = self.request
        rec: dict[str, Any] = {
            "last_dose_no_later_than": _iso(self.last_dose_no_later_than),
            "hold_hours": self.hours,
            "hold_days": round(self.hours / 24.0, 2),
            "basis": self.basis,
            "why": self.why,
            "plain": self.plain,
            "last_dose_text": when_text(self.last_dose_no_later_than),
            "last_usual_dose": _iso(self.last_usual_dose),
            "last_usual_dose_text": day_text(self.last_usual_dose),
            "dose_time": req.dose_clock,
        }
        if req.product == "injection":
            rec["last_injection_no_later_than"] = rec["last_dose_no_later_than"]
        return {
            "procedure_time": _iso(req.procedure),
            "procedure_text": when_text(req.procedure),
            "dose_mg": req.dose_mg,
            "dose_band": self.guidance.band if self.guidance else "er_injection",
            "product": req.product,
            "product_read_from": req.product_read_from,
            "patient": req.patient.to_dict(),
            "recommendation": rec,
            "guidance": list(self.guidance.rows) if self.guidance else [],
            "depot": self.depot,
            "model": self.model.detail,
            "warnings": list(req.warnings),
            "notes": self.notes,
            "disclaimer": DISCLAIMER,
        }


def _phrase(req: HoldRequest, deadline: datetime) -> tuple[datetime, str]:
    clock = parse_clock(req.dose_clock)
    last = last_dose_at_clock(deadline, clock)
    if req.product == "injection":
        return deadline, (
            f"The last extended-release naltrexone injection must be on or before {day_text(deadline)} "
            f"(procedure {when_text(req.procedure)}); if the next monthly injection falls after that, "
            "postpone "
            "it until after surgery and opioid analgesia."
        )
    return last, (
        f"Last {req.dose_clock} dose: {day_text(last)}; skip the doses from "
        f"{day_text(last + timedelta(days=1))} until after surgery (procedure {when_text(req.procedure)}; "
        f"no naltrexone after {when_text(deadline)})."
    )


def decide(req: HoldRequest, guide: Guidance | None, model: ModelResult) -> HoldPlan:
    """The longer of guidance and model (oral), or the ER-injection rule; phrased as the dose to skip."""
    w = load_yaml("clinical/washout.yaml")
    notes = [
        "Restart after surgery only when completely off opioid analgesics (Moser, LDNRT [E]); "
        "see `ldnsim restart`.",
        "If opioids are needed unexpectedly while blocked: see `ldnsim acute-pain` (regional anaesthesia, "
        "non-opioids; opioid doses needed may be higher with deeper/longer respiratory depression).",
    ]
    depot = None
    if req.product == "injection":
        dh = w["depot_hold"]
        lo, hi = float(value_of(dh["hold_lo"])), float(value_of(dh["hold_hi"]))
        hours, basis = hi * 24.0, "er_injection"
        why = (
            f"Extended-release naltrexone (an intramuscular depot dosed every "
            f"{value_of(dh['injection_interval']):g} days) blocks μ receptors for about a month; "
            "peri-operative "
            f"guidance is {lo:g}–{hi:g} days from the last injection to elective surgery (evidence "
            f"{dh['hold_hi']['grade']}); the conservative end, {hi:g} days, is used."
        )
        depot = {
            "hold_days_lo": lo,
            "hold_days_hi": hi,
            "injection_dose_mg": float(value_of(dh["injection_dose"])),
            "injection_interval_days": float(value_of(dh["injection_interval"])),
            "sources": _source(dh["hold_hi"]) + _source(dh["injection_dose"]),
            "pain_management": {
                "claim": " ".join(dh["label_pain_management"]["claim"].split()),
                "evidence": dh["label_pain_management"]["grade"],
                "sources": _source(dh["label_pain_management"]),
            },
        }
        notes.insert(0, " ".join(dh["label_pain_management"]["claim"].split()) + " [L]")
        notes.append(
            "If the procedure cannot wait: it is done under blockade — plan with anaesthesia "
            "(see `ldnsim acute-pain --dose 380mg --form injection`)."
        )
    else:
        assert guide is not None
        rule_h = guide.hours
        pct = model.detail["percentile"]
        thr = model.detail["threshold"]
        if model.hours is not None and model.hours > rule_h:
            hours, basis = model.hours, "model"
            why = (
                f"In the virtual population, naltrexone's blockade of μ receptors lasts longer than the "
                f"published {rule_h:g} h for this patient ({model.hours:g} h until 95% of simulated patients "
                f"are below {thr:.0%} receptor occupancy); the longer interval is recommended."
            )
        else:
            hours, basis = rule_h, "guidance"
            tail = (
                f"the model gives {model.hours:g} h (p{pct:g} μ occupancy < {thr:.0%})"
                if model.hours is not None
                else f"model unavailable ({model.detail.get('reason')})"
            )
            why = (
                f"Published guidance: {guide.basis['claim']} ({rule_h:g} h; evidence "
                f"{guide.basis['evidence']}); {tail}; the longer is recommended."
            )
        notes.insert(0, f"{guide.context['claim']} ({guide.context['source'][0]['cite']}).")
        notes.append("LDN is off-label; every naltrexone label was written for 50 mg/day.")
        if guide.band == "intermediate":
            notes.insert(
                0,
                f"{req.dose_mg:g} mg lies between the LDN (≤10 mg) and standard (≥25 mg) bands: "
                "standard-dose guidance applied (conservative).",
            )
        if req.formulation not in ("ir", "liquid"):
            notes.insert(
                0,
                f"Formulation {req.formulation!r}: LDN should be immediate release; the model used "
                "it as given.",
            )
    deadline = req.procedure - timedelta(hours=hours)
    last, plain = _phrase(req, deadline)
    return HoldPlan(req, guide, model, hours, basis, why, plain, deadline, last, depot, notes)


def plan_hold(procedure_time: str | datetime, dose: str | float, **kw: Any) -> dict[str, Any]:
    """The ``ldnsim hold`` document; ``dose`` like "4.5 mg" (bare number: mg). Keywords: :func:`hold_plan`."""
    return hold_plan(procedure_time, dose, **kw).to_dict()


def hold_plan(
    procedure_time: str | datetime,
    dose: str | float,
    *,
    weight_kg: float | None = None,
    hepatic: str | None = None,
    egfr_ml_min: float | None = None,
    cyp2d6: str | None = None,
    age_years: float | None = None,
    patient_: Patient | None = None,
    form: str | None = None,
    dose_time: str | None = None,
    formulation: str = "ir",
    seed: int | None = None,
    n_patients: int | None = None,
    now: datetime | None = None,
) -> HoldPlan:
    """The typed :class:`HoldPlan` (what :func:`plan_hold` renders)."""
    pt = patient(
        patient_,
        weight_kg=weight_kg,
        egfr_ml_min=egfr_ml_min,
        hepatic=hepatic,
        age_years=age_years,
        cyp2d6=cyp2d6,
    )
    req = read_request(
        procedure_time, dose, form=form, pt=pt, dose_time=dose_time, formulation=formulation, now=now
    )
    guide = guidance_stage(req.dose_mg) if req.product == "oral" else None
    model = model_stage(req, seed=seed, n_patients=n_patients)
    return decide(req, guide, model)
