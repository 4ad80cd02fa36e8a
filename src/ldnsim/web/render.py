"""Jinja2 templates of the web app and the one ``render`` helper every page uses."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ..clinical.rules import DISCLAIMER
from .security import csrf_token

__all__ = ["templates", "render", "is_htmx", "day_label"]

NAV = [
    ("/check", "Medication check"),
    ("/plan", "Surgery & restart"),
    ("/titrate", "Titration"),
    ("/compound", "Compounding"),
    ("/trials", "Virtual trials"),
    ("/diary", "Diary"),
]


def _context(request: Request) -> dict:
    return {
        "disclaimer": DISCLAIMER,
        "csrf": csrf_token(request),
        "nav": NAV,
        "user": request.session.get("user"),
        "path": request.url.path,
    }


def day_label(d: date | datetime) -> str:
    """'Wed 26 Nov' (weekday, day, month: no leading zero, English names on every locale)."""
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{days[d.weekday()]} {d.day} {months[d.month - 1]}"


templates = Jinja2Templates(directory=Path(__file__).with_name("templates"), context_processors=[_context])
templates.env.filters["day_label"] = day_label


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, name: str, ctx: dict, status: int = 200):
    return templates.TemplateResponse(request, name, ctx, status_code=status)
