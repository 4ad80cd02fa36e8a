"""Regimens: dose events, schedules, titrations, holds and co-medications.

(Stub by the lead: the DoseEvent contract other layers rely on. The regimen helper owns this file.)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DoseEvent"]


@dataclass(frozen=True, slots=True)
class DoseEvent:
    """One administration.

    time_h: hours from the first dose (t = 0).
    drug: drug id as in ``ldnsim/data/drugs/<id>.yaml``.
    dose_mg: total amount of the drug (base, mg) delivered by this event.
    formulation: formulation key in the drug file (``ir``, ``sr``, ``liquid``, ``iv``, ``patch`` …).
    duration_h: 0 for a bolus/oral dose; > 0 for zero-order input over that time (patch, infusion).
    """

    time_h: float
    drug: str
    dose_mg: float
    formulation: str = "ir"
    duration_h: float = 0.0
