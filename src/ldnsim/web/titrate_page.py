"""Titration calendar and compounding worksheet pages (both printable).

The schedule is :func:`ldnsim.clinical.titrate.plan_titration`, laid out as a Monday-first calendar
from the first dose to one week past the target; the worksheet is
:func:`ldnsim.clinical.compound.compound_spec`.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request

from ..clinical.compound import compound_spec
from ..clinical.titrate import plan_titration, presets
from .forms import form_with_csrf, opt_int
from .render import render

__all__ = ["router", "calendar_weeks"]

router = APIRouter()
FORMS = ("capsule", "liquid")


def calendar_weeks(schedule: list[dict], extra_days: int = 7) -> list[list[dict | None]]:
    """Weeks (Mon..Sun) of day cells ``{date, dose_mg, volume_ml, change}`` covering the schedule."""
    if not schedule:
        return []
    first = date.fromisoformat(schedule[0]["from"])
    last_step = schedule[-1]
    end = date.fromisoformat(last_step.get("to") or last_step["from"])
    end += timedelta(days=extra_days)
    by_day: dict[date, dict] = {}
    for i, s in enumerate(schedule):
        a = date.fromisoformat(s["from"])
        b = date.fromisoformat(s["to"]) if s.get("to") else end
        d = a
        while d <= b and d <= end:
            by_day[d] = {
                "date": d,
                "dose_mg": s["dose_mg"],
                "volume_ml": s.get("volume_ml"),
                "change": d == a,
                "step": i + 1,
            }
            d += timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    weeks, d = [], start
    while d <= end:
        weeks.append([by_day.get(d + timedelta(days=k)) for k in range(7)])
        d += timedelta(days=7)
    return weeks


def _tform(preset: str = "ldnrt-standard") -> dict:
    return {
        "preset": preset,
        "form": "capsule",
        "concentration": "",
        "start_date": date.today().isoformat(),
        "start": "",
        "step": "",
        "every": "",
        "target": "",
    }


@router.get("/titrate")
def titrate_form(request: Request):
    return render(request, "titrate.html", {"form": _tform(), "presets": presets(), "doc": None})


@router.post("/titrate")
async def titrate_submit(request: Request):
    form = await form_with_csrf(request)
    f = {k: str(form.get(k) or "").strip() for k in _tform()}
    doc = plan_titration(
        f["preset"] or None,
        form=f["form"] or None,
        concentration=f["concentration"] or None,
        start_date=f["start_date"] or None,
        start=f["start"] or None,
        step=f["step"] or None,
        every=f["every"] or None,
        target=f["target"] or None,
    )
    return render(
        request,
        "titrate.html",
        {"form": f, "presets": presets(), "doc": doc, "weeks": calendar_weeks(doc["schedule"])},
    )


def _cform() -> dict:
    return {"dose": "4.5 mg", "form": "capsule", "concentration": "", "days": "30"}


@router.get("/compound")
def compound_form(request: Request):
    return render(request, "compound.html", {"form": _cform(), "doc": None})


@router.post("/compound")
async def compound_submit(request: Request):
    form = await form_with_csrf(request)
    f = {k: str(form.get(k) or "").strip() for k in _cform()}
    days = opt_int(form, "days", 1, 365, "days") or 30
    doc = compound_spec(f["dose"], f["form"], concentration=f["concentration"] or None, days=days)
    return render(request, "compound.html", {"form": f, "doc": doc})
