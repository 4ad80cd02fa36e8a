"""Form helpers shared by the pages: CSRF-checked form reading and bounded numeric fields."""

from __future__ import annotations

import math

from fastapi import Request
from starlette.datastructures import FormData

from ..errors import InputError
from .security import check_csrf

__all__ = ["form_with_csrf", "opt_float", "req_float", "opt_int", "checkbox"]

MAX_FIELDS = 200


async def form_with_csrf(request: Request) -> FormData:
    """The POSTed form, after checking its CSRF token (raises CsrfError → 403)."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, form.get("csrf"))  # type: ignore[arg-type]
    return form


def _num(form, name: str, lo: float, hi: float, unit: str, cast=float):
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        v = cast(raw)
    except ValueError:
        raise InputError(
            name, "is not a number", accepted=f"{lo:g}-{hi:g} {unit}".strip(), value=raw
        ) from None
    if isinstance(v, float) and not math.isfinite(v) or not lo <= v <= hi:
        raise InputError(name, "out of range", accepted=f"{lo:g}-{hi:g} {unit}".strip(), value=raw)
    return v


def opt_float(form, name: str, lo: float, hi: float, unit: str = "") -> float | None:
    """An optional finite number in [lo, hi] (empty → None); InputError naming the field otherwise."""
    return _num(form, name, lo, hi, unit)


def req_float(form, name: str, lo: float, hi: float, unit: str = "") -> float:
    v = _num(form, name, lo, hi, unit)
    if v is None:
        raise InputError(name, "is required", accepted=f"{lo:g}-{hi:g} {unit}".strip())
    return v


def opt_int(form, name: str, lo: int, hi: int, unit: str = "") -> int | None:
    return _num(form, name, lo, hi, unit, cast=int)


_TICKED = ("on", "true", "1", "yes")
_UNTICKED = ("", "off", "false", "0", "no")


def checkbox(form, name: str) -> bool:
    """A checkbox: absent or one of ``off/false/0/no`` → False, ``on/true/1/yes`` → True.

    Anything else is refused (InputError naming the field) rather than read as "unticked": a client that
    sends ``pregnant=Y`` must not get the answer for a patient who is not pregnant.
    """
    raw = form.get(name)
    if raw is None:
        return False
    v = str(raw).strip().lower()
    if v in _TICKED:
        return True
    if v in _UNTICKED:
        return False
    raise InputError(
        name, "is not a checkbox value", accepted="on/off, true/false, 1/0, yes/no", value=str(raw)
    )
