"""Dose events from whatever a caller calls a regimen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import InputError
from ..regimen import DoseEvent, Regimen

__all__ = ["dose_events"]


def dose_events(regimen: Any, until_h: float) -> list[Any]:
    """The dose events of ``regimen`` that start before ``until_h`` (hours from t = 0), in order.

    regimen: a :class:`~ldnsim.regimen.Regimen`, regimen text (``"naltrexone 4.5 mg nightly"``), one
    :class:`~ldnsim.regimen.DoseEvent`, a list of DoseEvent-like objects (``time_h``, ``drug``, ``dose_mg``),
    or ``None`` / empty text (untreated: no events). Anything else is an :class:`~ldnsim.errors.InputError`.
    """
    if regimen is None:
        return []
    if isinstance(regimen, str):
        if not regimen.strip():
            return []
        regimen = Regimen.parse(regimen)
    if hasattr(regimen, "events") and callable(regimen.events):
        evs = list(regimen.events(until_h))
    elif isinstance(regimen, DoseEvent):
        evs = [regimen]
    elif isinstance(regimen, Sequence):
        evs = list(regimen)
        for i, ev in enumerate(evs):
            if not all(hasattr(ev, a) for a in ("time_h", "drug", "dose_mg")):
                raise InputError(f"regimen[{i}]", "must be a DoseEvent", value=repr(ev))
    else:
        raise InputError("regimen", "must be a Regimen, regimen text or a list of DoseEvent",
                         value=type(regimen).__name__)
    return [ev for ev in evs if float(ev.time_h) < until_h]
