"""Dates for people: sanity checks against today, and answers phrased as the dose to skip or take.

A pharmacist wants "last bedtime dose: Wed 26 Nov 2026", not "2026-11-27T02:00". Times keep the time zone
written in the input (``+01:00``); a time without one is called "local time (no time zone given)".
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from ..errors import InputError

__all__ = [
    "parse_time",
    "now_like",
    "day_text",
    "when_text",
    "last_dose_at_clock",
    "first_dose_at_clock",
    "parse_clock",
    "date_warnings",
    "YEAR_RANGE",
]

#: dates outside these years are typing errors, not plans
YEAR_RANGE = (1900, 2200)


def parse_time(text: str | datetime, field: str) -> datetime:
    """ISO 8601 date-time (``2026-12-01T08:00``, offset optional) → datetime; InputError naming ``field``."""
    if isinstance(text, datetime):
        dt = text
    else:
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
    if not (YEAR_RANGE[0] <= dt.year <= YEAR_RANGE[1]):
        raise InputError(
            field,
            "year out of range",
            value=str(text),
            accepted=f"a date in the years {YEAR_RANGE[0]}–{YEAR_RANGE[1]}",
        )
    return dt


def parse_clock(text: str | None, field: str = "dose_time", default: str = "22:00") -> time:
    """ "22:00" → time(22, 0): the usual time of the patient's dose (LDN is usually taken at bedtime)."""
    s = str(text or default).strip()
    try:
        return time.fromisoformat(s if len(s) > 2 else f"{int(s):02d}:00")
    except ValueError:
        raise InputError(
            field, "cannot be parsed as a clock time", value=text, accepted="HH:MM, e.g. 22:00"
        ) from None


def now_like(dt: datetime, now: datetime | None = None) -> datetime:
    """``now`` (default: the current time) in the same awareness as ``dt`` (naive stays naive)."""
    if now is None:
        now = datetime.now(UTC) if dt.tzinfo else datetime.now()
    if dt.tzinfo and now.tzinfo is None:
        now = now.replace(tzinfo=dt.tzinfo)
    if dt.tzinfo is None and now.tzinfo is not None:
        now = now.astimezone().replace(tzinfo=None)
    return now


def _zone(dt: datetime) -> str:
    if dt.tzinfo is None:
        return "local time (no time zone given)"
    off = dt.utcoffset() or timedelta(0)
    mins = int(off.total_seconds() // 60)
    sign = "+" if mins >= 0 else "-"
    return f"UTC{sign}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}"


def day_text(dt: datetime) -> str:
    """ "Wed 26 Nov 2026"."""
    return f"{dt:%a} {dt.day} {dt:%b %Y}"


def when_text(dt: datetime) -> str:
    """ "Wed 26 Nov 2026, 08:00 (UTC+01:00)"."""
    return f"{day_text(dt)}, {dt.strftime('%H:%M')} ({_zone(dt)})"


def last_dose_at_clock(deadline: datetime, clock: time) -> datetime:
    """The latest dose taken at the usual ``clock`` time that is not after ``deadline``."""
    cand = deadline.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    if cand > deadline:
        cand -= timedelta(days=1)
    return cand


def first_dose_at_clock(earliest: datetime, clock: time) -> datetime:
    """The first dose at the usual ``clock`` time that is not before ``earliest``."""
    cand = earliest.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    if cand < earliest:
        cand += timedelta(days=1)
    return cand


def date_warnings(
    dt: datetime, field: str, *, expect: str, now: datetime | None = None, horizon_days: float = 730.0
) -> list[str]:
    """Warnings when ``dt`` is on the wrong side of today (``expect`` = "future" or "past")."""
    ref = now_like(dt, now)
    out = []
    if expect == "future" and dt < ref:
        out.append(
            f"WARNING: {field} {when_text(dt)} is in the past (today is {day_text(ref)}); check the date — "
            "the plan below is computed for the date as given."
        )
    if expect == "future" and dt - ref > timedelta(days=horizon_days):
        out.append(
            f"WARNING: {field} {when_text(dt)} is more than {horizon_days / 365.25:.0f} years ahead; "
            "check the year."
        )
    if expect == "past" and dt > ref:
        out.append(
            f"WARNING: {field} {when_text(dt)} is in the future (today is {day_text(ref)}); a last dose "
            "cannot have happened yet — check the date; the plan is computed for the date as given."
        )
    if expect == "past" and ref - dt > timedelta(days=horizon_days):
        out.append(
            f"WARNING: {field} {when_text(dt)} is more than {horizon_days / 365.25:.0f} years ago; "
            "check the year."
        )
    return out
