"""What the calibration is run on, read from ``system/calibration.yaml``: studies with their published
targets and design features, the priors of the sampled parameters and the emulator/sampler settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..data import load_yaml
from ..errors import DataFileError

__all__ = ["Target", "Study", "CalibrationSpec", "load_spec", "SPEC_FILE"]

SPEC_FILE = "system/calibration.yaml"


@dataclass(frozen=True)
class Target:
    """One published summary: ``quantity`` of the preset's trial summary, its value and sampling SE."""

    quantity: str
    published: float
    se: float
    note: str = ""


@dataclass(frozen=True)
class Study:
    """A calibration trial: its preset, design features (from the preset) and targets.

    blinding: double / single / open; weeks: longest sequence (weeks); recall: pain rated by recall
    (True) or daily diary (False); replicates: virtual trials per simulator run of the emulator design.
    """

    name: str
    calibration_id: str
    blinding: str
    weeks: float
    recall: bool
    replicates: int
    targets: tuple[Target, ...]

    @property
    def log_weeks(self) -> float:
        from ..trials.placebo import REFERENCE_WEEKS

        return math.log(self.weeks / REFERENCE_WEEKS)


@dataclass(frozen=True)
class CalibrationSpec:
    studies: tuple[Study, ...]
    priors: dict[str, dict[str, Any]]
    domain: dict[str, tuple[float, float]]
    design_points_per_dim: int
    validation_fraction: float
    sampler: dict[str, Any]
    not_modelled: tuple[dict[str, str], ...] = field(default_factory=tuple)

    @property
    def n_obs(self) -> int:
        return sum(len(s.targets) for s in self.studies)


@cache
def load_spec() -> CalibrationSpec:
    """The calibration's inputs (cached). Design features come from each study's trial preset."""
    from ..trials.design import load_design

    doc = load_yaml(SPEC_FILE)
    studies = []
    for name, s in (doc.get("studies") or {}).items():
        d = load_design(name)
        if d.role == "validation":
            raise DataFileError(
                f"{SPEC_FILE}: study {name!r} is a validation trial; it must not be calibrated on"
            )
        targets = tuple(
            Target(str(t["quantity"]), float(t["published"]), float(t["se"]), str(t.get("note", "")))
            for t in s["targets"]
        )
        if any(t.se <= 0 for t in targets):
            raise DataFileError(f"{SPEC_FILE}: studies.{name}: every target needs se > 0")
        studies.append(
            Study(
                name=name,
                calibration_id=str(s["calibration_id"]),
                blinding=d.blinding,
                weeks=max(d.total_weeks(q) for q in d.sequences),
                recall=d.pain_report == "recall",
                replicates=int(s.get("replicates", d.replicates)),
                targets=targets,
            )
        )
    em = doc["emulator"]
    return CalibrationSpec(
        studies=tuple(studies),
        priors=dict(doc["priors"]),
        domain={k: (float(v[0]), float(v[1])) for k, v in em["domain"].items()},
        design_points_per_dim=int(em["design_points_per_dim"]),
        validation_fraction=float(em["validation_fraction"]),
        sampler=dict(doc["sampler"]),
        not_modelled=tuple(doc.get("not_modelled") or ()),
    )
