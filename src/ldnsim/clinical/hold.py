"""Peri-operative hold of LDN / naltrexone (``ldnsim hold``): when to take the last dose before surgery.

Two answers side by side, and the longer one is recommended:

* **published guidance** (``washout.yaml`` ``hold_guidance``): LDN 72 h (Moser, LDNRT [E]) and 48 h
  (LDN Direct [C]); standard-dose oral naltrexone 72 h (Whately & Stead 2023 [P]); SPAQI 3–4 days is shown
  but not used (UNVERIFIED).
  Doses between the LDN band (≤ 10 mg) and the standard band (≥ 25 mg) use the standard-dose rows.
* **model**: daily dosing to steady state, then the time after the last dose at which the 95th percentile of μ
  occupancy by naltrexone + 6β-naltrexol (``occupancy()["mu_antagonist"]``) in a seeded virtual population
  with the patient's covariates falls below the threshold for good.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..data import load_yaml, value_of
from ..errors import InputError
from ..units import parse_mass
from ._model import ModelUnavailable, population_occupancy, time_below
from .rules import DISCLAIMER

__all__ = ["plan_hold", "parse_time", "dose_band"]


def parse_time(text: str, field: str) -> datetime:
    """ISO 8601 date-time (``2026-12-01T08:00``, offset optional) → datetime; InputError naming ``field``."""
    if isinstance(text, datetime):
        return text
    s = str(text or "").strip()
    if not s:
        raise InputError(field, "is required", accepted="ISO 8601 date-time, e.g. 2026-12-01T08:00")
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            field,
            "cannot be parsed as an ISO 8601 date-time",
            value=text,
            accepted="e.g. 2026-12-01T08:00 or 2026-12-01T08:00+01:00",
        ) from None
    if len(s) <= 10:  # a bare date is ambiguous for a hold; be explicit
        raise InputError(
            field, "needs a time of day, not only a date", value=text, accepted="e.g. 2026-12-01T08:00"
        )
    return dt


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
    return [{"cite": s["cite"], "url": s["url"]} for s in entry.get("source") or []]


def plan_hold(
    procedure_time: str | datetime,
    dose: str | float,
    *,
    weight_kg: float | None = None,
    hepatic: str | None = None,
    egfr_ml_min: float | None = None,
    cyp2d6: str | None = None,
    formulation: str = "ir",
    seed: int | None = None,
    n_patients: int | None = None,
) -> dict[str, Any]:
    """The ``ldnsim hold`` document. ``dose`` like "4.5 mg" (bare numbers are mg)."""
    t_proc = parse_time(procedure_time, "procedure_time")
    dose_mg = parse_mass(dose, "dose", default_unit="mg", lo=0.0, hi=400.0)
    if weight_kg is not None and not (20.0 <= float(weight_kg) <= 300.0):
        raise InputError("weight", "out of range", accepted="20-300 kg", value=weight_kg)
    w = load_yaml("clinical/washout.yaml")
    band = dose_band(dose_mg)
    rows_band = "ldn" if band == "ldn" else "standard"

    guidance = []
    for gid, g in w["hold_guidance"].items():
        if "value" not in g:
            continue
        guidance.append(
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
    used = [g for g in guidance if g["used"]]
    rule_h = max(g["hours"] for g in used)
    rule_basis = max(used, key=lambda g: g["hours"])
    context = w["hold_guidance"]["label_practice_note"]

    m = w["hold_model"]
    thr = float(value_of(m["occupancy_threshold"]))
    pct = float(value_of(m["percentile"]))
    n = int(n_patients or value_of(m["n_patients"]))
    seed = int(value_of(m["seed"]) if seed is None else seed)
    days = int(value_of(m["steady_state_days"]))
    horizon = float(value_of(m["horizon"]))
    model: dict[str, Any] = {
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
    model_h: float | None = None
    try:
        from ..regimen import DoseEvent

        t_last = (days - 1) * 24.0
        events = [
            DoseEvent(time_h=24.0 * i, drug="naltrexone", dose_mg=dose_mg, formulation=formulation)
            for i in range(days)
        ]
        times = np.arange(t_last, t_last + horizon + 0.25, 0.25)
        occ = population_occupancy(
            events,
            times,
            "mu_antagonist",
            drugs=["naltrexone"],
            covariates={
                "weight_kg": weight_kg,
                "hepatic": hepatic,
                "egfr_ml_min": egfr_ml_min,
                "cyp2d6": cyp2d6,
            },
            n=n,
            seed=seed,
        )
        p = np.percentile(occ, pct, axis=0)
        median = np.percentile(occ, 50, axis=0)
        model["peak_occupancy_p95"] = float(p.max())
        model["peak_occupancy_median"] = float(median.max())
        below = time_below(times, p, thr, t_last)
        if below is None:
            model_h = horizon
            model["hours_after_last_dose"] = horizon
            model["note"] = f"p{pct:g} occupancy still ≥ {thr:g} at the end of the {horizon:g} h window"
        else:
            model_h = float(math.ceil(below))
            model["hours_after_last_dose"] = model_h
            model["median_hours_after_last_dose"] = float(
                math.ceil(time_below(times, median, thr, t_last) or 0)
            )
        model["available"] = True
    except ModelUnavailable as exc:
        model["available"] = False
        model["reason"] = str(exc)
    except InputError:
        raise

    if model_h is not None and model_h > rule_h:
        hours, basis = model_h, "model"
        why = (
            f"The model's p{pct:g} μ occupancy stays above {thr:.0%} for {model_h:g} h after the last dose, "
            "longer "
            f"than the published {rule_h:g} h ({rule_basis['claim']}); the longer interval is recommended."
        )
    else:
        hours, basis = rule_h, "guidance"
        if model_h is not None:
            why = (
                f"Published guidance ({rule_h:g} h: {rule_basis['claim']}; "
                f"evidence {rule_basis['evidence']}) is "
                f"longer than the model ({model_h:g} h to p{pct:g} μ occupancy < {thr:.0%}); the longer is "
                "recommended."
            )
        else:
            why = (
                f"Model unavailable ({model['reason']}); the most conservative published interval is used "
                f"({rule_h:g} h: {rule_basis['claim']}; evidence {rule_basis['evidence']})."
            )
    last_dose = t_proc - timedelta(hours=hours)
    notes = [
        f"{context['claim']} ({context['source'][0]['cite']}).",
        "Restart after surgery only when completely off opioid analgesics (Moser, LDNRT [E]); "
        "see `ldnsim restart`.",
        "If opioids are needed unexpectedly while blocked: regional anaesthesia, non-opioids; "
        "opioid doses needed may "
        "be higher with deeper/longer respiratory depression (label-derived, DDInter).",
        "LDN is off-label; every naltrexone label was written for 50 mg/day.",
    ]
    if band == "intermediate":
        notes.insert(
            0,
            f"{dose_mg:g} mg lies between the LDN (≤10 mg) and standard (≥25 mg) bands: "
            "standard-dose guidance applied (conservative).",
        )
    if formulation not in ("ir", "liquid"):
        notes.insert(
            0, f"Formulation {formulation!r}: LDN should be immediate release; the model used it as given."
        )
    return {
        "procedure_time": _iso(t_proc),
        "dose_mg": dose_mg,
        "dose_band": band,
        "patient": {
            "weight_kg": weight_kg,
            "hepatic": hepatic or "none",
            "egfr_ml_min": egfr_ml_min,
            "cyp2d6": cyp2d6,
        },
        "recommendation": {
            "last_dose_no_later_than": _iso(last_dose),
            "hold_hours": hours,
            "basis": basis,
            "why": why,
        },
        "guidance": guidance,
        "model": model,
        "notes": notes,
        "disclaimer": DISCLAIMER,
    }
