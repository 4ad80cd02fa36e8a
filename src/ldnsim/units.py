"""Parsing of quantities people type: "4.5 mg", "250 ug", "1 mg/mL", "25 mcg/h", "72 h", "2 weeks".

All parsers return floats in ldnsim's canonical units: mass mg, time h, concentration mg/mL,
rate mg/h. Errors are :class:`~ldnsim.errors.InputError` naming the field.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from numbers import Integral
from typing import TypeVar

from .errors import InputError

__all__ = ["parse_mass", "parse_duration", "parse_concentration", "parse_rate", "check_range"]

_NUM = r"(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"

MASS_UNITS = {
    "mg": 1.0,
    "milligram": 1.0,
    "milligrams": 1.0,
    "g": 1000.0,
    "gram": 1000.0,
    "grams": 1000.0,
    "ug": 1e-3,
    "µg": 1e-3,
    "μg": 1e-3,
    "mcg": 1e-3,
    "microgram": 1e-3,
    "micrograms": 1e-3,
    "ng": 1e-6,
    "nanogram": 1e-6,
    "nanograms": 1e-6,
}
TIME_UNITS = {
    "min": 1 / 60,
    "mins": 1 / 60,
    "minute": 1 / 60,
    "minutes": 1 / 60,
    "h": 1.0,
    "hr": 1.0,
    "hrs": 1.0,
    "hour": 1.0,
    "hours": 1.0,
    "d": 24.0,
    "day": 24.0,
    "days": 24.0,
    "w": 168.0,
    "wk": 168.0,
    "wks": 168.0,
    "week": 168.0,
    "weeks": 168.0,
    "mo": 24.0 * 30.4375,
    "month": 24.0 * 30.4375,
    "months": 24.0 * 30.4375,
    "y": 24.0 * 365.25,
    "yr": 24.0 * 365.25,
    "year": 24.0 * 365.25,
    "years": 24.0 * 365.25,
}
VOLUME_UNITS = {"ml": 1.0, "l": 1000.0, "ul": 1e-3, "µl": 1e-3, "mcl": 1e-3}

_ACCEPT_MASS = "a number and a unit: mg, g, mcg/ug/µg, ng (e.g. '4.5 mg', '250 mcg')"
_ACCEPT_TIME = "a number and a unit: min, h, d, week(s), month(s), year(s) (e.g. '72 h', '2 weeks')"


_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")


def _commas(s: str, field: str, accepted: str, raw: object) -> str:
    """Resolve commas in a typed number: thousands separators, a decimal comma, or refuse the ambiguous.

    ``"12,500,000"`` and ``"1,500.5"`` use thousands separators; ``"4,5"`` and ``"0,500"`` use a decimal
    comma; ``"1,500"`` (one comma, exactly three digits after it) means 1500 in English and 1.5 in most of
    Europe — a 1000× difference in a dose — so it is refused (InputError → exit 2) with both readings named.
    """
    m = re.match(r"[-+]?[\d.,]+", s)
    if not m or "," not in m.group(0):
        return s
    num, rest = m.group(0), s[m.end():]
    if _THOUSANDS.fullmatch(num.lstrip("+-")) and (num.count(",") > 1 or "." in num):
        return num.replace(",", "") + rest
    if re.fullmatch(r"[-+]?\d+,\d+", num):
        whole, frac = num.split(",")
        if len(frac) == 3 and whole.lstrip("+-") not in ("0", ""):
            raise InputError(
                field,
                f"'{num}' is ambiguous: {num.replace(',', '')} (comma as thousands separator) or "
                f"{num.replace(',', '.')} (decimal comma)",
                accepted=f"write it without the comma, e.g. '{num.replace(',', '')}{rest}' or "
                f"'{num.replace(',', '.')}{rest}'; {accepted}",
                value=raw,
            )
        return num.replace(",", ".") + rest
    raise InputError(field, "cannot be parsed as a quantity", accepted=accepted, value=raw)


def _split(text: str | float | int, field: str, default_unit: str | None, accepted: str) -> tuple[float, str]:
    if isinstance(text, bool):
        raise InputError(field, "must be a quantity, not a boolean", accepted=accepted, value=text)
    if isinstance(text, int | float):
        if default_unit is None:
            raise InputError(field, "needs a unit", accepted=accepted, value=text)
        return float(text), default_unit
    s = _commas(str(text).strip().lower(), field, accepted, text)
    m = re.fullmatch(_NUM + r"\s*(?P<unit>[a-zµμ/%]*)", s)
    if not m:
        raise InputError(field, "cannot be parsed as a quantity", accepted=accepted, value=text)
    num = float(m.group("num"))
    unit = m.group("unit") or default_unit
    if not unit:
        raise InputError(field, "needs a unit", accepted=accepted, value=text)
    if not math.isfinite(num):
        raise InputError(field, "must be a finite number", accepted=accepted, value=text)
    return num, unit


def check_range(
    field: str, value: float, lo: float, hi: float, unit: str, *, lo_inclusive: bool = False
) -> float:
    """Raise InputError unless ``lo < value <= hi`` (or ``lo <= value`` with ``lo_inclusive``)."""
    ok_lo = value >= lo if lo_inclusive else value > lo
    if not (math.isfinite(value) and ok_lo and value <= hi):
        bound = "≥" if lo_inclusive else ">"
        raise InputError(field, "out of range", accepted=f"{bound} {lo:g} and ≤ {hi:g} {unit}", value=value)
    return value


def parse_mass(
    text: str | float,
    field: str = "dose",
    *,
    default_unit: str | None = None,
    lo: float = 0.0,
    hi: float = 2000.0,
) -> float:
    """Parse a mass to mg, e.g. ``"4.5 mg" -> 4.5``, ``"250 mcg" -> 0.25``; checks ``lo < mg <= hi``."""
    num, unit = _split(text, field, default_unit, _ACCEPT_MASS)
    if unit not in MASS_UNITS:
        raise InputError(field, f"unknown mass unit {unit!r}", accepted=_ACCEPT_MASS, value=text)
    return check_range(field, num * MASS_UNITS[unit], lo, hi, "mg")


def parse_duration(
    text: str | float,
    field: str = "duration",
    *,
    default_unit: str | None = None,
    lo: float = 0.0,
    hi: float = 24.0 * 365.25 * 50,
) -> float:
    """Parse a duration to hours, e.g. ``"2 weeks" -> 336.0``; checks ``lo < h <= hi``."""
    num, unit = _split(text, field, default_unit, _ACCEPT_TIME)
    if unit not in TIME_UNITS:
        raise InputError(field, f"unknown time unit {unit!r}", accepted=_ACCEPT_TIME, value=text)
    return check_range(field, num * TIME_UNITS[unit], lo, hi, "h")


def parse_concentration(
    text: str, field: str = "concentration", *, lo: float = 0.0, hi: float = 1000.0
) -> float:
    """Parse a concentration to mg/mL, e.g. ``"1 mg/mL" -> 1.0``, ``"500 mcg/ml" -> 0.5``."""
    accepted = "mass/volume, e.g. '1 mg/mL', '500 mcg/mL'"
    s = str(text).strip().lower()
    if "/" not in s:
        raise InputError(field, "must be mass per volume", accepted=accepted, value=text)
    mass, vol = s.split("/", 1)
    vol = vol.strip()
    m = re.fullmatch(_NUM + r"?\s*(?P<unit>[a-zµμ]+)", vol)
    if not m or m.group("unit") not in VOLUME_UNITS:
        raise InputError(field, f"unknown volume unit {vol!r}", accepted=accepted, value=text)
    per = float(m.group("num") or 1.0) * VOLUME_UNITS[m.group("unit")]
    if not (math.isfinite(per) and per > 0):
        raise InputError(field, "the volume must be a positive number", accepted=accepted, value=text)
    mg = parse_mass(mass, field, lo=0.0, hi=1e6)
    return check_range(field, mg / per, lo, hi, "mg/mL")


def parse_rate(text: str, field: str = "rate", *, lo: float = 0.0, hi: float = 100.0) -> float:
    """Parse a delivery rate to mg/h, e.g. ``"25 mcg/h" -> 0.025``, ``"1.2 mg/day" -> 0.05``."""
    accepted = "mass/time, e.g. '25 mcg/h', '1.2 mg/day'"
    s = str(text).strip().lower()
    if "/" not in s:
        raise InputError(field, "must be mass per time", accepted=accepted, value=text)
    mass, per = s.split("/", 1)
    per = per.strip()
    if per not in TIME_UNITS:
        raise InputError(field, f"unknown time unit {per!r}", accepted=accepted, value=text)
    mg = parse_mass(mass, field, lo=0.0, hi=1e6)
    return check_range(field, mg / TIME_UNITS[per], lo, hi, "mg/h")


SEED_MAX = 2**63 - 1
_ACCEPT_SEED = f"an integer 0-{SEED_MAX}"


def check_seed(seed: object, field: str = "seed") -> int | None:
    """A random seed: ``None`` or an integer ``0 ≤ seed ≤ 2**63-1`` (numpy refuses negative seeds)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, Integral):  # numpy integers included
        raise InputError(field, "must be an integer", accepted=_ACCEPT_SEED, value=seed)
    if not 0 <= int(seed) <= SEED_MAX:
        raise InputError(field, "out of range", accepted=_ACCEPT_SEED, value=int(seed))
    return int(seed)


# Calendar dates in clinical planning: far enough either side of today for any real patient, and
# leaving room for the planning arithmetic (weeks of titration, months of washout) without overflow.
DATE_MIN = (1900, 1, 1)
DATE_MAX = (2199, 12, 31)
_ACCEPT_DATE = f"a date between {DATE_MIN[0]}-01-01 and {DATE_MAX[0]}-12-31"


_D = TypeVar("_D", bound=_dt.date)


def check_date(value: _D, field: str) -> _D:
    """Raise InputError unless a ``date``/``datetime`` lies within 1900-01-01 … 2199-12-31."""
    d = value.date() if isinstance(value, _dt.datetime) else value
    if not (_dt.date(*DATE_MIN) <= d <= _dt.date(*DATE_MAX)):
        raise InputError(field, "date out of range", accepted=_ACCEPT_DATE, value=value.isoformat())
    return value
