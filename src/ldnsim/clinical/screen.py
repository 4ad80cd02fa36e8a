"""Screen free-text medication entries against LDN (``ldnsim check``).

Each entry → ingredients (via :mod:`ldnsim.clinical.vocabulary`) → rule per ingredient
(``rules.yaml``) → the entry's severity is the highest of its findings. Unrecognised entries are
``unknown`` (never reported as safe); entries recognised only in part rank at least ``unknown``;
uncertain spelling matches to an opioid are ``critical`` with a note.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InputError
from .formulation import detect_formulation
from .rules import DISCLAIMER, RANK, max_severity, rules, source_list
from .vocabulary import Match, vocabulary

__all__ = ["screen_entry", "screen", "detect_acting"]

_MASS = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|mcg|µg|ug|g)\b", re.I)
def _dose_mg(text: str, *, bare: bool = True) -> float | None:
    """First mass in the text, in mg; with ``bare`` a unit-less number counts as mg; "5/325" → 5."""
    m = _MASS.search(text)
    if not m:
        combo = re.search(r"\b(\d+(?:\.\d+)?)\s*/\s*\d+(?:\.\d+)?\b(?!\s*(?:ml|h|hr))", text, re.I)
        if combo:
            return float(combo.group(1))
        if not bare:
            return None
        bare = re.search(r"\b(\d+(?:\.\d+)?)\b(?!\s*(?:/|ml|mcg|ug|µg|%))", text, re.I)
        return float(bare.group(1)) if bare else None
    f = {"mg": 1.0, "mcg": 1e-3, "µg": 1e-3, "ug": 1e-3, "g": 1000.0}[m.group(2).lower()]
    return float(m.group(1)) * f


def detect_acting(text: str, matches: list[Match]) -> str:
    """short | long | patch, from the product (brand/ingredient) and the words in the entry."""
    return detect_formulation(text, matches).acting


def screen_entry(text: str, *, source: str = "text") -> dict[str, Any]:
    """Screen one entry; returns the per-medication JSON object of ``ldnsim check``."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(
            "medications",
            "an entry is empty",
            accepted="a medication name, e.g. 'Percocet 5/325'",
            value=text,
        )
    voc = vocabulary()
    rb = rules()
    matches, leftovers = voc.match(text, rb)
    findings: list[dict] = []
    notes: list[str] = []
    dose = _dose_mg(text)
    for m in matches:
        notes.extend(m.notes)
        if m.name.note:
            notes.append(m.name.note)
        if m.how == "possible":
            findings.append(
                {
                    "ingredient": m.name.ingredients[0] if m.name.ingredients else m.name.text,
                    "rule": "possible_opioid",
                    "atc": [],
                    "matched": m.span,
                    "uncertain": True,
                }
            )
            continue
        if m.name.family:
            findings.append(
                {
                    "ingredient": "/".join(m.name.ingredients),
                    "rule": "brand_family",
                    "atc": [],
                    "matched": m.span,
                    "uncertain": True,
                }
            )
            continue
        for ing in m.name.ingredients:
            rule = voc.rule_of(ing)
            if ing == "naltrexone" and (m.name.duplicate or (dose is not None and dose >= 25.0)):
                rule = "naltrexone_duplicate"
            findings.append({"ingredient": ing, "rule": rule, "atc": voc.atc_of(ing), "matched": m.span})
    # one finding per ingredient (the most severe)
    by_ing: dict[str, dict] = {}
    for f in findings:
        old = by_ing.get(f["ingredient"])
        if old is None or RANK[rb[f["rule"]]["severity"]] > RANK[rb[old["rule"]]["severity"]]:
            by_ing[f["ingredient"]] = f
    findings = list(by_ing.values())
    for f in findings:
        f["severity"] = rb[f["rule"]]["severity"]
    recognised = bool(findings)
    if leftovers:
        notes.append(
            "could not interpret: "
            + ", ".join(repr(t) for t in leftovers)
            + (" — the entry is only partly recognised" if recognised else "")
        )
    sev = max_severity([f["severity"] for f in findings]) if findings else "unknown"
    governing_rule = "unknown"
    if findings:
        governing = max(findings, key=lambda f: RANK[f["severity"]])
        governing_rule = governing["rule"]
    if leftovers and RANK[sev] < RANK["unknown"]:
        sev = "unknown"
        governing_rule = "unknown"
    r = rb[governing_rule]
    ingredients = [f["ingredient"] for f in findings]
    cue = detect_formulation(text, matches) if recognised else None
    return {
        "input": text,
        "source": source,
        "recognised": recognised,
        "ingredients": ingredients,
        "severity": sev,
        "summary": r["summary"],
        "mechanism": " ".join(str(r["mechanism"]).split()),
        "management": " ".join(str(r["management"]).split()),
        "evidence": r["evidence"],
        "rule": governing_rule,
        "sources": source_list(r.get("sources") or []),
        "findings": findings,
        "formulation": cue.acting if cue else None,
        "formulation_detail": cue.to_dict() if cue else None,
        "notes": notes,
    }


def screen(entries: list[str] | list[tuple[str, str]]) -> dict[str, Any]:
    """Screen a list of entries (strings, or ``(text, source)`` pairs) → the ``ldnsim check`` document."""
    if not entries:
        raise InputError(
            "medications", "the medication list is empty", accepted="one or more medication entries"
        )
    meds = []
    for e in entries:
        text, src = (e, "text") if isinstance(e, str) else e
        meds.append(screen_entry(text, source=src))
    highest = max_severity([m["severity"] for m in meds])
    counts = {s: sum(m["severity"] == s for m in meds) for s in RANK}
    return {
        "medications": meds,
        "highest_severity": highest,
        "counts": counts,
        "severity_order": list(RANK),
        "disclaimer": DISCLAIMER,
    }
