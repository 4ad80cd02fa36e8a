"""Typed results of the medication screen (``ldnsim check``): findings, screened entries, the screened list.

The stages of :mod:`ldnsim.clinical.screen` (match → rule per ingredient → entry severity → list-level DXM
rules) build these dataclasses; ``to_dict()`` renders the JSON contract of ``ldnsim check`` (keys in the
documented order, optional keys only when set), as ``HoldPlan``/``RestartPlan`` do for ``hold``/``restart``.
:func:`ldnsim.clinical.screen.screen` and :func:`~ldnsim.clinical.screen.screen_entry` return those
documents; :func:`~ldnsim.clinical.screen.screen_list` and
:func:`~ldnsim.clinical.screen.screen_medication` return the typed results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "ScreenedMedication", "Screening"]


@dataclass
class Finding:
    """Why an entry got its severity: one ingredient (or an unresolved stretch) and the rule it fell under.

    ``uncertain`` marks a spelling/brand-family/possible-opioid reading; ``candidates`` the names a spelling
    correction could be; ``detail`` the reason of a list-level (DXM) finding. ``severity`` is set from the
    rule once the findings of the entry are collected.
    """

    ingredient: str
    rule: str
    atc: list[str]
    matched: str
    severity: str | None = None
    uncertain: bool = False
    candidates: list[dict[str, Any]] | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ingredient": self.ingredient, "rule": self.rule, "atc": self.atc, "matched": self.matched
        }
        if self.uncertain:
            out["uncertain"] = True
        if self.candidates is not None:
            out["candidates"] = self.candidates
        out["severity"] = self.severity
        if self.detail is not None:
            out["detail"] = self.detail
        return out


@dataclass
class ScreenedMedication:
    """One screened entry: what it was read as, its severity, the governing rule's advice and sources."""

    input: str
    source: str
    recognised: bool
    ingredients: list[str]
    severity: str
    summary: str
    mechanism: str
    management: str
    evidence: str
    rule: str
    sources: list[dict[str, Any]]
    findings: list[Finding]
    formulation: str | None
    formulation_detail: dict[str, Any] | None
    notes: list[str]
    candidates: list[dict[str, Any]]
    split_from: str | None = None  # the one-line list this item was split from

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "input": self.input,
            "source": self.source,
            "recognised": self.recognised,
            "ingredients": self.ingredients,
            "severity": self.severity,
            "summary": self.summary,
            "mechanism": self.mechanism,
            "management": self.management,
            "evidence": self.evidence,
            "rule": self.rule,
            "sources": self.sources,
            "findings": [f.to_dict() for f in self.findings],
            "formulation": self.formulation,
            "formulation_detail": self.formulation_detail,
            "notes": self.notes,
            "candidates": self.candidates,
        }
        if self.split_from is not None:
            out["split_from"] = self.split_from
        return out


@dataclass
class Screening:
    """A screened medication list: its entries, the highest severity and the count per severity."""

    medications: list[ScreenedMedication]
    highest_severity: str
    counts: dict[str, int]
    severity_order: list[str]
    disclaimer: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "medications": [m.to_dict() for m in self.medications],
            "highest_severity": self.highest_severity,
            "counts": self.counts,
            "severity_order": self.severity_order,
            "disclaimer": self.disclaimer,
        }
