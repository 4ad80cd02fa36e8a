"""Validated diary records (pydantic): what a patient may enter, with units and accepted ranges.

Every model here refuses bad values with :class:`ldnsim.errors.InputError` naming the field and the
accepted range (through :func:`validate`), before anything touches the database — so a refused entry
never replaces or damages what is already stored.

Units and scales
----------------
- ``pain_avg``, ``pain_worst``: pain on the 0–10 numeric rating scale (NRS), average and worst of the day.
- ``sleep``: sleep quality 0 (worst) – 10 (best); ``fatigue`` 0 (none) – 10 (worst);
  ``mood`` 0 (worst) – 10 (best).
- ``dose_mg``: naltrexone taken that day, mg (0–50; LDN is usually 0.5–4.5 mg; 50 mg is the standard
  tablet, anything above is refused as an entry error). ``dose_time``: clock time "HH:MM" (24 h).
- ``missed_dose``: the dose of that day was not taken (then ``dose_mg`` must be empty or 0).
- side effects: booleans ``vivid_dreams``, ``insomnia``, ``headache``, ``nausea``.
- ``other_medications``: free-text entries, screened with :func:`ldnsim.clinical.screen.screen_entry`.
- ``date``: the diary day (ISO date); never in the future.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import InputError
from .instruments import FIQR_N_ITEMS, PROMIS_PI_FORMS

__all__ = ["PatientIn", "DailyEntry", "PromisPI", "FIQR", "validate", "MAX_DOSE_MG", "PATIENT_ID_RE"]

#: highest naltrexone dose accepted in a diary entry (mg): the standard 50 mg tablet
MAX_DOSE_MG = 50.0
PATIENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

Score10 = Annotated[float, Field(ge=0, le=10)]


def _today() -> dt.date:
    return dt.date.today()


def _not_future(v: dt.date) -> dt.date:
    if v > _today():
        raise ValueError("the date is in the future")
    return v


#: A diary/questionnaire day: never in the future (one rule for every record type).
PastDate = Annotated[dt.date, AfterValidator(_not_future)]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatientIn(_Base):
    """A patient of the store. ``patient_id``: 1–64 letters, digits, ``_ . -`` (a pseudonym, not a name)."""

    patient_id: str = Field(pattern=PATIENT_ID_RE.pattern)
    clinician_id: str | None = Field(default=None, max_length=128)
    condition: str = Field(default="fibromyalgia", max_length=64)
    ldn_start: dt.date | None = None
    notes: str | None = Field(default=None, max_length=10_000)


class DailyEntry(_Base):
    """One diary day (see the module docstring for units and ranges)."""

    date: PastDate
    pain_avg: Score10 | None = None
    pain_worst: Score10 | None = None
    sleep: Score10 | None = None
    fatigue: Score10 | None = None
    mood: Score10 | None = None
    dose_mg: float | None = Field(default=None, ge=0, le=MAX_DOSE_MG)
    dose_time: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    missed_dose: bool = False
    vivid_dreams: bool = False
    insomnia: bool = False
    headache: bool = False
    nausea: bool = False
    other_medications: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=10_000)

    @field_validator("other_medications", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [s.strip() for s in v.split(";") if s.strip()]
        return v or []

    @model_validator(mode="after")
    def _consistent(self) -> DailyEntry:
        if self.pain_avg is not None and self.pain_worst is not None and self.pain_worst < self.pain_avg:
            raise ValueError("pain_worst: the worst pain is below the average pain of the same day")
        if self.missed_dose and self.dose_mg:
            raise ValueError("dose_mg: a dose is given on a day marked missed_dose")
        return self


class PromisPI(_Base):
    """A weekly PROMIS Pain Interference short form (4a, 6a or 8a): item code → response 1–5."""

    week_start: PastDate
    form: str = "6a"
    responses: dict[str, int]

    @model_validator(mode="after")
    def _items(self) -> PromisPI:
        if self.form not in PROMIS_PI_FORMS:
            raise ValueError(
                f"form: unknown PROMIS Pain Interference form (accepted: {', '.join(PROMIS_PI_FORMS)})"
            )
        want = [c for c, _ in PROMIS_PI_FORMS[self.form]]
        if sorted(self.responses) != sorted(want):
            raise ValueError(f"responses: form {self.form} needs exactly the items {', '.join(want)}")
        for k, r in self.responses.items():
            if not 1 <= int(r) <= 5:
                raise ValueError(f"responses.{k}: response must be 1-5 (got {r})")
        return self


class FIQR(_Base):
    """Revised Fibromyalgia Impact Questionnaire: the 21 item values 0–10 (item order of Bennett 2009)."""

    date: PastDate
    items: list[Score10] = Field(min_length=FIQR_N_ITEMS, max_length=FIQR_N_ITEMS)


_ACCEPTED = {
    "pain_avg": "0-10 NRS",
    "pain_worst": "0-10 NRS",
    "sleep": "0-10",
    "fatigue": "0-10",
    "mood": "0-10",
    "dose_mg": f"0-{MAX_DOSE_MG:g} mg naltrexone",
    "dose_time": "HH:MM (24 h)",
    "date": "an ISO date (YYYY-MM-DD), today or earlier",
    "week_start": "an ISO date, today or earlier",
    "patient_id": "1-64 letters, digits, '_', '.', '-'",
    "items": "21 values, each 0-10",
}


def validate(model: type[BaseModel], data: Any, *, prefix: str = "") -> Any:
    """``model.model_validate(data)``, turning a pydantic error into an :class:`InputError` that names
    the (first) offending field and its accepted range."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        msg = str(err.get("msg", "invalid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        field = loc
        m = re.match(r"^([A-Za-z_][\w.]*): (.*)$", msg)
        if not field and m:
            field, msg = m.group(1), m.group(2)
        field = field or model.__name__
        top = field.split(".")[0]
        more = f" (+{len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise InputError(
            prefix + field,
            msg + more,
            accepted=_ACCEPTED.get(top),
            value=err.get("input") if not isinstance(err.get("input"), dict) else None,
        ) from None
