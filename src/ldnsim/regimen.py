"""Regimens: dose events, schedules, titrations, holds and co-medications.

A :class:`Regimen` is a list of :class:`RegimenItem` s (one repeating schedule each: a drug, a dose, an
interval, a time window) plus hold windows. ``Regimen.events(until_h)`` expands it into the sorted list
of :class:`DoseEvent` s that the PK layer consumes. Time 0 is the first dose of the whole regimen; all
times are hours.

Text form (``Regimen.parse``)
-----------------------------
One regimen is one or more *co-medications* separated by ``+``, ``;`` or a new line (or ``and``/``with``
when every piece has its own amount). Each co-medication
is one or more *titration steps* separated by ``then`` (``, then``); a later step may leave out the drug,
the frequency and the formulation, which it then takes from the step before, and it starts when the
step before stops (every step but the last needs a ``for …`` duration). One step is::

    DRUG  AMOUNT  [FORMULATION]  FREQUENCY  [at HH:MM]  [for DURATION | for N doses | x N]  [from START]

with the clauses after the amount in any order. Words that are not understood are an error, never
dropped.

``DRUG``
    the drug name, case-insensitive (``Naltrexone``, ``morphine``, ``fentanyl``); resolved through
    ``ldnsim.pk.resolve_drug`` where the PK layer provides it, so synonyms and "did you mean" work.
``AMOUNT``
    a mass per dose — ``4.5 mg``, ``1 ug``/``1 mcg``/``1 µg``/``1 microgram``, ``0.5 g`` — or, for patches
    and infusions, a delivery rate — ``25 mcg/h``, ``2 mg/h``, ``1.2 mg/day``. Doses must lie in
    (0, 2000] mg.
``FORMULATION``
    default: the drug file's ``default_formulation`` (``ir`` for oral drugs, ``sl`` for buprenorphine);
    a formulation the drug file does not have is an error.
    ``ir`` (also ``tablet``, ``capsule``, ``oral``, ``po``), ``sr`` (``er``, ``xr``, ``cr``,
    ``slow release``, ``extended release``), ``liquid`` (``solution``, ``syrup``, ``drops``), ``sl``
    (``sublingual``), ``iv`` (``intravenous``, ``infusion``), ``patch`` (``transdermal``, ``td``).
    A rate (``mcg/h``) needs ``patch`` or ``iv``/``infusion``.
``FREQUENCY``
    ``daily``/``once daily``/``qd``/``od``/``every day`` (24 h); ``nightly``/``qhs``/``at bedtime``/
    ``every night``/``at night`` (24 h at 22:00); ``every morning``/``in the morning``/``mane``/``qam``
    (24 h at 08:00); ``bid``/``twice daily``/``q12h`` (12 h); ``tid``/``three times daily``/``q8h``
    (8 h); ``qid``/``four times daily``/``q6h`` (6 h); ``qNh``/``q N h``/``every N hours`` (N h);
    ``every N days``/``qNd``, ``every other day``/``qod`` (48 h); ``weekly``/``once weekly``/
    ``every N weeks``; ``once``/``single dose``/``stat`` (one dose). An infusion given as a rate
    ``for`` a duration with no frequency is one continuous infusion.
``at HH:MM``
    clock time of the dose (``at 22:00``, ``at 8am``). Clock times only place items relative to each
    other: t = 0 is the clock time of the first item's first dose (``Regimen.origin_clock``).
``for DURATION``
    ``for 10 days``, ``for 12 weeks``, ``for 3 months``, ``for 48 h``, ``x 2 weeks``: the item's window is
    [start, start + duration); doses fall at start, start + interval, … inside it. ``for 5 doses`` or
    ``x 5`` gives a dose count instead.
``from START``
    ``from day 20``, ``from week 2``, ``from hour 6``, ``after 3 days``: the window starts that long after
    t = 0 (day 0 is the day of the first dose, so ``from day 20`` is 480 h).

Patches: ``fentanyl 25 mcg/h patch q72h`` gives one :class:`DoseEvent` per patch with
``duration_h = 72`` (the wear time, = the change interval) and ``dose_mg = 0.025 mg/h × 72 h = 1.8 mg``,
``formulation="patch"``. Infusions: ``morphine 2 mg/h infusion for 24 h`` gives one event of 48 mg over
24 h, ``formulation="iv"``.

Examples::

    naltrexone 4.5 mg nightly
    naltrexone 50 mg daily
    oxycodone 5 mg q6h for 10 days from day 20
    fentanyl 25 mcg/h patch q72h
    naltrexone 1 ug twice daily
    naltrexone 1.5 mg nightly for 2 weeks, then 3 mg nightly for 2 weeks, then 4.5 mg nightly
    naltrexone 4.5 mg nightly + morphine 30 mg q12h
    naltrexone 4.5 mg liquid nightly; dextromethorphan 30 mg q8h

Holds: ``Regimen.hold(from_h, to_h, drug=None)`` returns a regimen in which doses of ``drug`` (all
drugs when None) scheduled in [from_h, to_h) are skipped (not moved), and patches/infusions running
into the hold are removed at ``from_h`` (their dose is cut in proportion to the time worn).

YAML (``Regimen.from_yaml`` / ``Regimen.to_dict``)::

    origin_clock: "22:00"          # optional
    items:
      - "naltrexone 4.5 mg nightly"                      # text form, or a mapping:
      - {drug: morphine, dose: 30 mg, frequency: q12h, for: 10 days, from: 2 days}
      - {drug: fentanyl, rate: 25 mcg/h, formulation: patch, every: 72 h}
      - {drug: naltrexone, dose_mg: 4.5, interval_h: 24, start_h: 0, stop_h: 2016, clock: "22:00"}
      - steps: ["naltrexone 1.5 mg nightly for 2 weeks", "3 mg for 2 weeks", "4.5 mg"]
    holds:
      - {from: 10 days, to: 13 days, drug: naltrexone}

``to_dict`` writes the canonical numeric keys (``dose_mg``, ``interval_h``, ``start_h``, ``stop_h``,
``n_doses``, ``formulation``, ``duration_h``, ``clock``) so that ``from_dict(to_dict())`` reproduces
the same events exactly.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import InputError, LdnsimError, UnknownNameError
from .units import MASS_UNITS, TIME_UNITS, parse_duration, parse_mass, parse_rate

__all__ = ["DoseEvent", "RegimenItem", "Hold", "Regimen", "parse_regimen", "MAX_DOSE_MG"]

MAX_DOSE_MG = 2000.0
MAX_EVENTS = 5_000_000
_MIN_INTERVAL_H = 1.0 / 60.0
_MAX_H = 24.0 * 365.25 * 50

ACCEPT_DOSE = (
    "a mass per dose in (0, 2000] mg, e.g. '4.5 mg', '250 mcg', '1 ug'; "
    "or a rate for a patch/infusion, e.g. '25 mcg/h'"
)
ACCEPT_FREQ = (
    "daily, once daily, qd, od, nightly, qhs, at bedtime, every morning, bid, twice daily, tid, qid, "
    "q12h, q8h, q6h, qNh, every N hours, every N days, every other day, weekly, every N weeks, once"
)
ACCEPT_DURATION = "'for N hours|days|weeks|months', 'for N doses' or 'x N'"
ACCEPT_START = "'from day N', 'from week N', 'from hour N', 'after N days'"
ACCEPT_FORM = (
    "ir, sr, liquid, sl, iv, patch (and synonyms: tablet, er, solution, sublingual, infusion, transdermal)"
)


@dataclass(frozen=True, slots=True)
class DoseEvent:
    """One administration.

    time_h: hours from the first dose (t = 0).
    drug: drug id as in ``ldnsim/data/drugs/<id>.yaml``.
    dose_mg: labelled amount (mg) delivered by this event, as prescribed (the salt named in the drug
        file's ``dose_basis``, e.g. naltrexone HCl; the PK layer converts it to base).
    formulation: formulation key in the drug file (``ir``, ``sr``, ``liquid``, ``iv``, ``patch`` …).
    duration_h: 0 for a bolus/oral dose; > 0 for zero-order input over that time (patch, infusion).
    """

    time_h: float
    drug: str
    dose_mg: float
    formulation: str = "ir"
    duration_h: float = 0.0


# --------------------------------------------------------------------------------------------- helpers


def resolve_drug_name(name: str) -> str:
    """Canonical drug id for a name typed by a person (case-insensitive; synonyms and "did you mean"
    through :func:`ldnsim.pk.resolve_drug`)."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            "regimen.drug", "a drug name is needed", accepted="a drug id such as 'naltrexone'", value=name
        )
    from .pk import known_drugs, resolve_drug  # lazy: the PK layer sits below the regimen layer's users

    key = re.sub(r"\s+", " ", name.strip().lower())
    try:
        return resolve_drug(key)
    except UnknownNameError:
        raise UnknownNameError("regimen.drug", name.strip(), known_drugs()) from None


def drug_formulations(drug_id: str) -> tuple[tuple[str, ...], str] | None:
    """(formulation keys, default formulation) from the drug file, or None when there is no drug file
    (a drug the catalogue does not know yet)."""
    from .pk import load_drug

    try:
        spec = load_drug(drug_id)
    except LdnsimError:
        return None
    return tuple(spec.formulations), str(spec.default_formulation or next(iter(spec.formulations)))


def default_formulation(drug_id: str) -> str:
    """The drug file's default formulation, or ``"ir"``."""
    known = drug_formulations(drug_id)
    return known[1] if known else "ir"


def _parse_clock(value: Any, field_name: str = "regimen.clock") -> str | None:
    """'22:00', '22', '10pm', '8 am', 22 → 'HH:MM' (24-hour)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(field_name, "not a clock time", accepted="HH:MM, e.g. '22:00' or '8am'", value=value)
    if isinstance(value, int) and 24 <= value < 1440:
        h, m = divmod(value, 60)  # YAML 1.1 reads an unquoted 22:00 as the sexagesimal integer 1320
    elif isinstance(value, int | float):
        h, m = int(value), int(round((float(value) - int(value)) * 60))
    else:
        s = str(value).strip().lower().replace(" ", "")
        mt = re.fullmatch(r"(\d{1,2})(?::|\.|h)?(\d{2})?(am|pm)?", s)
        if not mt:
            raise InputError(
                field_name, "not a clock time", accepted="HH:MM, e.g. '22:00' or '8am'", value=value
            )
        h, m = int(mt.group(1)), int(mt.group(2) or 0)
        if mt.group(3):
            if not 1 <= h <= 12:
                raise InputError(field_name, "not a clock time", accepted="1-12 with am/pm", value=value)
            h = (h % 12) + (12 if mt.group(3) == "pm" else 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise InputError(field_name, "not a clock time", accepted="00:00-23:59", value=value)
    return f"{h:02d}:{m:02d}"


def _clock_hours(clock: str) -> float:
    h, m = clock.split(":")
    return int(h) + int(m) / 60.0


def _finite(field_name: str, value: Any, accepted: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(field_name, "must be a number", accepted=accepted, value=value) from None
    if isinstance(value, bool) or not math.isfinite(v):
        raise InputError(field_name, "must be a finite number", accepted=accepted, value=value)
    return v


# --------------------------------------------------------------------------------------------- items


@dataclass(frozen=True)
class RegimenItem:
    """One repeating schedule of one drug.

    drug: drug id (resolved case-insensitively).
    dose_mg: amount per administration (mg; for a patch/infusion, the amount delivered over ``duration_h``).
    interval_h: hours between administrations; ``None`` for a single administration.
    start_h: start of the item's window (h after t = 0).
    stop_h: end of the window, exclusive (no dose at or after it); ``None`` = open-ended.
    n_doses: alternatively, the number of administrations.
    formulation: formulation key (``ir``, ``sr``, ``liquid``, ``sl``, ``iv``, ``patch``).
    duration_h: 0 for a bolus/oral dose; > 0 for zero-order delivery over that time (patch wear, infusion).
    clock: ``"HH:MM"`` clock time of the doses, or ``None``; see :attr:`Regimen.origin_clock`.
    """

    drug: str
    dose_mg: float
    interval_h: float | None = 24.0
    start_h: float = 0.0
    stop_h: float | None = None
    n_doses: int | None = None
    formulation: str | None = None
    duration_h: float = 0.0
    clock: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "drug", resolve_drug_name(self.drug))
        dose = _finite("regimen.dose", self.dose_mg, ACCEPT_DOSE)
        if not (0.0 < dose <= MAX_DOSE_MG):
            problem = (
                "must be positive" if dose <= 0 else f"is implausibly large (> {MAX_DOSE_MG:g} mg per dose)"
            )
            raise InputError("regimen.dose", problem, accepted=ACCEPT_DOSE, value=self.dose_mg)
        set_(self, "dose_mg", dose)
        if self.interval_h is not None:
            iv = _finite("regimen.frequency", self.interval_h, ACCEPT_FREQ)
            if not (_MIN_INTERVAL_H <= iv <= _MAX_H):
                raise InputError(
                    "regimen.frequency",
                    "dosing interval out of range",
                    accepted="an interval between 1 min and 50 years; " + ACCEPT_FREQ,
                    value=iv,
                )
            set_(self, "interval_h", iv)
        start = _finite("regimen.start", self.start_h, ACCEPT_START)
        if not (0.0 <= start <= _MAX_H):
            raise InputError(
                "regimen.start",
                "must be ≥ 0 h (time 0 is the first dose of the regimen)",
                accepted=ACCEPT_START,
                value=self.start_h,
            )
        set_(self, "start_h", start)
        if self.stop_h is not None:
            stop = _finite("regimen.duration", self.stop_h, ACCEPT_DURATION)
            if not (stop > start and stop <= 2 * _MAX_H):
                raise InputError(
                    "regimen.duration",
                    "the item must stop after it starts",
                    accepted=ACCEPT_DURATION,
                    value=f"start {start:g} h, stop {stop:g} h",
                )
            set_(self, "stop_h", stop)
        if self.n_doses is not None:
            if isinstance(self.n_doses, bool) or int(self.n_doses) != self.n_doses or self.n_doses < 1:
                raise InputError(
                    "regimen.duration",
                    "number of doses must be a whole number ≥ 1",
                    accepted=ACCEPT_DURATION,
                    value=self.n_doses,
                )
            set_(self, "n_doses", int(self.n_doses))
        if self.interval_h is None and self.n_doses not in (None, 1):
            raise InputError(
                "regimen.frequency",
                "several doses need an interval",
                accepted=ACCEPT_FREQ,
                value=f"{self.n_doses} doses",
            )
        dur = _finite("regimen.duration_h", self.duration_h, "≥ 0 h")
        if dur < 0 or dur > _MAX_H:
            raise InputError("regimen.duration_h", "delivery time must be ≥ 0 h", accepted="≥ 0 h", value=dur)
        set_(self, "duration_h", dur)
        if self.formulation is None:
            set_(self, "formulation", default_formulation(self.drug))
        if not isinstance(self.formulation, str) or not self.formulation.strip():
            raise InputError(
                "regimen.formulation", "a formulation is needed", accepted=ACCEPT_FORM, value=self.formulation
            )
        form = self.formulation.strip().lower()
        set_(self, "formulation", _FORM_ALIASES.get(form, form))
        known = drug_formulations(self.drug)
        if known is not None and self.formulation not in known[0]:
            raise InputError(
                "regimen.formulation",
                f"{self.drug} has no {self.formulation!r} formulation in its drug file",
                accepted=", ".join(known[0]),
                value=self.formulation,
            )
        if self.formulation == "patch" and dur <= 0:
            raise InputError(
                "regimen.duration_h", "a patch needs a wear time", accepted="> 0 h, e.g. 72", value=dur
            )
        set_(self, "clock", _parse_clock(self.clock))

    # .................................................................................. schedule
    @property
    def finite(self) -> bool:
        """True when the item ends by itself (stop, dose count, or a single dose)."""
        return self.stop_h is not None or self.n_doses is not None or self.interval_h is None

    def first_dose_h(self, origin_clock: str | None = None) -> float:
        """Time of the first administration: ``start_h``, moved forward to the item's clock time (if any)."""
        if self.clock is None or origin_clock is None:
            return self.start_h
        wall = _clock_hours(origin_clock) + self.start_h
        return self.start_h + ((_clock_hours(self.clock) - wall) % 24.0)

    def dose_times(self, until_h: float | None = None, origin_clock: str | None = None) -> list[float]:
        """Administration times (h) in the item's window and before ``until_h`` (if given)."""
        t0 = self.first_dose_h(origin_clock)
        end = math.inf if self.stop_h is None else self.stop_h
        if until_h is not None:
            end = min(end, until_h)
        if self.interval_h is None:
            n = 1
        else:
            n = math.inf if self.n_doses is None else self.n_doses
            if math.isfinite(end):
                # doses at t0 + k*iv < end; small tolerance so that 336 h windows give exactly 14 daily doses
                n_window = max(0, math.ceil((end - t0) / self.interval_h - 1e-9))
                n = min(n, n_window)
        if not math.isfinite(n):
            raise InputError(
                "regimen.until",
                "an open-ended regimen needs an end time for its events",
                accepted="events(until_h=...) or a 'for …' duration",
                value=None,
            )
        if n > MAX_EVENTS:
            raise InputError("regimen.until", f"too many dose events ({n:g})", accepted=f"≤ {MAX_EVENTS}")
        if n >= 1 and t0 >= end:
            return []
        iv = self.interval_h or 0.0
        return [t0 + k * iv for k in range(int(n))]

    def to_dict(self) -> dict[str, Any]:
        """Canonical mapping (numbers in mg and h); ``None`` fields left out."""
        d: dict[str, Any] = {
            "drug": self.drug,
            "dose_mg": self.dose_mg,
            "interval_h": self.interval_h,
            "start_h": self.start_h,
        }
        for key in ("stop_h", "n_doses", "clock"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        d["formulation"] = self.formulation
        if self.duration_h:
            d["duration_h"] = self.duration_h
        return d

    def to_text(self) -> str:
        """A text form that :meth:`Regimen.parse` reads back to the same schedule (start/stop in hours)."""
        if self.duration_h > 0:
            rate = self.dose_mg / self.duration_h
            amount = f"{_fmt(rate)} mg/h" if rate >= 1.0 else f"{_fmt(rate * 1000.0)} mcg/h"
        else:
            amount = f"{_fmt(self.dose_mg)} mg"
        parts = [self.drug, amount]
        if self.formulation != "ir" or self.duration_h > 0:
            parts.append(self.formulation)
        parts.append("once" if self.interval_h is None else f"q{_fmt(self.interval_h)}h")
        if self.interval_h is None and self.duration_h > 0:
            parts.append(f"for {_fmt(self.duration_h)} h")
        if self.clock:
            parts.append(f"at {self.clock}")
        if self.n_doses is not None and self.interval_h is not None:
            parts.append(f"for {self.n_doses} doses")
        if self.stop_h is not None:
            parts.append(f"for {_fmt(self.stop_h - self.start_h)} h")
        if self.start_h:
            parts.append(f"from hour {_fmt(self.start_h)}")
        if (
            self.duration_h > 0
            and self.interval_h is not None
            and abs(self.duration_h - self.interval_h) > 1e-12
        ):
            parts.append(f"worn {_fmt(self.duration_h)} h")
        return " ".join(parts)


def _fmt(x: float) -> str:
    return f"{x:.12g}"


@dataclass(frozen=True)
class Hold:
    """Doses of ``drug`` (all drugs when None) in [from_h, to_h) are skipped; patches come off at from_h."""

    from_h: float
    to_h: float
    drug: str | None = None

    def __post_init__(self) -> None:
        a = _finite("regimen.hold", self.from_h, "from_h < to_h, hours ≥ 0")
        b = _finite("regimen.hold", self.to_h, "from_h < to_h, hours ≥ 0")
        if not (0.0 <= a < b):
            raise InputError(
                "regimen.hold",
                "a hold needs 0 ≤ from < to",
                accepted="from_h < to_h, hours ≥ 0",
                value=f"{a:g}-{b:g} h",
            )
        object.__setattr__(self, "from_h", a)
        object.__setattr__(self, "to_h", b)
        if self.drug is not None:
            object.__setattr__(self, "drug", resolve_drug_name(self.drug))

    def applies(self, drug: str) -> bool:
        return self.drug is None or self.drug == drug

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"from_h": self.from_h, "to_h": self.to_h}
        if self.drug is not None:
            d["drug"] = self.drug
        return d


# --------------------------------------------------------------------------------------------- regimen


@dataclass(frozen=True)
class Regimen:
    """Dose schedules of one patient (co-medications, titration steps) and hold windows.

    origin_clock: clock time ("HH:MM") of t = 0. ``None`` (default): the clock of the first item that has
    one, so that the regimen's first clocked dose is at t = 0 (``naltrexone 4.5 mg nightly`` → 22:00).
    """

    items: tuple[RegimenItem, ...] = ()
    holds: tuple[Hold, ...] = ()
    origin_clock: str | None = field(default=None)

    def __post_init__(self) -> None:
        items = tuple(self.items) if not isinstance(self.items, RegimenItem) else (self.items,)
        for it in items:
            if not isinstance(it, RegimenItem):
                raise InputError("regimen.items", "must be RegimenItem objects", value=type(it).__name__)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "holds", tuple(self.holds))
        object.__setattr__(self, "origin_clock", _parse_clock(self.origin_clock, "regimen.origin_clock"))

    # .................................................................................. construction
    @classmethod
    def parse(cls, text: str) -> Regimen:
        """Parse the text form (see the module docstring)."""
        return parse_regimen(text)

    @classmethod
    def from_dict(cls, doc: Any) -> Regimen:
        """Build from a mapping ``{items: [...], holds: [...], origin_clock: ...}``, an item list, or text."""
        return _from_doc(doc)

    @classmethod
    def from_yaml(cls, text_or_path: str | Path) -> Regimen:
        """Load YAML text or a ``.yaml``/``.yml`` file path (see the module docstring for the format)."""
        if isinstance(text_or_path, Path) or (
            isinstance(text_or_path, str)
            and "\n" not in text_or_path
            and text_or_path.strip().lower().endswith((".yaml", ".yml"))
        ):
            from ._io import read_text_bounded

            text = read_text_bounded(Path(text_or_path), "regimen.file")
        else:
            text = str(text_or_path)
        from ._io import loads_yaml  # bounded depth, no aliases, finite numbers

        return _from_doc(loads_yaml(text, "regimen.yaml"))

    def to_dict(self) -> dict[str, Any]:
        """Canonical mapping; ``Regimen.from_dict(r.to_dict())`` gives the same events."""
        d: dict[str, Any] = {"items": [it.to_dict() for it in self.items]}
        if self.holds:
            d["holds"] = [h.to_dict() for h in self.holds]
        if self.origin_clock is not None:
            d["origin_clock"] = self.origin_clock
        return d

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def to_text(self) -> str:
        """Text form of the items ("; "-separated, absolute windows). Holds are not part of the text form."""
        return "; ".join(it.to_text() for it in self.items)

    # .................................................................................. combination
    def __add__(self, other: Regimen | RegimenItem | str) -> Regimen:
        other = _as_regimen(other)
        return Regimen(
            self.items + other.items,
            self.holds + other.holds,
            self.origin_clock if self.origin_clock is not None else other.origin_clock,
        )

    def __radd__(self, other: Regimen | RegimenItem | str) -> Regimen:
        return _as_regimen(other) + self

    @classmethod
    def titration(
        cls,
        drug: str,
        *,
        start: str | float,
        step: str | float,
        every: str | float,
        target: str | float,
        frequency: str = "nightly",
        formulation: str | None = None,
        hold_target_for: str | float | None = None,
        start_h: float = 0.0,
    ) -> Regimen:
        """A stepwise up-titration: ``start`` mg, raised by ``step`` mg ``every`` (duration), until
        ``target`` mg (the last step is cut to the target), then the target open-ended (or for
        ``hold_target_for``).

        Doses are text (``"1 mg"``, ``"500 mcg"``) or mg; ``every`` is text (``"1 week"``) or hours.
        Example (LDN Research Trust standard preset, clinical_guidance.md §1): 1 mg, +1 mg weekly to 4.5 mg:
        ``Regimen.titration("naltrexone", start="1 mg", step="1 mg", every="1 week", target="4.5 mg")``.
        """

        def mg(x: str | float, name: str) -> float:
            if isinstance(x, int | float) and not isinstance(x, bool):
                return float(x)
            return parse_mass(x, f"regimen.titration.{name}", hi=MAX_DOSE_MG)

        def hours(x: str | float, name: str) -> float:
            if isinstance(x, int | float) and not isinstance(x, bool):
                return float(x)
            return parse_duration(x, f"regimen.titration.{name}")

        d0, dstep, dmax = mg(start, "start"), mg(step, "step"), mg(target, "target")
        every_h = hours(every, "every")
        if not (0 < d0 <= dmax <= MAX_DOSE_MG) or dstep <= 0:
            raise InputError(
                "regimen.titration",
                "needs 0 < start <= target and step > 0",
                accepted="e.g. start 1 mg, step 1 mg, target 4.5 mg",
                value=f"start {d0:g}, step {dstep:g}, target {dmax:g} mg",
            )
        n_steps = math.ceil((dmax - d0) / dstep - 1e-9)
        if n_steps > 1000:
            raise InputError("regimen.titration", "too many steps", accepted="≤ 1000", value=n_steps)
        interval, clock = _freq_from_text(frequency)
        if interval is None:
            raise InputError("regimen.frequency", "a titration needs a repeating dose", accepted=ACCEPT_FREQ)
        drug_id = resolve_drug_name(drug)
        items: list[RegimenItem] = []
        t = float(start_h)
        for i in range(n_steps + 1):
            dose = min(d0 + i * dstep, dmax)
            if i < n_steps:
                length: float | None = every_h
            else:
                length = None if hold_target_for is None else hours(hold_target_for, "hold")
            items.append(
                RegimenItem(
                    drug_id,
                    dose,
                    interval_h=interval,
                    start_h=t,
                    stop_h=None if length is None else t + length,
                    formulation=formulation,
                    clock=clock,
                )
            )
            if length is not None:
                t += length
        return cls(tuple(items))

    def then(self, step: RegimenItem | str, *, duration: str | float | None = None) -> Regimen:
        """Append a titration step that starts when the last item stops.

        ``step`` is a :class:`RegimenItem` (its start is replaced) or step text
        (``"3 mg nightly for 2 weeks"``; drug, frequency and formulation default to the last item's).
        ``duration`` (text or hours) sets the new step's length when the step itself has none.
        """
        if not self.items:
            raise InputError("regimen.then", "nothing to continue from; start with a first step")
        last = self.items[-1]
        if last.stop_h is None:
            if last.n_doses is not None and last.interval_h is not None:
                start = last.first_dose_h(self.effective_origin_clock) + last.n_doses * last.interval_h
            elif last.interval_h is None:
                start = last.first_dose_h(self.effective_origin_clock) + max(last.duration_h, 0.0)
            else:
                raise InputError(
                    "regimen.duration",
                    "the step before 'then' has no duration",
                    accepted=ACCEPT_DURATION,
                    value=last.to_text(),
                )
        else:
            start = last.stop_h
        if isinstance(step, str):
            new = _parse_step(step, previous=last, start_h=start)
        elif isinstance(step, RegimenItem):
            length = None if step.stop_h is None else step.stop_h - step.start_h
            new = replace(step, start_h=start, stop_h=None if length is None else start + length)
        else:
            raise InputError(
                "regimen.then", "a step must be text or a RegimenItem", value=type(step).__name__
            )
        if duration is not None:
            hours = (
                duration
                if isinstance(duration, int | float)
                else parse_duration(duration, "regimen.duration")
            )
            new = replace(new, stop_h=new.start_h + float(hours), n_doses=None)
        return Regimen(self.items + (new,), self.holds, self.origin_clock)

    def hold(self, from_h: float, to_h: float, drug: str | None = None) -> Regimen:
        """A copy with doses of ``drug`` (all when None) in [from_h, to_h) skipped (see :class:`Hold`)."""
        return Regimen(self.items, self.holds + (Hold(from_h, to_h, drug),), self.origin_clock)

    # .................................................................................. queries
    @property
    def drugs(self) -> tuple[str, ...]:
        """Drug ids in the order they first appear."""
        return tuple(dict.fromkeys(it.drug for it in self.items))

    @property
    def effective_origin_clock(self) -> str | None:
        """Clock time of t = 0: ``origin_clock``, else the first clocked item's clock (or None)."""
        if self.origin_clock is not None:
            return self.origin_clock
        for it in self.items:
            if it.clock is not None:
                return it.clock
        return None

    @property
    def finite(self) -> bool:
        return all(it.finite for it in self.items)

    @property
    def end_h(self) -> float:
        """Time after which no dose is given (last dose plus its delivery time); inf when open-ended."""
        if not self.finite:
            return math.inf
        evs = self.events()
        return max((e.time_h + e.duration_h for e in evs), default=0.0)

    def events(self, until_h: float | None = None) -> list[DoseEvent]:
        """Dose events with ``0 <= time_h < until_h`` sorted by time (then drug).

        ``until_h`` may be None only when every item ends by itself. Holds skip doses in their window and
        cut patches/infusions that run into it.
        """
        if until_h is not None:
            until_h = _finite("regimen.until", until_h, "hours > 0")
            if until_h < 0:
                raise InputError("regimen.until", "must be ≥ 0 h", accepted="hours ≥ 0", value=until_h)
        elif not self.finite:
            raise InputError(
                "regimen.until",
                "an open-ended regimen needs an end time for its events",
                accepted="events(until_h=...) or a 'for …' duration on every item",
            )
        origin = self.effective_origin_clock
        out: list[DoseEvent] = []
        for it in self.items:
            holds = _merge_holds([h for h in self.holds if h.applies(it.drug)])
            for t in it.dose_times(until_h, origin):
                ev = DoseEvent(t, it.drug, it.dose_mg, it.formulation, it.duration_h)
                ev = _apply_holds(ev, holds)
                if ev is not None:
                    out.append(ev)
                if len(out) > MAX_EVENTS:
                    raise InputError("regimen.until", "too many dose events", accepted=f"≤ {MAX_EVENTS}")
        out.sort(key=lambda e: (e.time_h, e.drug, e.formulation, e.dose_mg))
        return out

    def total_dose_mg(self, until_h: float | None = None, drug: str | None = None) -> float:
        """Sum of ``dose_mg`` over the events (of one drug when given)."""
        key = None if drug is None else resolve_drug_name(drug)
        return float(sum(e.dose_mg for e in self.events(until_h) if key is None or e.drug == key))

    def __str__(self) -> str:
        return self.to_text()


def _merge_holds(holds: Sequence[Hold]) -> tuple[list[float], list[float]]:
    """Sorted, disjoint [start, end) windows covering the given holds."""
    starts: list[float] = []
    ends: list[float] = []
    for h in sorted(holds, key=lambda h: h.from_h):
        if starts and h.from_h <= ends[-1]:
            ends[-1] = max(ends[-1], h.to_h)
        else:
            starts.append(h.from_h)
            ends.append(h.to_h)
    return starts, ends


def _apply_holds(ev: DoseEvent, windows: tuple[list[float], list[float]]) -> DoseEvent | None:
    """Drop an event inside a hold window; cut a patch/infusion at the next hold start (O(log holds))."""
    starts, ends = windows
    if not starts:
        return ev
    i = bisect.bisect_right(starts, ev.time_h) - 1
    if i >= 0 and ev.time_h < ends[i]:
        return None
    if ev.duration_h > 0 and i + 1 < len(starts) and starts[i + 1] < ev.time_h + ev.duration_h:
        worn = starts[i + 1] - ev.time_h
        dose = ev.dose_mg * worn / ev.duration_h
        # a hold starting a denormal instant after the patch goes on leaves a dose that underflows to 0:
        # no event (a zero-dose event breaks the dose > 0 contract; the dropped amount is < 1e-300 mg)
        return DoseEvent(ev.time_h, ev.drug, dose, ev.formulation, worn) if dose > 0 else None
    return ev


def _as_regimen(x: Regimen | RegimenItem | str) -> Regimen:
    if isinstance(x, Regimen):
        return x
    if isinstance(x, RegimenItem):
        return Regimen((x,))
    if isinstance(x, str):
        return parse_regimen(x)
    raise InputError(
        "regimen",
        "cannot combine with this object",
        accepted="Regimen, RegimenItem or text",
        value=type(x).__name__,
    )


# --------------------------------------------------------------------------------------------- text parser

_NUMBER = r"(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[-+]?\d+)?"
_WORDNUM = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "a": 1,
    "an": 1,
}
_N = rf"(?P<n>{_NUMBER}|{'|'.join(sorted(_WORDNUM, key=len, reverse=True))})"
_TIME_UNIT = r"(?P<u>" + "|".join(sorted((re.escape(u) for u in TIME_UNITS), key=len, reverse=True)) + r")"
_MASS_UNIT = "|".join(sorted((re.escape(u) for u in MASS_UNITS), key=len, reverse=True))

# amount: number + mass unit, optionally "/time" for a rate
_AMOUNT_RE = re.compile(
    rf"(?P<num>[-+]?{_NUMBER})\s*(?P<unit>[a-zµμ]+)(?:\s*(?:/|per)\s*(?P<per>[a-z]+))?(?=\s|$|,)"
)

_FORMS: list[tuple[str, str]] = [
    (
        r"slow[- ]release|sustained[- ]release|extended[- ]release|modified[- ]release|timed[- ]release"
        r"|controlled[- ]release|sr|er|xr|xl|cr|mr|la",
        "sr",
    ),
    (r"immediate[- ]release|ir|tablets?|tabs?|capsules?|caps?|oral(?!\s+solution)|po|p\.o\.", "ir"),
    (r"oral solution|liquid|solution|syrup|suspension|drops|elixir", "liquid"),
    (r"sublingual|sl|s\.l\.|buccal", "sl"),
    (r"intravenous|iv|i\.v\.|infusion|bolus", "iv"),
    (r"transdermal patch|transdermal|td|patch(?:es)?", "patch"),
]

# (regex, interval_h | None for a single dose, clock)
_FIXED_FREQS: list[tuple[str, float | None, str | None]] = [
    (
        r"(?:once\s+)?nightly|qhs|q\.h\.s\.|at\s+bedtime|before\s+bed(?:time)?|every\s+night|each\s+night"
        r"|at\s+night|(?:once\s+)?(?:a|per)\s+night|nocte|hs",
        24.0,
        "22:00",
    ),
    (
        r"every\s+morning|each\s+morning|in\s+the\s+morning|(?:once\s+)?(?:a|per)\s+morning|mane|qam|q\.a\.m\."
        r"|mornings?",
        24.0,
        "08:00",
    ),
    (r"every\s+evening|in\s+the\s+evening|evenings?", 24.0, "18:00"),
    (
        r"once\s+daily|once\s+a\s+day|once\s+per\s+day|daily|every\s+day|each\s+day|(?:a|per)\s+day|qd|q\.d\."
        r"|od|o\.d\.|q24h|once\s+every\s+day",
        24.0,
        None,
    ),
    (
        r"twice\s+daily|twice\s+a\s+day|twice\s+per\s+day|two\s+times\s+(?:a|per)\s+day|2\s*x\s*daily|bid|b\.i\.d\."
        r"|bd",
        12.0,
        None,
    ),
    (
        r"three\s+times\s+(?:daily|a\s+day|per\s+day)|thrice\s+daily|3\s*x\s*daily|tid|t\.i\.d\.|tds",
        8.0,
        None,
    ),
    (r"four\s+times\s+(?:daily|a\s+day|per\s+day)|4\s*x\s*daily|qid|q\.i\.d\.|qds", 6.0, None),
    (r"every\s+other\s+day|on\s+alternate\s+days|alternate\s+days|qod|q\.o\.d\.|eod", 48.0, None),
    (r"once\s+weekly|once\s+a\s+week|weekly|every\s+week|each\s+week|qw|qwk", 168.0, None),
    (r"once\s+monthly|monthly|every\s+month", TIME_UNITS["month"], None),
    (
        r"(?:once\s+only|once|single\s+dose|one\s+dose|stat|as\s+a\s+single\s+dose)"
        r"(?!\s+(?:every|a|per|each|daily|weekly|monthly|nightly)(?![a-z0-9]))",
        None,
        None,
    ),
]


def _num(s: str) -> float:
    s = s.strip().lower()
    if s in _WORDNUM:
        return float(_WORDNUM[s])
    return float(s.replace(",", "."))


@dataclass
class _Step:
    drug: str | None = None
    dose_mg: float | None = None
    rate_mg_h: float | None = None
    formulation: str | None = None
    interval_h: float | None = None
    single: bool = False
    freq_given: bool = False
    clock: str | None = None
    for_h: float | None = None
    n_doses: int | None = None
    start_h: float | None = None
    wear_h: float | None = None
    text: str = ""


def _match_clause(rest: str, st: _Step, full: str) -> str | None:
    """Consume one clause at the start of ``rest``; return the remainder, or None if nothing matched."""

    def take(m: re.Match) -> str:
        return rest[m.end() :].lstrip(" ,")

    # formulation
    for pat, key in _FORMS:
        m = re.match(rf"(?:{pat})(?![a-z0-9])\.?", rest)
        if m:
            if st.formulation is not None and st.formulation != key:
                raise InputError(
                    "regimen.formulation",
                    "two different formulations in one step",
                    accepted=ACCEPT_FORM,
                    value=full,
                )
            st.formulation = key
            return take(m)
    # clock
    m = re.match(r"at\s+(?P<c>\d{1,2}(?::\d{2})?\s*(?:am|pm)?|\d{1,2}h\d{2})(?![a-z0-9])", rest)
    if m:
        st.clock = _parse_clock(m.group("c"))
        return take(m)
    # frequency: fixed words
    for pat, iv, clock in _FIXED_FREQS:
        m = re.match(rf"(?:{pat})(?![a-z0-9])", rest)
        if m:
            _set_freq(st, iv, full, clock)
            return take(m)
    # qNh / q N h / qNd / qNw, every N hours/days/weeks, N times daily
    m = re.match(rf"q\s*(?P<n>{_NUMBER})\s*(?P<u>h|hr|hrs|hours?|d|days?|w|wk|wks|weeks?)(?![a-z0-9])", rest)
    if m:
        _set_freq(st, _num(m.group("n")) * TIME_UNITS[m.group("u")], full)
        return take(m)
    m = re.match(rf"(?:once\s+)?every\s+{_N}\s*{_TIME_UNIT}(?![a-z0-9])", rest)
    if m:
        _set_freq(st, _num(m.group("n")) * TIME_UNITS[m.group("u")], full)
        return take(m)
    m = re.match(rf"every\s+{_TIME_UNIT}(?![a-z0-9])", rest)
    if m:
        _set_freq(st, TIME_UNITS[m.group("u")], full)
        return take(m)
    m = re.match(rf"{_N}\s*(?:x|times)\s*(?:daily|a\s+day|per\s+day|/\s*day|/\s*d)(?![a-z0-9])", rest)
    if m:
        n = _num(m.group("n"))
        if n <= 0:
            raise InputError(
                "regimen.frequency", "must be at least once a day", accepted=ACCEPT_FREQ, value=full
            )
        _set_freq(st, 24.0 / n, full)
        return take(m)
    # duration: "x 2 weeks" (clinical shorthand for a duration), then for N doses / x N / N doses
    m = re.match(rf"[x×]\s*{_N}\s*{_TIME_UNIT}(?![a-z0-9])", rest)
    if m:
        _set_duration(st, full, for_h=_duration_h(m))
        return take(m)
    m = (
        re.match(rf"for\s+{_N}\s+doses?(?![a-z0-9])", rest)
        or re.match(rf"[x×]\s*{_N}(?:\s+doses?)?(?![a-z0-9])", rest)
        or re.match(rf"{_N}\s+doses?(?![a-z0-9])", rest)
    )
    if m:
        n = _num(m.group("n"))
        if n < 1 or n != int(n):
            raise InputError(
                "regimen.duration",
                "number of doses must be a whole number ≥ 1",
                accepted=ACCEPT_DURATION,
                value=full,
            )
        _set_duration(st, full, n_doses=int(n))
        return take(m)
    m = re.match(
        rf"(?:for|over|during)\s+(?:(?:the\s+)?(?:next|first)\s+)?{_N}\s*{_TIME_UNIT}(?![a-z0-9])", rest
    )
    if m:
        _set_duration(st, full, for_h=_duration_h(m))
        return take(m)
    # start: from day N / starting week N / from hour N / after N days / starting in N days
    m = re.match(
        rf"(?:from|starting(?:\s+on)?|beginning(?:\s+on)?|start(?:ing)?\s+at|on)\s+"
        rf"(?P<u2>hour|h|day|d|week|wk|w|month)\s*(?P<n2>{_NUMBER})(?![a-z0-9])",
        rest,
    )
    if m:
        unit = {"hour": "h", "h": "h", "day": "d", "d": "d", "week": "w", "wk": "w", "w": "w", "month": "mo"}
        _set_start(st, _num(m.group("n2")) * TIME_UNITS[unit[m.group("u2")]], full)
        return take(m)
    m = re.match(rf"(?:after|starting\s+in|starting\s+after|from|in)\s+{_N}\s*{_TIME_UNIT}(?![a-z0-9])", rest)
    if m:
        _set_start(st, _num(m.group("n")) * TIME_UNITS[m.group("u")], full)
        return take(m)
    # patch wear time
    m = re.match(rf"(?:worn|wear|left\s+on)(?:\s+for)?\s+{_N}\s*{_TIME_UNIT}(?![a-z0-9])", rest)
    if m:
        st.wear_h = _num(m.group("n")) * TIME_UNITS[m.group("u")]
        return take(m)
    if re.match(r"(?:prn|p\.r\.n\.|as\s+needed|when\s+needed|if\s+needed)(?![a-z0-9])", rest):
        raise InputError(
            "regimen.frequency",
            "as-needed (prn) dosing cannot be simulated; give the schedule actually taken",
            accepted="a fixed schedule, e.g. 'morphine 10 mg q4h for 2 days'",
            value=full,
        )
    # filler words
    m = re.match(r"(?:of|by\s+mouth|orally)(?![a-z0-9])", rest)
    if m:
        return take(m)
    return None


def _set_freq(st: _Step, iv: float | None, full: str, clock: str | None = None) -> None:
    if st.freq_given:
        raise InputError("regimen.frequency", "two frequencies in one step", accepted=ACCEPT_FREQ, value=full)
    st.freq_given = True
    if iv is None:
        st.single = True
    else:
        if not (iv > 0 and math.isfinite(iv)):
            raise InputError(
                "regimen.frequency", "the dosing interval must be positive", accepted=ACCEPT_FREQ, value=full
            )
        st.interval_h = iv
    if clock is not None and st.clock is None:
        st.clock = clock


def _duration_h(m: re.Match) -> float:
    return parse_duration(f"{_num(m.group('n'))} {m.group('u')}", "regimen.duration")


def _set_duration(st: _Step, full: str, *, for_h: float | None = None, n_doses: int | None = None) -> None:
    """A step's duration, given once: as hours (``for 2 weeks``, ``x 10 days``) or as a number of doses."""
    if st.for_h is not None or st.n_doses is not None:
        raise InputError("regimen.duration", "two durations in one step", accepted=ACCEPT_DURATION,
                         value=full)
    st.for_h, st.n_doses = for_h, n_doses


def _set_start(st: _Step, h: float, full: str) -> None:
    if st.start_h is not None:
        raise InputError("regimen.start", "two start times in one step", accepted=ACCEPT_START, value=full)
    st.start_h = h


def _parse_amount(tok: re.Match, st: _Step, full: str) -> None:
    num = float(tok.group("num").replace(",", "."))
    unit, per = tok.group("unit"), tok.group("per")
    if per:
        if per not in TIME_UNITS:
            raise InputError(
                "regimen.dose",
                f"unknown time unit {per!r} in a rate",
                accepted=ACCEPT_DOSE,
                value=tok.group(0),
            )
        if unit not in MASS_UNITS:
            raise InputError(
                "regimen.dose", f"unknown unit {unit!r}", accepted=ACCEPT_DOSE, value=tok.group(0)
            )
        if num <= 0:
            raise InputError("regimen.dose", "must be positive", accepted=ACCEPT_DOSE, value=tok.group(0))
        st.rate_mg_h = parse_rate(f"{num} {unit}/{per}", "regimen.dose")
        return
    if unit in ("kg", "mg/kg"):
        raise InputError(
            "regimen.dose",
            "weight-based doses need a weight; give the mg dose",
            accepted=ACCEPT_DOSE,
            value=tok.group(0),
        )
    if unit in (
        "ml",
        "l",
        "drop",
        "drops",
        "tablet",
        "tablets",
        "tab",
        "tabs",
        "capsule",
        "capsules",
        "caps",
    ):
        raise InputError(
            "regimen.dose",
            f"give the dose as a mass, not in {unit!r}",
            accepted=ACCEPT_DOSE,
            value=tok.group(0),
        )
    if unit not in MASS_UNITS:
        raise InputError("regimen.dose", f"unknown unit {unit!r}", accepted=ACCEPT_DOSE, value=tok.group(0))
    mg = num * MASS_UNITS[unit]
    if not (0 < mg <= MAX_DOSE_MG):
        problem = "must be positive" if mg <= 0 else f"is implausibly large (> {MAX_DOSE_MG:g} mg per dose)"
        raise InputError("regimen.dose", problem, accepted=ACCEPT_DOSE, value=tok.group(0))
    st.dose_mg = parse_mass(f"{num} {unit}", "regimen.dose", hi=MAX_DOSE_MG)


def _tokenise_step(text: str) -> _Step:
    full = text.strip()
    s = re.sub(r"\s+", " ", full.lower().replace("µ", "µ")).strip(" ,.")
    st = _Step(text=full)
    m = _AMOUNT_RE.search(s)
    # the drug is the text before the amount (may be empty in a titration step)
    if m is None:
        if re.search(r"\d", s):
            raise InputError("regimen.dose", "cannot read the dose", accepted=ACCEPT_DOSE, value=full)
        raise InputError("regimen.dose", "no dose given", accepted=ACCEPT_DOSE, value=full)
    # amounts start with a digit, so a drug name like '6beta-naltrexol' must not be split: find the first
    # amount whose number is preceded by whitespace or the start of the text
    for cand in _AMOUNT_RE.finditer(s):
        if cand.start() == 0 or s[cand.start() - 1] == " ":
            m = cand
            break
    drug = s[: m.start()].strip(" ,")
    if re.match(r"^-", m.group("num")) or (drug.endswith("-") and not drug[:-1].strip().isalpha()):
        raise InputError("regimen.dose", "must be positive", accepted=ACCEPT_DOSE, value=full)
    drug = drug.rstrip(" -")
    st.drug = drug or None
    _parse_amount(m, st, full)
    rest = s[m.end() :].strip(" ,")
    while rest:
        nxt = _match_clause(rest, st, full)
        if nxt is None:
            word = rest.split(" ")[0]
            field_name = (
                "regimen.frequency"
                if re.match(r"(q\w{0,5}\b|q\s|every|each|times|x\d|per|/|once|twice|thrice)", rest)
                else (
                    "regimen.duration"
                    if re.match(r"(for|over|during)\b", rest)
                    else (
                        "regimen.start"
                        if re.match(r"(from|after|starting|beginning)\b", rest)
                        else "regimen.text"
                    )
                )
            )
            accepted = {
                "regimen.frequency": ACCEPT_FREQ,
                "regimen.duration": ACCEPT_DURATION,
                "regimen.start": ACCEPT_START,
            }.get(
                field_name,
                "the regimen text grammar (docs/regimens.md): DRUG AMOUNT [FORM] FREQUENCY "
                "[at HH:MM] [for DURATION] [from START]",
            )
            raise InputError(
                field_name, f"cannot understand {rest!r} (at {word!r})", accepted=accepted, value=full
            )
        rest = nxt
    return st


def _build_item(st: _Step, previous: RegimenItem | None, start_h: float | None) -> RegimenItem:
    full = st.text
    drug = st.drug if st.drug is not None else (previous.drug if previous is not None else None)
    if drug is None:
        raise InputError(
            "regimen.drug",
            "no drug named",
            accepted="DRUG AMOUNT FREQUENCY, e.g. 'naltrexone 4.5 mg nightly'",
            value=full,
        )
    same_drug = previous is not None and drug == previous.drug
    if st.drug is not None:
        drug = resolve_drug_name(drug)
        same_drug = previous is not None and drug == previous.drug
    form = st.formulation
    if form is None:
        if st.rate_mg_h is not None:
            raise InputError(
                "regimen.formulation",
                "a rate needs 'patch' or 'infusion'/'iv'",
                accepted="e.g. 'fentanyl 25 mcg/h patch q72h', 'morphine 2 mg/h infusion for 24 h'",
                value=full,
            )
        form = previous.formulation if (same_drug and previous is not None) else default_formulation(drug)
    clock = st.clock
    interval: float | None
    if st.freq_given:
        interval = None if st.single else st.interval_h
    elif same_drug and previous is not None and st.rate_mg_h is None:
        interval = previous.interval_h
        clock = clock if clock is not None else previous.clock
    elif st.rate_mg_h is not None and form == "iv" and st.for_h is not None:
        interval = None  # a continuous infusion for the given time
    else:
        raise InputError(
            "regimen.frequency",
            "no frequency given (say 'once' for a single dose)",
            accepted=ACCEPT_FREQ,
            value=full,
        )
    duration_h = 0.0
    if st.rate_mg_h is not None:
        if form not in ("patch", "iv"):
            raise InputError(
                "regimen.formulation",
                f"a rate needs 'patch' or 'infusion', not {form!r}",
                accepted="patch, iv/infusion",
                value=full,
            )
        if st.wear_h is not None:
            duration_h = st.wear_h
        elif interval is not None:
            duration_h = interval
        elif st.for_h is not None:
            duration_h = st.for_h
        else:
            raise InputError(
                "regimen.frequency",
                "a patch needs a change interval, e.g. q72h",
                accepted=ACCEPT_FREQ,
                value=full,
            )
        if interval is not None and duration_h > interval + 1e-9 and form == "iv":
            raise InputError(
                "regimen.duration", "infusions would overlap", accepted="infusion time ≤ interval", value=full
            )
        dose_mg = st.rate_mg_h * duration_h
        if not (0 < dose_mg <= MAX_DOSE_MG):
            raise InputError(
                "regimen.dose",
                f"rate × time = {dose_mg:g} mg per application is out of range",
                accepted=ACCEPT_DOSE,
                value=full,
            )
    else:
        if form == "patch":
            raise InputError(
                "regimen.dose",
                "give a patch as a delivery rate, e.g. '25 mcg/h'",
                accepted=ACCEPT_DOSE,
                value=full,
            )
        if st.wear_h is not None:
            raise InputError("regimen.text", "'worn …' only applies to patches", value=full)
        assert st.dose_mg is not None
        dose_mg = st.dose_mg
    start = st.start_h if st.start_h is not None else (start_h if start_h is not None else 0.0)
    stop = None if st.for_h is None else start + st.for_h
    if interval is None and st.for_h is not None and st.rate_mg_h is None:
        raise InputError(
            "regimen.duration",
            "a single dose has no duration",
            accepted="drop 'for …' or give a frequency",
            value=full,
        )
    if interval is None and st.rate_mg_h is not None:
        stop = None
    return RegimenItem(
        drug=drug,
        dose_mg=dose_mg,
        interval_h=interval,
        start_h=start,
        stop_h=stop,
        n_doses=st.n_doses,
        formulation=form,
        duration_h=duration_h,
        clock=clock,
    )


def _parse_step(text: str, previous: RegimenItem | None = None, start_h: float | None = None) -> RegimenItem:
    return _build_item(_tokenise_step(text), previous, start_h)


def _split_top(text: str) -> list[str]:
    """Co-medications: split on '+', ';' and new lines; also on 'and'/'with'/'plus' when every piece
    has its own amount ("naltrexone 4.5 mg nightly and morphine 30 mg q12h")."""
    parts = re.split(r"\s*(?:(?<!\()\+(?!\))|;|\n)\s*", text)
    out: list[str] = []
    for p in (x.strip() for x in parts):
        if not p:
            continue
        pieces = re.split(r"\s+(?:and|with|plus|&)\s+", p, flags=re.IGNORECASE)
        if len(pieces) > 1 and all(_AMOUNT_RE.search(q.lower()) for q in pieces):
            out.extend(q.strip() for q in pieces)
        else:
            out.append(p)
    return out


_TITRATE_AMOUNT = r"\d+(?:\.\d+)?\s*(?:mg|mcg|µg|ug|microgram|micrograms|milligram|milligrams)"
_TITRATE_RE = re.compile(
    r"^(?P<head>.*?)\s*,?\s*(?:and\s+)?(?:increase|increasing|titrate|titrating|raise|raising|go\s+up)"
    r"(?:\s+up)?\s+by\s+(?P<step>" + _TITRATE_AMOUNT + r")\s+"
    r"(?P<every>weekly|daily|fortnightly|(?:every|each|per|a)\s+(?:\d+(?:\.\d+)?\s+)?(?:days?|weeks?))"
    r"\s+(?:up\s+)?to\s+(?:a\s+(?:target|maximum)\s+of\s+)?(?P<target>" + _TITRATE_AMOUNT + r")"
    r"(?:\s+(?P<hold>for\s+.+))?\s*$",
    re.IGNORECASE,
)
_TITRATE_EVERY = {"weekly": "1 week", "daily": "1 day", "fortnightly": "2 weeks"}


def _titration_phrase(
    text: str, previous: RegimenItem | None, start_h: float | None
) -> list[RegimenItem] | None:
    """A step written as a titration: "naltrexone 1.5 mg nightly, increase by 1.5 mg weekly to 6 mg
    [for 8 weeks]" -> 1.5, 3, 4.5 mg for a week each, then 6 mg (open-ended, or held for the duration).
    None when the text is not of that form. The last step is cut to the target."""
    m = _TITRATE_RE.match(text.strip())
    if m is None:
        return None
    first = _parse_step(m["head"], previous=previous, start_h=start_h)
    if first.interval_h is None:
        raise InputError("regimen.frequency", "a titration needs a repeating dose", accepted=ACCEPT_FREQ,
                         value=m["head"].strip())
    if first.stop_h is not None or first.n_doses is not None:
        raise InputError("regimen.duration", "give the titration's first dose without a duration",
                         accepted="e.g. 'naltrexone 1.5 mg nightly, increase by 1.5 mg weekly to 6 mg'",
                         value=m["head"].strip())
    step = parse_mass(m["step"], "regimen.titration.step", hi=MAX_DOSE_MG)
    target = parse_mass(m["target"], "regimen.titration.target", hi=MAX_DOSE_MG)
    every_txt = m["every"].lower()
    every_txt = _TITRATE_EVERY.get(every_txt, re.sub(r"^(?:every|each|per|a)\s+", "", every_txt))
    if not re.match(r"^\d", every_txt):
        every_txt = "1 " + every_txt
    every_h = parse_duration(every_txt, "regimen.titration.every")
    if not first.dose_mg <= target or step <= 0:
        raise InputError("regimen.titration", "needs a first dose <= target and a positive step",
                         value=f"first {first.dose_mg:g} mg, step {step:g} mg, target {target:g} mg")
    n_steps = math.ceil((target - first.dose_mg) / step - 1e-9)
    if n_steps > 1000:
        raise InputError("regimen.titration", "too many steps", accepted="≤ 1000", value=n_steps)
    hold_h = parse_duration(m["hold"][4:], "regimen.duration") if m["hold"] else None
    items: list[RegimenItem] = []
    t = first.start_h
    for i in range(n_steps + 1):
        length = every_h if i < n_steps else hold_h
        items.append(replace(first, dose_mg=min(first.dose_mg + i * step, target), start_h=t,
                             stop_h=None if length is None else t + length))
        if length is not None:
            t += length
    return items


def _parse_chain(text: str) -> list[RegimenItem]:
    steps = [p for p in re.split(r"\s*,?\s*\bthen\b\s*,?\s*", text, flags=re.IGNORECASE)]
    if any(not p.strip(" ,") for p in steps):
        raise InputError("regimen.text", "empty titration step around 'then'", value=text)
    items: list[RegimenItem] = []
    prev: RegimenItem | None = None
    next_start: float | None = None
    for i, p in enumerate(steps):
        ramp = _titration_phrase(p, prev, next_start)
        if ramp is not None:
            items.extend(ramp[:-1])
            item = ramp[-1]
        else:
            item = _parse_step(p, previous=prev, start_h=next_start)
        if i < len(steps) - 1:
            if item.stop_h is not None:
                next_start = item.stop_h
            elif item.n_doses is not None and item.interval_h is not None:
                next_start = item.start_h + item.n_doses * item.interval_h
            elif item.interval_h is None:
                next_start = item.start_h + max(item.duration_h, 1e-9)
            else:
                raise InputError(
                    "regimen.duration",
                    "a titration step before 'then' needs a duration",
                    accepted=ACCEPT_DURATION,
                    value=p.strip(),
                )
        items.append(item)
        prev = item
    return items


MAX_REGIMEN_CHARS = 4000  # a long titration in words is < 500 characters


def parse_regimen(text: str) -> Regimen:
    """Parse the regimen text form (module docstring; docs/regimens.md) into a :class:`Regimen`."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(
            "regimen", "empty regimen text", accepted="e.g. 'naltrexone 4.5 mg nightly'", value=text
        )
    if len(text) > MAX_REGIMEN_CHARS:
        raise InputError(
            "regimen", "text too long", accepted=f"at most {MAX_REGIMEN_CHARS:,} characters",
            value=text[:40] + "…",
        )
    # Runs of whitespace collapse to one space (new lines kept: they separate co-medications). The
    # splitting patterns below (``\s*,?\s*then``) are super-linear in a whitespace run; this keeps the
    # parse linear in the text length.
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    items: list[RegimenItem] = []
    for part in _split_top(text):
        items.extend(_parse_chain(part))
    if not items:
        raise InputError("regimen", "no medication in the text", accepted="e.g. 'naltrexone 4.5 mg nightly'",
                         value=text[:40])
    return Regimen(tuple(items))


# --------------------------------------------------------------------------------------------- YAML / dict

_ITEM_KEYS = {
    "drug",
    "dose",
    "dose_mg",
    "rate",
    "rate_mg_h",
    "frequency",
    "every",
    "interval",
    "interval_h",
    "start",
    "from",
    "start_h",
    "stop",
    "until",
    "stop_h",
    "for",
    "n_doses",
    "doses",
    "formulation",
    "form",
    "duration_h",
    "wear",
    "clock",
    "at",
    "text",
    "steps",
}


def _hours(value: Any, field_name: str, *, allow_zero: bool = True) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
            raise InputError(field_name, "out of range", accepted="hours ≥ 0", value=value)
        return v
    s = str(value).strip().lower()
    m = re.fullmatch(rf"(?:day|d)\s*(?P<n>{_NUMBER})", s) or re.fullmatch(
        rf"(?:week|wk|w)\s*(?P<n>{_NUMBER})", s
    )
    if m:
        return _num(m.group("n")) * (24.0 if s.startswith("d") else 168.0)
    if allow_zero and re.fullmatch(rf"0+(?:[.,]0*)?\s*{_TIME_UNIT}?", s):
        return 0.0
    return parse_duration(value, field_name, default_unit="h")


def _freq_from_text(value: Any) -> tuple[float | None, str | None]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), None
    st = _Step(text=str(value))
    rest = re.sub(r"\s+", " ", str(value).strip().lower())
    while rest:
        nxt = _match_clause(rest, st, str(value))
        if nxt is None:
            raise InputError(
                "regimen.frequency", f"cannot understand {value!r}", accepted=ACCEPT_FREQ, value=value
            )
        rest = nxt
    if not st.freq_given:
        raise InputError(
            "regimen.frequency", f"cannot understand {value!r}", accepted=ACCEPT_FREQ, value=value
        )
    return (None if st.single else st.interval_h), st.clock


def _item_from_mapping(
    d: Mapping[str, Any], previous: RegimenItem | None = None, start_default: float | None = None
) -> list[RegimenItem]:
    unknown = set(d) - _ITEM_KEYS
    if unknown:
        raise InputError(
            "regimen.items", f"unknown key(s) {sorted(unknown)}", accepted=", ".join(sorted(_ITEM_KEYS))
        )
    if "steps" in d:
        return _steps_from_list(d["steps"])
    if "text" in d:
        if set(d) - {"text"}:
            raise InputError("regimen.items", "'text' cannot be combined with other keys", value=dict(d))
        return _parse_chain(str(d["text"]))
    drug = d.get("drug", previous.drug if previous is not None else None)
    if drug is None:
        raise InputError("regimen.drug", "missing", accepted="a drug id such as 'naltrexone'", value=dict(d))
    raw_form = d.get("formulation", d.get("form", previous.formulation if previous else None))
    form = None
    if raw_form is not None:
        form = _FORM_ALIASES.get(str(raw_form).strip().lower(), str(raw_form).strip().lower())
    # interval / frequency
    clock = d.get("clock", d.get("at"))
    if "interval_h" in d:
        interval = (
            None if d["interval_h"] is None else _finite("regimen.frequency", d["interval_h"], ACCEPT_FREQ)
        )
    elif "every" in d or "interval" in d:
        v = d.get("every", d.get("interval"))
        interval = None if v is None else _hours(v, "regimen.frequency", allow_zero=False)
    elif "frequency" in d:
        interval, fclock = _freq_from_text(d["frequency"])
        clock = clock if clock is not None else fclock
    elif previous is not None:
        interval, clock = previous.interval_h, clock if clock is not None else previous.clock
    else:
        raise InputError(
            "regimen.frequency",
            "missing (frequency, every or interval_h)",
            accepted=ACCEPT_FREQ,
            value=dict(d),
        )
    start = (
        _hours(d.get("start_h", d.get("start", d.get("from"))), "regimen.start")
        if any(k in d for k in ("start_h", "start", "from"))
        else (start_default or 0.0)
    )
    duration_h = 0.0
    if "duration_h" in d or "wear" in d:
        duration_h = _hours(d.get("duration_h", d.get("wear")), "regimen.duration_h")
    if "rate" in d or "rate_mg_h" in d:
        rate = (
            _finite("regimen.dose", d["rate_mg_h"], ACCEPT_DOSE)
            if "rate_mg_h" in d
            else parse_rate(str(d["rate"]), "regimen.dose")
        )
        if duration_h == 0.0:
            duration_h = (
                interval
                if interval is not None
                else (_hours(d["for"], "regimen.duration") if "for" in d else 0.0)
            )
        if duration_h <= 0:
            raise InputError(
                "regimen.duration_h",
                "a rate needs a wear/infusion time",
                accepted="every: 72 h",
                value=dict(d),
            )
        dose = rate * duration_h
        if "for" in d and interval is None:
            d = {k: v for k, v in d.items() if k != "for"}
    elif "dose_mg" in d:
        dose = _finite("regimen.dose", d["dose_mg"], ACCEPT_DOSE)
    elif "dose" in d:
        dose = (
            parse_mass(d["dose"], "regimen.dose", hi=MAX_DOSE_MG)
            if not isinstance(d["dose"], int | float)
            else _finite("regimen.dose", d["dose"], ACCEPT_DOSE)
        )
    else:
        raise InputError(
            "regimen.dose", "missing (dose, dose_mg or rate)", accepted=ACCEPT_DOSE, value=dict(d)
        )
    stop = None
    if "stop_h" in d or "stop" in d or "until" in d:
        v = d.get("stop_h", d.get("stop", d.get("until")))
        stop = None if v is None else _hours(v, "regimen.duration")
    if "for" in d:
        if stop is not None:
            raise InputError("regimen.duration", "give 'for' or 'stop', not both", accepted=ACCEPT_DURATION)
        stop = start + _hours(d["for"], "regimen.duration", allow_zero=False)
    n = d.get("n_doses", d.get("doses"))
    return [
        RegimenItem(
            drug=str(drug),
            dose_mg=dose,
            interval_h=interval,
            start_h=start,
            stop_h=stop,
            n_doses=n,
            formulation=form,
            duration_h=duration_h,
            clock=clock,
        )
    ]


_FORM_ALIASES = {
    "tablet": "ir",
    "capsule": "ir",
    "oral": "ir",
    "po": "ir",
    "er": "sr",
    "xr": "sr",
    "cr": "sr",
    "solution": "liquid",
    "syrup": "liquid",
    "sublingual": "sl",
    "intravenous": "iv",
    "infusion": "iv",
    "transdermal": "patch",
    "td": "patch",
}


def _steps_from_list(steps: Any) -> list[RegimenItem]:
    if not isinstance(steps, list) or not steps:
        raise InputError("regimen.steps", "must be a non-empty list of steps", value=steps)
    items: list[RegimenItem] = []
    prev: RegimenItem | None = None
    start: float | None = None
    for i, s in enumerate(steps):
        if isinstance(s, str):
            new = [_parse_step(s, previous=prev, start_h=start)]
        elif isinstance(s, Mapping):
            new = _item_from_mapping(s, previous=prev, start_default=start)
        else:
            raise InputError("regimen.steps", "each step is text or a mapping", value=s)
        it = new[-1]
        if i < len(steps) - 1:
            if it.stop_h is not None:
                start = it.stop_h
            elif it.n_doses is not None and it.interval_h is not None:
                start = it.start_h + it.n_doses * it.interval_h
            else:
                raise InputError(
                    "regimen.duration",
                    "a titration step before the last needs a duration",
                    accepted=ACCEPT_DURATION,
                    value=s,
                )
        items.extend(new)
        prev = it
    return items


def _from_doc(doc: Any) -> Regimen:
    if isinstance(doc, Regimen):
        return doc
    if isinstance(doc, str):
        return parse_regimen(doc)
    if isinstance(doc, Mapping) and "regimen" in doc and len(doc) == 1:
        doc = doc["regimen"]
        if isinstance(doc, str):
            return parse_regimen(doc)
    holds: list[Hold] = []
    origin = None
    if isinstance(doc, Mapping):
        unknown = set(doc) - {"items", "holds", "origin_clock"}
        if unknown and not (set(doc) <= _ITEM_KEYS):
            raise InputError(
                "regimen", f"unknown key(s) {sorted(unknown)}", accepted="items, holds, origin_clock"
            )
        if set(doc) <= _ITEM_KEYS and "items" not in doc:
            raw_items: Any = [doc]
        else:
            raw_items = doc.get("items", [])
        origin = doc.get("origin_clock")
        for h in doc.get("holds", []) or []:
            if not isinstance(h, Mapping):
                raise InputError("regimen.hold", "each hold is a mapping {from, to, drug}", value=h)
            a = h.get("from_h", h.get("from"))
            b = h.get("to_h", h.get("to"))
            if a is None or b is None:
                raise InputError("regimen.hold", "needs from and to", value=dict(h))
            holds.append(Hold(_hours(a, "regimen.hold"), _hours(b, "regimen.hold"), h.get("drug")))
    elif isinstance(doc, list):
        raw_items = doc
    else:
        raise InputError(
            "regimen",
            "expected a mapping, a list of items, or text",
            accepted="{items: [...], holds: [...]}",
            value=type(doc).__name__,
        )
    if not isinstance(raw_items, list):
        raise InputError("regimen.items", "must be a list", value=raw_items)
    items: list[RegimenItem] = []
    for raw in raw_items:
        if isinstance(raw, str):
            items.extend(parse_regimen(raw).items)
        elif isinstance(raw, Mapping):
            items.extend(_item_from_mapping(raw))
        else:
            raise InputError("regimen.items", "each item is text or a mapping", value=raw)
    if not items:
        raise InputError("regimen.items", "a regimen needs at least one item")
    return Regimen(tuple(items), tuple(holds), origin)


def combine(regimens: Iterable[Regimen | RegimenItem | str]) -> Regimen:
    """Co-medications: the sum of several regimens."""
    out = Regimen()
    for r in regimens:
        out = out + r
    return out
