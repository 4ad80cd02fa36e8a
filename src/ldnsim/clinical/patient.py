"""One patient model for every clinical planner (``hold``, ``restart``, ``acute-pain``).

The ranges are the PK layer's (``ldnsim.pk._covariates``: weight 20–300 kg, eGFR 1–200 mL/min, Child-Pugh
none/mild/moderate/severe, CYP2D6 pm/im/em/um); a test keeps them equal. They are checked here, before any
planner runs, so ``hold`` and ``restart`` cannot disagree about what is valid: a value out of range is an
:class:`~ldnsim.errors.InputError` naming the field and its range (CLI exit 2), never a silent fallback to a
different rule. Non-finite numbers (``inf``, ``nan``) are refused.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import InputError

__all__ = ["Patient", "patient", "WEIGHT_KG", "EGFR_ML_MIN", "AGE_YEARS", "HEPATIC", "CYP2D6"]

WEIGHT_KG = (20.0, 300.0)
EGFR_ML_MIN = (1.0, 200.0)
AGE_YEARS = (0.0, 120.0)
HEPATIC = ("none", "mild", "moderate", "severe")
CYP2D6 = ("pm", "im", "em", "um")
_HEPATIC_ALIASES = {
    "child-pugh a": "mild",
    "child pugh a": "mild",
    "a": "mild",
    "child-pugh b": "moderate",
    "child pugh b": "moderate",
    "b": "moderate",
    "child-pugh c": "severe",
    "child pugh c": "severe",
    "c": "severe",
    "cirrhosis": "severe",
    "normal": "none",
    "no": "none",
}
_CYP_ALIASES = {
    "poor": "pm",
    "intermediate": "im",
    "normal": "em",
    "nm": "em",
    "extensive": "em",
    "ultrarapid": "um",
    "ultra-rapid": "um",
    "urm": "um",
}


def _number(name: str, value: Any, lo: float, hi: float, unit: str) -> float | None:
    if value is None:
        return None
    accepted = f"{lo:g}–{hi:g} {unit}"
    if isinstance(value, bool):
        raise InputError(name, "must be a number", accepted=accepted, value=value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(name, "must be a number", accepted=accepted, value=value) from None
    if not math.isfinite(x) or not (lo <= x <= hi):
        raise InputError(name, "out of range", accepted=accepted, value=value)
    return x


def _level(name: str, value: Any, levels: tuple[str, ...], aliases: dict[str, str]) -> str | None:
    if value is None:
        return None
    s = str(value).strip().lower()
    s = aliases.get(s, s)
    if s not in levels:
        raise InputError(name, "not a known level", accepted=" | ".join(levels), value=value)
    return s


@dataclass(frozen=True)
class Patient:
    """Patient covariates (None = not given; the planners then use the population default).

    weight_kg: body weight, kg; egfr_ml_min: eGFR, mL/min; hepatic: Child-Pugh class;
    age_years: years; cyp2d6: CYP2D6 phenotype.
    """

    weight_kg: float | None = None
    egfr_ml_min: float | None = None
    hepatic: str | None = None
    age_years: float | None = None
    cyp2d6: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_kg", _number("weight", self.weight_kg, *WEIGHT_KG, "kg"))
        object.__setattr__(self, "egfr_ml_min", _number("egfr", self.egfr_ml_min, *EGFR_ML_MIN, "mL/min"))
        object.__setattr__(self, "age_years", _number("age", self.age_years, *AGE_YEARS, "years"))
        object.__setattr__(self, "hepatic", _level("hepatic", self.hepatic, HEPATIC, _HEPATIC_ALIASES))
        object.__setattr__(self, "cyp2d6", _level("cyp2d6", self.cyp2d6, CYP2D6, _CYP_ALIASES))

    def covariates(self) -> dict[str, Any]:
        """The PK layer's covariate keywords (only those given)."""
        return {
            "weight_kg": self.weight_kg,
            "hepatic": self.hepatic,
            "egfr_ml_min": self.egfr_ml_min,
            "cyp2d6": self.cyp2d6,
        }

    def unused(self) -> list[str]:
        """Notices for values given but not used by the model, so an echoed value never reads as applied."""
        if self.age_years is None:
            return []
        return [
            f"Age {self.age_years:g} years is recorded but not used: ldnsim's PK model has no age covariate "
            "(weight, eGFR, Child-Pugh class and CYP2D6 are used)."
        ]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hepatic"] = self.hepatic or "none"
        return d


def patient(
    patient: Patient | None = None,
    *,
    weight_kg: Any = None,
    egfr_ml_min: Any = None,
    hepatic: Any = None,
    age_years: Any = None,
    cyp2d6: Any = None,
) -> Patient:
    """A validated :class:`Patient` from keywords (or the one given)."""
    if patient is not None:
        return patient
    return Patient(
        weight_kg=weight_kg, egfr_ml_min=egfr_ml_min, hepatic=hepatic, age_years=age_years, cyp2d6=cyp2d6
    )
