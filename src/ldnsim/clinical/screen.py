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
from .screened import Finding, ScreenedMedication, Screening
from .vocabulary import Match, normalise, vocabulary

__all__ = ["screen_entry", "screen", "screen_medication", "screen_list", "detect_acting"]

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


#: words that negate a following class word ("no opioids", "denies opioid use", "not on narcotics")
NEGATIONS = frozenset({"no", "denies", "denied", "deny", "not", "never", "nil", "without", "non", "none"})
#: how many tokens before the class word a negation may stand ("denies any current opioid use")
_NEG_WINDOW = 4


def _drop_negated(text: str, matches: list[Match]) -> tuple[list[Match], list[str]]:
    """Drop *generic* opioid class words ("opioids", "narcotics") negated in the entry.

    Only the unspecified class word is dropped; a named drug ("no codeine") stays — a named opioid in a
    medication entry is screened as written (conservative), and the note says so.
    """
    toks = normalise(text).split()
    kept, negated = [], []
    for m in matches:
        generic = m.name.ingredients == ("opioid (unspecified)",) and m.how == "exact"
        if generic:
            first = m.span.split()[0]
            idx = [i for i, t in enumerate(toks) if t == first]
            if any(
                t in NEGATIONS for i in idx for t in toks[max(0, i - _NEG_WINDOW) : i]
            ):
                negated.append(m.span)
                continue
        kept.append(m)
    return kept, negated


def detect_acting(text: str, matches: list[Match]) -> str:
    """short | long | patch, from the product (brand/ingredient) and the words in the entry."""
    return detect_formulation(text, matches).acting


def screen_entry(text: str, *, source: str = "text") -> dict[str, Any]:
    """Screen one entry; returns the per-medication JSON object of ``ldnsim check``
    (:func:`screen_medication` rendered)."""
    return screen_medication(text, source=source).to_dict()


def screen_medication(text: str, *, source: str = "text") -> ScreenedMedication:
    """Screen one entry (typed result; see :mod:`ldnsim.clinical.screened`)."""
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
    leftovers = [t for t in leftovers if t not in NEGATIONS]
    findings: list[Finding] = []
    notes: list[str] = []
    dose = _dose_mg(text)
    matches, negated = _drop_negated(text, matches)
    if negated:
        notes.append(
            "negated mention ignored: "
            + ", ".join(repr(n) for n in negated)
            + " (a statement that no opioid is taken; confirm at the interview)"
        )
    candidates: list[dict] = []
    for m in matches:
        notes.extend(m.notes)
        if m.name.note and m.how != "uncertain":
            notes.append(m.name.note)
        if m.how == "uncertain":
            candidates.extend(m.candidates)
            findings.append(
                Finding(f"unidentified '{m.span}'", "unknown", [], m.span, uncertain=True,
                        candidates=m.candidates)
            )
            continue
        if m.how == "possible":
            ing = m.name.ingredients[0] if m.name.ingredients else m.name.text
            findings.append(Finding(ing, "possible_opioid", [], m.span, uncertain=True))
            continue
        if m.name.family:
            findings.append(Finding("/".join(m.name.ingredients), "brand_family", [], m.span, uncertain=True))
            continue
        for ing in m.name.ingredients:
            rule = voc.rule_of(ing)
            if ing == "naltrexone" and (m.name.duplicate or (dose is not None and dose >= 25.0)):
                rule = "naltrexone_duplicate"
            findings.append(Finding(ing, rule, voc.atc_of(ing), m.span))
    # one finding per ingredient (the most severe)
    by_ing: dict[str, Finding] = {}
    for f in findings:
        old = by_ing.get(f.ingredient)
        if old is None or RANK[rb[f.rule]["severity"]] > RANK[rb[old.rule]["severity"]]:
            by_ing[f.ingredient] = f
    findings = list(by_ing.values())
    for f in findings:
        f.severity = rb[f.rule]["severity"]
    recognised = any(f.rule != "unknown" for f in findings)
    sev_neg = not findings and bool(negated) and not leftovers
    if leftovers:
        notes.append(
            "could not interpret: "
            + ", ".join(repr(t) for t in leftovers)
            + (" — the entry is only partly recognised" if recognised else "")
        )
    sev = max_severity([str(f.severity) for f in findings]) if findings else "unknown"
    governing_rule = "unknown"
    if sev_neg:
        sev, governing_rule = "none", "negated_opioid"
    elif findings:
        governing = max(findings, key=lambda f: RANK[str(f.severity)])
        governing_rule = governing.rule
    if leftovers and RANK[sev] < RANK["unknown"]:
        sev = "unknown"
        governing_rule = "unknown"
    r = rb[governing_rule]
    ingredients = [f.ingredient for f in findings if f.rule != "unknown"]
    cue = detect_formulation(text, matches) if recognised else None
    return ScreenedMedication(
        input=text,
        source=source,
        recognised=recognised,
        ingredients=ingredients,
        severity=sev,
        summary=r["summary"],
        mechanism=" ".join(str(r["mechanism"]).split()),
        management=" ".join(str(r["management"]).split()),
        evidence=r["evidence"],
        rule=governing_rule,
        sources=source_list(r.get("sources") or []),
        findings=findings,
        formulation=cue.acting if cue else None,
        formulation_detail=cue.to_dict() if cue else None,
        notes=notes,
        candidates=candidates,
    )


_SPLIT = re.compile(r"[;\n\r]+|,(?!\d{3}(?!\d))|\s+(?:\+|&|and also)\s+(?=[A-Za-z])")


def split_entry(text: str) -> list[str]:
    """A one-line list ("gabapentin 300 mg tid, Dolantin 50 mg prn, LDN 4.5 mg") → its items.

    Split on semicolons, line breaks and commas (not a thousands comma, "1,500 mg"); a piece that names
    no medicine ("1-2 tabs q6h", "extra strength") is glued back onto the previous one, so a sig or a
    strength written after a comma stays with its drug. A single item is returned unchanged.
    """
    if not isinstance(text, str) or len(text) > 20_000:
        return [text]
    pieces = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    if len(pieces) < 2:
        return [text]
    voc, rb = vocabulary(), rules()
    items: list[str] = []
    for p in pieces:
        named = bool(voc.match(p, rb)[0])
        if named or not items:
            items.append(p)
        else:
            items[-1] = f"{items[-1]}, {p}"
    named_items = [i for i in items if voc.match(i, rb)[0]]
    return items if len(named_items) >= 2 else [text]


MAX_ENTRY_CHARS = 10_000  # a medication entry as written is < 300 characters


def screen(entries: list[str] | list[tuple[str, str]], *, cyp2d6: str | None = None) -> dict[str, Any]:
    """Screen a list of entries (strings, or ``(text, source)`` pairs) → the ``ldnsim check`` document
    (:func:`screen_list` rendered).

    List-level rules run after the entries: dextromethorphan's dose ceiling, MAOI/serotonergic/CYP2D6
    combinations (``cyp2d6`` = the patient's phenotype, e.g. "pm"), see :mod:`ldnsim.clinical.dxm`.
    """
    return screen_list(entries, cyp2d6=cyp2d6).to_dict()


def screen_list(entries: list[str] | list[tuple[str, str]], *, cyp2d6: str | None = None) -> Screening:
    """Screen a list of entries (typed result; see :func:`screen` and :mod:`ldnsim.clinical.screened`)."""
    if not entries:
        raise InputError(
            "medications", "the medication list is empty", accepted="one or more medication entries"
        )
    if isinstance(entries, str | bytes) or not hasattr(entries, "__iter__"):
        raise InputError("medications", "must be a list of entries", accepted="a list of strings")
    meds: list[ScreenedMedication] = []
    for i, e in enumerate(entries):
        pair = isinstance(e, tuple | list) and len(e) == 2 and all(isinstance(x, str) for x in e)
        ok = isinstance(e, str) or pair
        if not ok:
            raise InputError(f"medications[{i}]", "must be text or a (text, source) pair", value=repr(e)[:60])
        text, src = (e, "text") if isinstance(e, str) else e
        if len(text) > MAX_ENTRY_CHARS:  # the screen is linear in the text (~30 µs a character): bounded
            raise InputError(
                f"medications[{i}]", "entry too long", accepted=f"at most {MAX_ENTRY_CHARS} characters"
            )
        parts = split_entry(text) if src == "text" else [text]
        for part in parts:
            med = screen_medication(part, source=src)
            if len(parts) > 1:
                med.split_from = text
                med.notes.insert(0, f"one item of the list {text!r} (each item screened separately)")
            meds.append(med)
    from .dxm import apply_dxm_rules

    apply_dxm_rules(meds, cyp2d6=cyp2d6)
    return Screening(
        medications=meds,
        highest_severity=max_severity([m.severity for m in meds]),
        counts={s: sum(m.severity == s for m in meds) for s in RANK},
        severity_order=list(RANK),
        disclaimer=DISCLAIMER,
    )
