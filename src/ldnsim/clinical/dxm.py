"""Dextromethorphan (DXM) rules across a medication list (``clinical/dxm.yaml``, rules ``dxm_*``).

Naltrexone does not block DXM, and LDN + DXM are combined in the literature, so DXM on its own is ``info``.
What matters is DXM's own limits, which a per-entry screen cannot see:

* the daily dose — above 120 mg/24 h (US OTC monograph, 21 CFR 341.74) → ``dxm_dose_ceiling`` (warning);
* an MAO inhibitor anywhere in the list → ``dxm_maoi`` (critical: label contraindication);
* another serotonergic drug → ``dxm_serotonergic`` (warning);
* a CYP2D6 inhibitor elsewhere in the list, or a CYP2D6 poor metaboliser → ``dxm_cyp2d6`` (warning);
* the fixed combinations: DXM/quinidine (Nuedexta) → ``dxm_quinidine_qt``; DXM/bupropion (Auvelity) →
  ``dxm_bupropion`` (warnings).

:func:`apply_dxm_rules` adds these findings to the DXM entries of a screened list and raises their severity.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from ..data import value_of
from ._doccache import cached_doc
from .rules import RANK, rules, source_list
from .screened import Finding, ScreenedMedication

__all__ = ["daily_dose_mg", "apply_dxm_rules", "dxm_data"]

_MASS = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|mcg|ug|g)\b", re.I)
_COMBO = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*\d+(?:\.\d+)?\s*(mg)\b", re.I)
_PER_DAY = re.compile(r"/\s*(?:day|d|24\s*h)\b|per\s+day|a\s+day\b|daily\s+total|total\s+daily", re.I)
_TIMES = [
    (re.compile(r"\bq\s*(\d+(?:\.\d+)?)\s*-?\s*(?:\d+\s*)?h", re.I), None),
    (re.compile(r"\bevery\s+(\d+(?:\.\d+)?)\s*(?:-\s*\d+\s*)?(?:h|hr|hrs|hours?)\b", re.I), None),
    (re.compile(r"\b(?:qid|qds|4\s*(?:x|times)\s*(?:a|per)?\s*day)\b", re.I), 4.0),
    (re.compile(r"\b(?:tid|tds|3\s*(?:x|times)\s*(?:a|per)?\s*day)\b", re.I), 3.0),
    (re.compile(r"\b(?:bid|bd|twice\s*(?:a\s*)?(?:daily|day))\b", re.I), 2.0),
]


_NO_FREQUENCY = "single dose (no frequency given)"


@cache
def dxm_data() -> dict[str, Any]:
    return cached_doc("clinical/dxm.yaml")


def daily_dose_mg(text: str) -> tuple[float | None, str]:
    """DXM per day from an entry (mg) and how it was read: "240 mg/day" → 240; "30 mg q6h" → 120."""
    # a fixed combination's strength "45/105 mg" names DXM first (Auvelity 45/105, Nuedexta 20/10)
    m = _COMBO.search(text) or _MASS.search(text)
    if not m:
        return None, "no dose"
    mg = float(m.group(1)) * {"mg": 1.0, "mcg": 1e-3, "ug": 1e-3, "g": 1000.0}[m.group(2).lower()]
    if _PER_DAY.search(text):
        return mg, "stated per day"
    for pat, fixed in _TIMES:
        hit = pat.search(text)
        if hit:
            per_day = fixed if fixed is not None else 24.0 / max(float(hit.group(1)), 1.0)
            return mg * per_day, f"{mg:g} mg × {per_day:g} doses/day"
    return mg, _NO_FREQUENCY


def _finding(rule: str, matched: str, detail: str) -> Finding:
    return Finding("dextromethorphan", rule, [], matched, severity=rules()[rule]["severity"], detail=detail)


def apply_dxm_rules(meds: list[ScreenedMedication], *, cyp2d6: str | None = None) -> list[Finding]:
    """Add DXM findings to the screened entries ``meds`` (in place); returns the findings added."""
    d = dxm_data()
    ceiling = float(value_of(d["daily_ceiling"]))
    ceiling_cite = str(d["daily_ceiling"]["source"][0]["cite"]).split(":")[0]
    sets = {k: set(d[k]) for k in ("maoi", "serotonergic", "cyp2d6_inhibitors", "qt")}
    added: list[Finding] = []
    dxm_meds = [m for m in meds if "dextromethorphan" in m.ingredients]
    for m in dxm_meds:
        own = set(m.ingredients) - {"dextromethorphan"}
        others = {i: o.input for o in meds if o is not m for i in o.ingredients}
        new: list[Finding] = []
        mg, how = daily_dose_mg(m.input)
        if mg is not None and mg > ceiling:
            new.append(
                _finding("dxm_dose_ceiling", m.input, f"{mg:g} mg/day ({how}) > {ceiling:g} mg/day")
            )
        elif mg is None or how == _NO_FREQUENCY:
            # the daily total is a guess (a bare "DXM 30 mg" may be taken every 4 h): say the ceiling
            # was not checked rather than let the entry read as within it
            m.notes.append(
                f"DXM: {'no dose' if mg is None else 'no dosing frequency'} given, so the daily total "
                f"could not be checked against the {ceiling:g} mg/day ceiling ({ceiling_cite}); "
                "give the dose and how often it is taken."
            )
        if "quinidine" in own:
            new.append(_finding("dxm_quinidine_qt", m.input, "fixed combination with quinidine"))
        if "bupropion" in own:
            new.append(_finding("dxm_bupropion", m.input, "fixed combination with bupropion"))
        for ing, where in sorted(others.items()):
            if ing in sets["maoi"]:
                new.append(_finding("dxm_maoi", where, f"MAO inhibitor {ing} ({where!r})"))
            elif ing in sets["serotonergic"]:
                new.append(_finding("dxm_serotonergic", where, f"serotonergic {ing} ({where!r})"))
            if ing in sets["cyp2d6_inhibitors"]:
                new.append(_finding("dxm_cyp2d6", where, f"CYP2D6 inhibitor {ing} ({where!r})"))
        if cyp2d6 and str(cyp2d6).strip().lower() in ("pm", "poor"):
            new.append(_finding("dxm_cyp2d6", "patient", "CYP2D6 poor metaboliser (patient context)"))
        if not new:
            continue
        m.findings.extend(new)
        m.notes.extend(f"DXM: {f.detail} — {rules()[f.rule]['summary']}" for f in new)
        top = max(new, key=lambda f: RANK[str(f.severity)])
        if RANK[str(top.severity)] > RANK[m.severity]:
            r = rules()[top.rule]
            m.severity = str(top.severity)
            m.rule = top.rule
            m.summary = r["summary"]
            m.mechanism = " ".join(str(r["mechanism"]).split())
            m.management = " ".join(str(r["management"]).split())
            m.evidence = r["evidence"]
            m.sources = source_list(r.get("sources") or [])
        added.extend(new)
    return added
