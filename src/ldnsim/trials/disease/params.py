"""Parameters of the disease readouts: ``disease/<condition>.yaml``, then the calibrated record
(``disease/calibrated.yaml``), then the caller's overrides (dotted keys, e.g. ``inflammation.elasticity``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...data import is_parameter, iter_parameters, load_yaml
from ...errors import InputError

__all__ = ["readout_parameters", "calibrated_record", "CALIBRATED_FILE"]

CALIBRATED_FILE = "disease/calibrated.yaml"


def calibrated_record() -> dict[str, Any]:
    """The calibration record: ``{condition: {dotted.key: entry}}`` (empty when none was written)."""
    from ...data import data_path

    if not data_path(CALIBRATED_FILE).exists():
        return {}
    doc = load_yaml(CALIBRATED_FILE) or {}
    return {k: v for k, v in doc.items() if isinstance(v, dict)}


def _flat(doc: Any) -> dict[str, float]:
    return {k: float(e["value"]) for k, e in iter_parameters(doc)}


def readout_parameters(
    condition: str, overrides: Mapping[str, float] | None = None, *, use_calibrated: bool = True
) -> dict[str, float]:
    """Flat dict (dotted keys) of the condition's readout parameters. An unknown override key is an
    :class:`InputError` naming it (never silently ignored)."""
    doc = load_yaml(f"disease/{condition}.yaml")
    flat = _flat(doc)
    if use_calibrated:
        for k, e in (calibrated_record().get(condition) or {}).items():
            if is_parameter(e) and k in flat:
                flat[k] = float(e["value"])
    for k, v in (overrides or {}).items():
        if v is None:
            continue
        if k not in flat:
            raise InputError(
                f"readout.{k}",
                f"unknown {condition} readout parameter",
                accepted=", ".join(sorted(flat)[:40]) + (" ..." if len(flat) > 40 else ""),
            )
        flat[k] = float(v)
    return flat


def measure_specs(condition: str) -> dict[str, dict[str, Any]]:
    """Non-numeric fields of the MS measures (``better``, ``label``, ``direction_only``)."""
    doc = load_yaml(f"disease/{condition}.yaml")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in (doc.get("measures") or {}).items():
        out[name] = {k: v for k, v in spec.items() if not is_parameter(v)}
    return out
