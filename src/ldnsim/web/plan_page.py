"""Surgery hold, acute pain and restart planner, in the user's own time zone.

The browser sends its IANA zone (``tz``); the date-time pickers give wall-clock times in that zone.
The answer is a dose slot a patient can act on — "Last dose: Wed 26 Nov at bedtime" — taken from the
clinical functions' "no later than" / "no earlier than" instants:

* hold: the last usual dose (the patient's dose time) at or before ``last_dose_no_later_than``
  of :func:`ldnsim.clinical.hold.plan_hold`;
* acute pain (unplanned, LDN already taken): :func:`ldnsim.clinical.acute.plan_acute_pain` — how long
  opioid analgesia is taken to be blocked after the last LDN dose, and the steps (with sources);
* restart: the first dose slot at or after ``earliest_ldn_start`` of
  :func:`ldnsim.clinical.restart.plan_restart` (none when specialist review is required).

The model-versus-label reasoning is shown one click down (``<details>``), with a printable handout.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request

from ..clinical.acute import plan_acute_pain
from ..clinical.hold import plan_hold
from ..clinical.restart import plan_restart
from ..errors import InputError
from .forms import form_with_csrf, opt_float
from .render import day_label, render

__all__ = ["router", "zone", "local_time", "slot_before", "slot_after", "slot_words"]

router = APIRouter()
MODES = ("hold", "acute", "restart")


def zone(name: str) -> ZoneInfo:
    """The IANA zone the browser reported (e.g. Europe/London); InputError naming ``tz`` otherwise."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise InputError("tz", "time zone missing", accepted="an IANA time zone name, e.g. Europe/London")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            "tz", "unknown time zone", accepted="an IANA name, e.g. Europe/London", value=name
        ) from None


def local_time(text: str, tz: ZoneInfo, field: str) -> datetime:
    """A picker value ``YYYY-MM-DDTHH:MM`` (wall clock in ``tz``) → aware datetime; years 1900-2200."""
    s = (text or "").strip()
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise InputError(field, "not a date and time", accepted="YYYY-MM-DDTHH:MM", value=s) from None
    if not 1900 <= dt.year <= 2200:
        raise InputError(field, "year out of range", accepted="1900-2200", value=s)
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt.astimezone(tz)


def _dose_time(text: str) -> time:
    try:
        return time.fromisoformat((text or "22:00").strip())
    except ValueError:
        raise InputError("dose_time", "not a time of day", accepted="HH:MM, e.g. 22:00", value=text) from None


def slot_before(limit: datetime, at: time) -> datetime:
    """The latest daily dose at clock time ``at`` that is not after ``limit`` (same zone)."""
    cand = limit.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return cand if cand <= limit else cand - timedelta(days=1)


def slot_after(limit: datetime, at: time) -> datetime:
    """The earliest daily dose at clock time ``at`` that is not before ``limit`` (same zone)."""
    cand = limit.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return cand if cand >= limit else cand + timedelta(days=1)


def slot_words(dt: datetime) -> str:
    """'Wed 26 Nov at bedtime' (20:00-01:59), 'in the morning' (05:00-10:59), else 'at 14:00'."""
    h = dt.hour
    when = "at bedtime" if h >= 20 or h < 2 else "in the morning" if 5 <= h < 11 else f"at {dt:%H:%M}"
    return f"{day_label(dt)} {when}"


def _when(dt: datetime) -> str:
    return f"{day_label(dt)} {dt:%H:%M}"


def _in(iso: str, tz: ZoneInfo) -> datetime:
    """An ISO instant from the clinical layer, in the user's zone (naive values are read in that zone)."""
    d = datetime.fromisoformat(iso)
    return (d.replace(tzinfo=tz) if d.tzinfo is None else d).astimezone(tz)


def _patient(form) -> dict:
    hepatic = str(form.get("hepatic") or "").strip() or None
    cyp = str(form.get("cyp2d6") or "").strip() or None
    return {
        "weight_kg": opt_float(form, "weight", 20.0, 300.0, "kg"),
        "hepatic": hepatic,
        "egfr_ml_min": opt_float(form, "egfr", 1.0, 200.0, "mL/min"),
        "cyp2d6": cyp,
    }


def _blank(mode: str) -> dict:
    return {
        "mode": mode,
        "tz": "",
        "when": "",
        "dose": "4.5 mg",
        "dose_time": "22:00",
        "opioid": "",
        "course_days": "",
        "weight": "",
        "hepatic": "",
        "egfr": "",
        "cyp2d6": "",
    }


@router.get("/plan")
def plan_form(request: Request, mode: str = "hold"):
    if mode not in MODES:
        mode = "hold"
    return render(request, "plan.html", {"form": _blank(mode), "answer": None})


@router.post("/plan")
async def plan_submit(request: Request):
    form = await form_with_csrf(request)
    mode = str(form.get("mode") or "hold")
    if mode not in MODES:
        raise InputError("mode", "unknown planner", accepted=", ".join(MODES), value=mode)
    tz = zone(str(form.get("tz") or ""))
    at = _dose_time(str(form.get("dose_time") or "22:00"))
    when = local_time(str(form.get("when") or ""), tz, "when")
    pt = _patient(form)
    fvals = {**_blank(mode), **{k: str(form.get(k) or "") for k in _blank(mode)}}
    at_text = f"{at:%H:%M}"
    answer: dict[str, Any]
    if mode == "hold":
        doc = plan_hold(when.isoformat(), str(form.get("dose") or ""), dose_time=at_text, **pt)
        r = doc["recommendation"]
        limit = _in(r["last_dose_no_later_than"], tz)
        # the clinical layer's last usual dose; the local slot rule is the fallback for products without one
        slot = _in(r["last_usual_dose"], tz) if r.get("last_usual_dose") else slot_before(limit, at)
        answer = {
            "headline": f"Last dose: {slot_words(slot)}",
            "detail": f"Procedure {_when(when)}; take no LDN after {_when(limit)} "
            f"({float(r['hold_hours']):g} h before, basis: {r['basis']}).",
        }
    elif mode == "acute":
        doc = plan_acute_pain(str(form.get("dose") or ""), when.isoformat(), **pt)
        b = doc["blockade"]
        until = _in(b["until"], tz)
        doc["recommendation"] = {"why": b["why"]}
        doc.setdefault("notes", [])
        answer = {
            "headline": f"Opioid pain relief may be blocked until about {_when(until)}",
            "detail": f"Last LDN dose {_when(when)}; the blockade is taken to last "
            f"{float(b['hours_after_last_dose']):g} h (basis: {b['basis']}).",
        }
    else:
        doc = plan_restart(
            str(form.get("opioid") or ""),
            when.isoformat(),
            course_days=opt_float(form, "course_days", 0.0, 3650.0, "days"),
            dose_time=at_text,
            **pt,
        )
        r = doc["recommendation"]
        if r["earliest_ldn_start"] is None:
            answer = {
                "headline": "No restart date: specialist review needed",
                "detail": f"Not before {r.get('not_before')}. {r['why']}",
            }
        else:
            limit = _in(r["earliest_ldn_start"], tz)
            slot = _in(r["first_usual_dose"], tz) if r.get("first_usual_dose") else slot_after(limit, at)
            answer = {
                "headline": f"First LDN dose: {slot_words(slot)}",
                "detail": f"Last opioid {_when(when)}; no LDN before {_when(limit)} "
                f"({r['opioid_free_days']:g} opioid-free days, basis: {r['basis']}).",
            }
    answer["warnings"] = list(doc.get("warnings") or [])
    answer["tz"] = tz.key
    return render(request, "plan.html", {"form": fvals, "answer": answer, "doc": doc, "mode": mode})
