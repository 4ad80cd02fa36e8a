"""Acute pain in a patient on LDN / naltrexone (``ldnsim acute-pain``): trauma or unplanned surgery, now.

A dose-aware plan from the naltrexone labels and peri-operative guidance, in the order a clinician acts:

1. stop LDN (no further doses);
2. non-opioid and regional options first (paracetamol, NSAIDs where suitable, regional/local anaesthesia,
   ketamine per local protocol);
3. if an opioid is needed: expect higher requirements, titrate a short-acting opioid, monitor respiration
   continuously (label: deeper and longer respiratory depression), naloxone at hand;
4. how long the blockade lasts for this patient's dose — the same stages as ``ldnsim hold`` (published
   guidance beside the seeded model for oral LDN; 24–30 days for the monthly ER injection), counted from the
   last dose;
5. after the blockade wanes, opioid sensitivity returns (and may be increased): reduce opioid doses that were
   raised to overcome the blockade (FDA 2013 labelling change);
6. restart LDN only when off opioids (``ldnsim restart``).

Every step carries its source and evidence grade; :meth:`AcutePlan.to_dict` is the JSON renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..data import load_yaml
from .hold import ModelResult, decide, guidance_stage, model_stage, read_request
from .patient import Patient, patient
from .rules import DISCLAIMER, source_list
from .when import date_warnings, now_like, parse_time, when_text

__all__ = ["plan_acute_pain", "acute_plan", "AcutePlan", "Step"]


@dataclass(frozen=True)
class Step:
    """One action: what to do (plain language), why, evidence grade and source ids."""

    title: str
    action: str
    why: str
    evidence: str
    sources: tuple[dict, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "action": self.action,
            "why": self.why,
            "evidence": self.evidence,
            "sources": list(self.sources),
        }


@dataclass
class AcutePlan:
    """The acute-pain plan for one patient at one moment."""

    last_dose: datetime
    now: datetime
    dose_mg: float
    product: str
    blockade_hours: float
    blockade_until: datetime
    blockade_basis: str
    blockade_why: str
    blocked_now: bool
    model: ModelResult
    patient: Patient
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        left = max(0.0, (self.blockade_until - self.now).total_seconds() / 3600.0)
        return {
            "last_dose": self.last_dose.isoformat(timespec="minutes"),
            "last_dose_text": when_text(self.last_dose),
            "now": self.now.isoformat(timespec="minutes"),
            "dose_mg": self.dose_mg,
            "product": self.product,
            "patient": self.patient.to_dict(),
            "blockade": {
                "hours_after_last_dose": self.blockade_hours,
                "until": self.blockade_until.isoformat(timespec="minutes"),
                "until_text": when_text(self.blockade_until),
                "blocked_now": self.blocked_now,
                "hours_left": round(left, 1),
                "basis": self.blockade_basis,
                "why": self.blockade_why,
            },
            "summary": self.summary(),
            "steps": [s.to_dict() for s in self.steps],
            "model": self.model.detail,
            "warnings": self.warnings,
            "disclaimer": DISCLAIMER,
        }

    def summary(self) -> str:
        what = (
            "the monthly naltrexone injection"
            if self.product == "injection"
            else f"{self.dose_mg:g} mg naltrexone"
        )
        if self.blocked_now:
            return (
                f"Opioid analgesia is likely blocked until about {when_text(self.blockade_until)} "
                f"({what}, last dose {when_text(self.last_dose)}). Stop LDN; non-opioid and regional options "
                "first; if an opioid is needed, expect higher doses and monitor breathing continuously."
            )
        return (
            f"The blockade from {what} (last dose {when_text(self.last_dose)}) has most likely worn off "
            f"(taken to last until {when_text(self.blockade_until)}); opioids should work as usual — "
            "stop LDN while they are needed and watch for increased opioid sensitivity."
        )


def _steps(product: str, blocked: bool) -> list[Step]:
    d = load_yaml("clinical/acute_pain.yaml")["steps"]
    out = []
    for s in d.values():
        if s.get("only") == "blocked" and not blocked:
            continue
        if s.get("only") == "injection" and product != "injection":
            continue
        out.append(
            Step(
                s["title"],
                " ".join(s["action"].split()),
                " ".join(s["why"].split()),
                s["grade"],
                tuple(source_list(s["sources"])),
            )
        )
    return out


def acute_plan(
    dose: str | float,
    last_dose: str | datetime,
    *,
    form: str | None = None,
    now: datetime | None = None,
    patient_: Patient | None = None,
    weight_kg: Any = None,
    hepatic: Any = None,
    egfr_ml_min: Any = None,
    cyp2d6: Any = None,
    age_years: Any = None,
    seed: int | None = None,
    n_patients: int | None = None,
) -> AcutePlan:
    """The typed plan; see the module docstring."""
    pt = patient(
        patient_,
        weight_kg=weight_kg,
        egfr_ml_min=egfr_ml_min,
        hepatic=hepatic,
        age_years=age_years,
        cyp2d6=cyp2d6,
    )
    t_last = parse_time(last_dose, "last_dose")
    ref = now_like(t_last, now)
    # the time here is a past dose, not a procedure: read_request's future check is off, ours is "past"
    req = read_request(t_last, dose, form=form, pt=pt, future_check=False)
    warnings = [*req.warnings, *date_warnings(t_last, "last LDN dose", expect="past", now=ref)]
    req = replace(req, warnings=tuple(warnings))
    guide = guidance_stage(req.dose_mg) if req.product == "oral" else None
    model = model_stage(req, seed=seed, n_patients=n_patients)
    hold = decide(req, guide, model)  # the hold interval = how long the blockade is taken to last
    until = t_last + timedelta(hours=hold.hours)
    blocked = ref < until
    return AcutePlan(
        t_last,
        ref,
        req.dose_mg,
        req.product,
        hold.hours,
        until,
        hold.basis,
        hold.why,
        blocked,
        model,
        pt,
        _steps(req.product, blocked),
        warnings,
    )


def plan_acute_pain(dose: str | float, last_dose: str | datetime, **kw: Any) -> dict[str, Any]:
    """The ``ldnsim acute-pain --json`` document."""
    return acute_plan(dose, last_dose, **kw).to_dict()
