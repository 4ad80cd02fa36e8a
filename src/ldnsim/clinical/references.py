"""References for clinical documents: each listed once, grades explained once, BibTeX/RIS export.

Outputs cite sources per finding (``sources: [{id, cite, url, grade}]``). A document lists every reference
once, numbered in order of first use (:func:`collect`), with the evidence grades that occur explained once
(:func:`grade_legend`), and can be exported as BibTeX or RIS (:func:`export`). Identifiers a pharmacist can
look up are read from the URL (:func:`identifiers`): PubMed PMID, PMC id, DOI, DailyMed / openFDA SPL set id,
EMC product number, eCFR section.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InputError

__all__ = ["collect", "grade_legend", "identifiers", "export", "GRADES", "FORMATS"]

FORMATS = ("bibtex", "ris")

#: the evidence grades used in the rule base (rules.yaml header), explained in plain language
GRADES = {
    "L": "regulatory label, SmPC or regulation",
    "P": "peer-reviewed study, review or guideline",
    "E": "expert or pharmacist opinion",
    "C": "commercial or low-authority web page",
    "UNVERIFIED": "not confirmed by a primary source",
}
_SUFFIX = {
    "derived": "label text read on a secondary copy",
    "std": "classification standard",
    "db": "curated interaction database",
    "unverified": "primary not read here",
    "extrapolated": "extrapolated beyond the label's wording",
}


def _walk(obj: Any):
    if isinstance(obj, dict):
        if "url" in obj and "cite" in obj:
            yield obj
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _walk(v)


def collect(doc: Any) -> list[dict[str, Any]]:
    """Every source cited anywhere in ``doc`` (dicts with ``cite`` and ``url``), once, in first-use order."""
    seen: dict[str, dict[str, Any]] = {}
    for s in _walk(doc):
        key = s.get("id") or s["url"] + "|" + s["cite"][:40]
        if key not in seen:
            grade = s.get("grade") or s.get("evidence") or "?"
            seen[key] = {
                "id": s.get("id") or f"ref{len(seen) + 1}",
                "cite": s["cite"],
                "url": s["url"],
                "grade": grade,
                "identifiers": identifiers(s["url"]),
            }
    return list(seen.values())


def grade_legend(grades: list[str] | None = None) -> str:
    """ "L = regulatory label…; P = …" for the grades given (all when None), each explained once."""
    legend = dict(GRADES)
    wanted = list(dict.fromkeys(grades)) if grades is not None else list(legend)
    parts = []
    for g in wanted:
        base, _, suffix = str(g).partition("-")
        text = legend.get(g) or legend.get(base)
        if text is None:
            continue
        if suffix and g not in legend:
            text += f" ({_SUFFIX.get(suffix.split()[0].lower(), suffix)})"
        parts.append(f"{g} = {text}")
    return "; ".join(parts)


_ID_PATTERNS = [
    ("pmid", re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|pmid[=/:])(\d{5,9})", re.I)),
    ("pmcid", re.compile(r"(PMC\d{5,9})", re.I)),
    ("doi", re.compile(r"(?:doi\.org/|doi/|/doi/(?:abs/|full/)?)(10\.\d{4,9}/[^\s?#]+)", re.I)),
    (
        "setid",
        re.compile(
            r"(?:setid=|set_id[:=]%?2?2?)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I
        ),
    ),
    (
        "spl",
        re.compile(
            r"drugcentral\.org/label/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I
        ),
    ),
    ("emc", re.compile(r"medicines\.org\.uk/emc/product/(\d+)", re.I)),
    ("cfr", re.compile(r"ecfr\.gov/.*section-(\d+\.\d+)", re.I)),
    ("nct", re.compile(r"(NCT\d{8})")),
]


def identifiers(url: str) -> dict[str, str]:
    """Look-up identifiers in a source URL (PMID, PMC, DOI, SPL set id, EMC product, CFR section, NCT)."""
    out = {}
    for name, pat in _ID_PATTERNS:
        m = pat.search(url or "")
        if m:
            out[name] = m.group(1)
    return out


def _bib_key(i: int, ref: dict) -> str:
    word = re.sub(r"[^A-Za-z]", "", (ref["cite"].split() or ["ref"])[0]) or "ref"
    return f"{word.lower()}{i}"


def _bib_escape(s: str) -> str:
    return (
        s.replace("\\", "\\textbackslash{}")
        .replace("{", "\\{")
        .replace("}", "\\}")
        .replace("&", "\\&")
        .replace("%", "\\%")
        .replace("#", "\\#")
        .replace("_", "\\_")
    )


def export(refs: list[dict[str, Any]], fmt: str) -> str:
    """BibTeX (``@misc`` entries with ``howpublished`` URL) or RIS (``TY  - ELEC``) text for ``refs``."""
    fmt = str(fmt).strip().lower()
    if fmt not in FORMATS:
        raise InputError("refs", "unknown reference format", accepted=" | ".join(FORMATS), value=fmt)
    lines: list[str] = []
    for i, r in enumerate(refs, 1):
        ids = r.get("identifiers") or {}
        if fmt == "bibtex":
            lines.append(f"@misc{{{_bib_key(i, r)},")
            lines.append(f"  title = {{{_bib_escape(r['cite'])}}},")
            lines.append(f"  howpublished = {{\\url{{{r['url']}}}}},")
            if "doi" in ids:
                lines.append(f"  doi = {{{ids['doi']}}},")
            if "pmid" in ids:
                lines.append(f"  pmid = {{{ids['pmid']}}},")
            lines.append(f"  note = {{Evidence grade {r['grade']}}}")
            lines.append("}")
        else:
            lines += ["TY  - ELEC", f"TI  - {r['cite']}", f"UR  - {r['url']}"]
            if "doi" in ids:
                lines.append(f"DO  - {ids['doi']}")
            if "pmid" in ids:
                lines.append(f"AN  - PMID:{ids['pmid']}")
            lines += [f"N1  - Evidence grade {r['grade']}", "ER  - "]
        lines.append("")
    return "\n".join(lines)
