"""Monitoring and cautions (hepatic, renal, pregnancy, lactation, thyroid, immunosuppressants) as data rules.

Rules live in ``ldnsim/data/clinical/monitoring.yaml``; :func:`cautions_for` evaluates them against a
screening document (its rules) and the patient-context flags.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..data import value_of
from ..errors import InputError
from ._doccache import cached_doc

__all__ = ["cautions_for", "monitoring_doc", "HEPATIC_CHOICES"]

HEPATIC_CHOICES = ("none", "mild", "moderate", "severe", "cirrhosis", "acute")


@cache
def monitoring_doc() -> dict:
    return cached_doc("clinical/monitoring.yaml")


def _sources(ids: list[str]) -> list[dict]:
    src = monitoring_doc()["sources"]
    return [{"id": i, **src[i]} for i in ids]


def cautions_for(
    screen_doc: dict | None = None,
    *,
    hepatic: str | None = None,
    egfr: float | None = None,
    pregnant: bool = False,
    breastfeeding: bool = False,
) -> list[dict[str, Any]]:
    """The cautions that apply, most severe first; always includes the baseline-test recommendation."""
    doc = monitoring_doc()
    if hepatic is not None:
        hepatic = str(hepatic).strip().lower()
        if hepatic not in HEPATIC_CHOICES:
            raise InputError("hepatic", "unknown level", accepted="|".join(HEPATIC_CHOICES), value=hepatic)
    if egfr is not None and not (0.0 < float(egfr) <= 200.0):
        raise InputError("egfr", "out of range", accepted="> 0 and ≤ 200 mL/min", value=egfr)
    rules_present = set()
    for m in (screen_doc or {}).get("medications", []):
        rules_present |= {f["rule"] for f in m.get("findings", [])}
    out = []
    renal_hit = False
    for cid, c in doc["cautions"].items():
        w = c["when"]
        hit = False
        if w.get("always"):
            hit = True
        elif "hepatic" in w:
            hit = hepatic is not None and hepatic in w["hepatic"]
        elif "egfr_below" in w:
            thr = float(value_of(doc["thresholds"][w["egfr_below"]]))
            hit = egfr is not None and float(egfr) < thr and not renal_hit
            renal_hit = renal_hit or hit
        elif "pregnant" in w:
            hit = pregnant
        elif "breastfeeding" in w:
            hit = breastfeeding
        elif "rule" in w:
            hit = w["rule"] in rules_present
        elif "rule_any" in w:
            hit = bool(rules_present & set(w["rule_any"]))
        if hit:
            out.append(
                {
                    "id": cid,
                    "severity": c["severity"],
                    "summary": c["summary"],
                    "evidence": c["evidence"],
                    "sources": _sources(c["sources"]),
                }
            )
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda c: order.get(c["severity"], 3))
