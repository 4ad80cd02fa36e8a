"""Medication check page: paste a list, get one card per entry (severity, reason, management, sources).

An entry that is not recognised, or recognised only by an uncertain spelling match, is never shown as
settled: its card carries a form asking which medicine was meant (the closest vocabulary names), and
the list is screened again with the choice. Uses :func:`ldnsim.clinical.screen.screen` and
:func:`ldnsim.clinical.monitoring.cautions_for` (the same as ``ldnsim check``).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from rapidfuzz import fuzz, process

from ..clinical.monitoring import HEPATIC_CHOICES, cautions_for
from ..clinical.screen import screen
from ..clinical.vocabulary import normalise, vocabulary
from ..errors import InputError
from .forms import checkbox, form_with_csrf, opt_float
from .render import render

__all__ = ["router", "parse_list", "candidates", "MAX_ENTRIES", "MAX_CHARS"]

router = APIRouter()
MAX_ENTRIES = 100
MAX_CHARS = 20_000
SEVERITY_WORDS = {
    "critical": "Critical — do not combine",
    "warning": "Warning",
    "unknown": "Unresolved — needs your choice",
    "info": "Information",
    "none": "No interaction found",
}


def parse_list(text: str) -> list[str]:
    """One entry per line (or separated by ';'); blank lines ignored; bounded count and size."""
    if len(text) > MAX_CHARS:
        raise InputError("medications", "the list is too long", accepted=f"at most {MAX_CHARS} characters")
    entries = [e.strip() for e in re.split(r"[\n;]", text) if e.strip()]
    if not entries:
        raise InputError("medications", "the medication list is empty", accepted="one medicine per line")
    if len(entries) > MAX_ENTRIES:
        raise InputError(
            "medications", f"{len(entries)} entries", accepted=f"at most {MAX_ENTRIES} entries per check"
        )
    return entries


def candidates(text: str, limit: int = 6) -> list[dict]:
    """The vocabulary names closest to the words of ``text`` (for the 'which did you mean?' choice)."""
    voc = vocabulary()
    words = [w for w in normalise(text).split() if len(w) >= 3 and not any(c.isdigit() for c in w)]
    keys = list(voc.index)
    scored: dict[str, tuple[float, object]] = {}
    for q in words + ([" ".join(words)] if len(words) > 1 else []):
        for key, score, _ in process.extract(q, keys, scorer=fuzz.ratio, limit=limit):
            name = voc.index[key]
            if score >= 55 and score > scored.get(name.text, (0, None))[0]:
                scored[name.text] = (score, name)
    best = sorted(scored.values(), key=lambda x: -x[0])[:limit]
    return [
        {"name": n.text, "ingredients": list(n.ingredients), "score": round(s)}
        for s, n in best  # type: ignore[attr-defined]
    ]


def _needs_choice(m: dict) -> bool:
    return m["severity"] == "unknown" or any(f.get("uncertain") for f in m["findings"])


def _result(entries: list[str], hepatic, egfr, pregnant, breastfeeding) -> dict:
    doc = screen(entries)
    doc["cautions"] = cautions_for(
        doc, hepatic=hepatic, egfr=egfr, pregnant=pregnant, breastfeeding=breastfeeding
    )
    for i, m in enumerate(doc["medications"]):
        m["index"] = i
        m["needs_choice"] = _needs_choice(m)
        # the screening's own candidates (brand corrections it does not trust), else the nearest names
        if m["needs_choice"]:
            m["candidates"] = [
                {
                    "name": c["name"],
                    "ingredients": list(c.get("ingredients") or []),
                    "score": round(c["score"]),
                }
                for c in m.get("candidates") or []
            ] or candidates(m["input"])
        else:
            m["candidates"] = []
    doc["unresolved"] = sum(m["needs_choice"] for m in doc["medications"])
    return doc


def _blank() -> dict:
    return {"meds": "", "hepatic": "", "egfr": "", "pregnant": False, "breastfeeding": False}


@router.get("/check")
def check_form(request: Request):
    return render(
        request,
        "check.html",
        {"form": _blank(), "doc": None, "words": SEVERITY_WORDS, "hepatic_choices": HEPATIC_CHOICES},
    )


@router.post("/check")
async def check_submit(request: Request):
    form = await form_with_csrf(request)
    meds = str(form.get("meds") or "")
    # "which did you mean?" answer: replace that entry, keep its dose and timing words
    if form.get("resolve") is not None:
        entries = parse_list(meds)
        try:
            i = int(str(form.get("resolve")))
        except ValueError:
            raise InputError("resolve", "not an entry number", value=form.get("resolve")) from None
        if not 0 <= i < len(entries):
            raise InputError("resolve", "no such entry", accepted=f"0-{len(entries) - 1}", value=i)
        choice = str(form.get("choice") or "").strip() or str(form.get("other") or "").strip()
        if not choice:
            raise InputError("choice", "pick the medicine you meant, or type its name")
        if choice in ("other",):
            choice = str(form.get("other") or "").strip()
            if not choice:
                raise InputError("other", "type the name of the medicine you meant")
        entries[i] = choice
        meds = "\n".join(entries)
    hepatic = str(form.get("hepatic") or "").strip() or None
    if hepatic is not None and hepatic not in HEPATIC_CHOICES:
        raise InputError("hepatic", "unknown value", accepted=", ".join(HEPATIC_CHOICES), value=hepatic)
    egfr = opt_float(form, "egfr", 0.0, 200.0, "mL/min")
    pregnant = checkbox(form, "pregnant")
    breastfeeding = checkbox(form, "breastfeeding")
    doc = _result(parse_list(meds), hepatic, egfr, pregnant, breastfeeding)
    fvals = {
        "meds": meds,
        "hepatic": hepatic or "",
        "egfr": form.get("egfr") or "",
        "pregnant": pregnant,
        "breastfeeding": breastfeeding,
    }
    return render(
        request,
        "check.html",
        {"form": fvals, "doc": doc, "words": SEVERITY_WORDS, "hepatic_choices": HEPATIC_CHOICES},
    )
