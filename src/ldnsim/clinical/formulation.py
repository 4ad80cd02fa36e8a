"""Which product form a medication entry names, and which drug-file formulation models it.

Brand → formulation is data (``vocabulary.yaml``: ``formulation_kinds``, ``formulation_words``,
``brand_formulations``, each brand with its label name as ``cite`` or ``assumed`` + ``reason``). An entry's
cues — a brand (also as matched by spelling), a generic word ("ER", "XR", "extended-release", "patch",
"transdermal" …), or the ingredient's own default (fentanyl → patch) — give a *kind* (``ir``, ``buccal``,
``er``, ``depot``, ``patch``); several cues resolve to the one with the longer washout
(patch > depot > er > buccal > ir). Ambiguity therefore resolves to the conservative answer.

:func:`pk_formulation` then picks the drug file's formulation for that kind; when the file has none, an
extended-release (or buccal) product is modelled with the slowest-absorbing oral/mucosal formulation the file
has, and the explanation says so. Patches and depots without a matching formulation are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from .vocabulary import Match, normalise

__all__ = ["Cue", "detect_formulation", "pk_formulation", "formulation_data", "PRECEDENCE"]

#: cue precedence, least to most conservative (the later kind wins)
PRECEDENCE = ("ir", "buccal", "er", "depot", "patch")
_ACTING_RANK = {"short": 0, "long": 1, "patch": 2}
#: routes a tablet/capsule/film may be modelled with when the file lacks the named formulation
_FALLBACK_ROUTES = ("oral", "sublingual", "buccal", "rectal")
#: tokens before "24 h" that make it a dosing interval ("q24h", "every 24 h"), not a product form
_SIG_BEFORE = frozenset({"q", "every", "per", "x", "each"})


@dataclass(frozen=True)
class Cue:
    """The formulation an entry is read as, and why."""

    kind: str  # ir | buccal | er | depot | patch
    label: str  # e.g. "extended release"
    acting: str  # short | long | patch — the restart label-rule category
    by: str  # brand | word | ingredient | default
    matched: str | None  # the brand/word as found in the entry
    cite: str | None = None  # label/SmPC name of the brand
    assumed: bool = False
    reason: str | None = None  # why, when assumed
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def formulation_data() -> dict[str, Any]:
    """kinds, words (phrase → kind), brands (normalised name/alias → (name, spec)), max phrase length."""
    from ._doccache import cached_doc

    doc = cached_doc("clinical/vocabulary.yaml")
    kinds = dict(doc["formulation_kinds"])
    words: dict[str, str] = {}
    for kind, phrases in (doc.get("formulation_words") or {}).items():
        for p in phrases:
            words[normalise(str(p))] = kind
    brands: dict[str, tuple[str, dict]] = {}
    table = dict(doc.get("brand_formulations") or {})
    for name, spec in (doc.get("brands_sourced") or {}).items():
        if spec.get("form") and spec["form"] != "ir" and name not in table:
            table[name] = {"kind": spec["form"], "cite": spec.get("source"),
                           **({"assumed": True, "reason": spec["assumed"]} if spec.get("assumed") else {})}
    for name, spec in table.items():
        for alias in [name, *(spec.get("aliases") or [])]:
            key = normalise(alias)
            brands[key] = (name, spec)
            brands[key.replace(" ", "")] = (name, spec)
    longest = max(len(k.split()) for k in [*words, *brands])
    return {"kinds": kinds, "words": words, "brands": brands, "max_len": longest}


def _a(label: str) -> str:
    return ("an " if label[:1] in "aeiou" else "a ") + label


def _phrases(toks: list[str], table: dict, max_len: int) -> list[tuple[str, int]]:
    """Phrases of ``toks`` found in ``table`` (longest first, spaced or joined), with their start index."""
    out = []
    i = 0
    while i < len(toks):
        for n in range(min(max_len, len(toks) - i), 0, -1):
            span = toks[i : i + n]
            key = next((k for k in (" ".join(span), "".join(span)) if k in table), None)
            if key is not None:
                out.append((key, i))
                i += n
                break
        else:
            i += 1
    return out



def _cue(kinds: dict, kind: str, by: str, matched: str, why: str, **extra: Any) -> Cue:
    """A cue of product form ``kind`` (its label and acting class from the vocabulary's formulation kinds)."""
    return Cue(kind=kind, label=kinds[kind]["label"], acting=kinds[kind]["acting"], by=by, matched=matched,
               why=why, **extra)

def detect_formulation(text: str, matches: list[Match]) -> Cue:
    """Read the formulation an entry names (brand, generic word, or ingredient default)."""
    d = formulation_data()
    kinds, words, brands = d["kinds"], d["words"], d["brands"]
    toks = normalise(text).split()
    cues: list[Cue] = []
    # brands: as written in the entry, and as the vocabulary matched them (spelling matches: "oxycontn")
    seen: set[str] = set()
    found = [k for k, _ in _phrases(toks, brands, d["max_len"])]
    found += [normalise(m.name.text) for m in matches if normalise(m.name.text) in brands]
    for key in found:
        name, spec = brands[key]
        if name in seen:
            continue
        seen.add(name)
        k = spec["kind"]
        how = f"brand '{name}'" + (f" (written '{key}')" if normalise(name) != key else "")
        cues.append(_cue(kinds, k, "brand", name, f"{how} is {_a(kinds[k]['label'])} product",
                         cite=spec.get("cite"), assumed=bool(spec.get("assumed")),
                         reason=" ".join(str(spec["reason"]).split()) if spec.get("assumed") else None))
    for key, i in _phrases(toks, words, d["max_len"]):
        if key.startswith("24 ") and i > 0 and toks[i - 1] in _SIG_BEFORE:
            continue  # "q24h" is a dosing interval, not a product form
        k = words[key]
        cues.append(_cue(kinds, k, "word", key, f"the word '{key}' names {_a(kinds[k]['label'])} product"))
    # ingredient / brand-table default (fentanyl alone → patch; methadone → long-acting, oral IR)
    acting = max((m.name.acting or "short" for m in matches), key=_ACTING_RANK.__getitem__, default="short")
    if acting == "patch" and not any(c.kind == "patch" for c in cues):
        src = next(m for m in matches if m.name.acting == "patch")
        text = src.name.text
        cues.append(_cue(kinds, "patch", "ingredient", text,
                         f"'{text}' with no product form named is read as a transdermal patch", assumed=True,
                         reason=f"'{text}' without a product form is read as a patch (vocabulary default)"))
    if not cues:
        return Cue(
            kind="ir",
            label=kinds["ir"]["label"],
            acting=acting,
            by="default",
            matched=None,
            assumed=True,
            reason="no brand or word names a modified-release product",
            why="no brand or word names a modified-release product: immediate release assumed",
        )
    best = max(cues, key=lambda c: PRECEDENCE.index(c.kind))
    # the label category never drops below the ingredient's own (methadone stays long-acting)
    acting = max(best.acting, acting, key=_ACTING_RANK.__getitem__)
    others = [c for c in cues if c is not best and c.kind != best.kind]
    why = best.why
    if others:
        also = ", ".join(f"{c.matched!r} ({c.label})" for c in others)
        why += f"; also {also} — the longer washout wins"
    return Cue(**{**best.to_dict(), "acting": acting, "why": why})


def _absorption_h(f: Any) -> float:
    """Mean absorption time of a formulation, h: 1/ka plus half a zero-order release (0 for IV)."""
    t = 0.0
    if f.ka is not None and f.ka.value > 0:
        t += 1.0 / float(f.ka.value)
    if getattr(f, "release_h", None) is not None:
        t += float(f.release_h.value) / 2.0
    return t


def pk_formulation(drug: str, cue: Cue, forms: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(formulation key or None, explanation) for modelling ``cue`` with a drug file's ``forms``.

    ``forms`` maps key → :class:`ldnsim.pk._schema.Formulation` (``load_drug(drug).formulations``).
    None means: do not run the model (the explanation's ``why`` says why; the label rule applies).
    """
    kinds = formulation_data()["kinds"]
    keys = list(kinds[cue.kind]["keys"])
    info: dict[str, Any] = {"requested": cue.kind, "tried": keys, "available": sorted(forms)}
    hit = next((k for k in keys if k in forms), None)
    if hit is not None:
        info.update(used=hit, fallback=False, why=f"{cue.label}: the {drug} PK file's {hit!r} formulation")
        return hit, info
    if cue.kind == "patch":
        info.update(
            used=None,
            fallback=False,
            why=f"the {drug} PK file has no patch formulation; a patch is not modelled as tablets, so the "
            "model is not run and the label rule for patches applies",
        )
        return None, info
    if cue.kind == "depot":
        info.update(
            used=None,
            fallback=False,
            why=f"a long-acting injection/implant releases {drug} for weeks to months; the {drug} PK file "
            "has no depot formulation and a tablet stand-in would understate it, so the model is not run",
        )
        return None, info
    cands = {
        k: _absorption_h(f) for k, f in forms.items() if f.route in _FALLBACK_ROUTES and f.ka is not None
    }
    if not cands:
        info.update(
            used=None,
            fallback=False,
            why=f"the {drug} PK file has no oral or mucosal formulation ({', '.join(sorted(forms))})",
        )
        return None, info
    slow = max(cands, key=lambda k: (cands[k], k))
    mat = cands[slow]
    mat_txt = f"{mat:.2g} h" if math.isfinite(mat) else "n/a"
    if cue.kind == "ir":
        why = (
            f"{cue.label}: the {drug} PK file has no {'/'.join(keys)} formulation; modelled with {slow!r}, "
            f"its slowest-absorbing oral/mucosal formulation (mean absorption time {mat_txt})"
        )
    else:
        why = (
            f"{cue.why}, but the {drug} PK file has no {cue.label} formulation ({'/'.join(keys)}); modelled "
            f"with {slow!r}, the slowest-absorbing formulation it has (mean absorption time {mat_txt}) — the "
            f"conservative choice, which still understates {_a(cue.label)} product's tail, so the "
            "recommendation is never shorter than the label rule"
        )
    info.update(used=slow, fallback=True, why=why)
    return slow, info
