"""Read medication entries from FHIR (R4, and R5's CodeableReference) for screening.

Accepted: a ``Bundle`` (any type) whose entries are ``MedicationRequest`` / ``MedicationStatement``
(other resource types are ignored; ``Medication`` resources in the bundle can be referenced), or a
single such resource. The medication is read from ``medicationCodeableConcept`` (text, then coding
displays), ``medicationReference`` → contained or bundled ``Medication`` (code and ingredients), or
R5 ``medication.concept`` / ``medication.reference``. RxNorm codes of known ingredients and ATC codes
are used as well (ATC by class prefix, the rule semantics of clinical_guidance.md §3). Malformed input
raises :class:`~ldnsim.errors.InputError` naming the field (``fhir.entry[2].resource…``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ..errors import InputError
from .vocabulary import vocabulary

__all__ = ["load_bundle", "entries_from_fhir", "MED_TYPES", "RXNORM", "ATC_SYSTEMS", "atc_opioid_class"]

MED_TYPES = ("MedicationRequest", "MedicationStatement")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC_SYSTEMS = ("http://www.whocc.no/atc", "http://www.whocc.no/atc/", "urn:oid:2.16.840.1.113883.6.73")

# ATC prefixes of systemic opioids (clinical_guidance.md §3 rule semantics) → a representative name
_ATC_OPIOID = [
    ("N02A", "opioid analgesic"),
    ("N07BC", "opioid used in dependence"),
    ("R05DA01", "ethylmorphine"),
    ("R05DA03", "hydrocodone"),
    ("R05DA04", "codeine"),
    ("R05DA08", "pholcodine"),
    ("A07DA01", "diphenoxylate"),
    ("A07DA02", "opium"),
    ("A07DA04", "difenoxin"),
    ("N01AH", "fentanyl"),
]


def atc_opioid_class(code: str) -> str | None:
    c = code.strip().upper()
    for prefix, name in _ATC_OPIOID:
        if c.startswith(prefix):
            return name
    return None


def load_bundle(path: str | Path) -> Any:
    from .._io import load_json_file  # a regular file, bounded size and depth (never /dev/zero or a FIFO)

    return load_json_file(Path(path), "fhir")


def _concept_texts(cc: Any, where: str) -> list[str]:
    if not isinstance(cc, dict):
        raise InputError(where, "must be a CodeableConcept object", value=type(cc).__name__)
    out: list[str] = []
    if isinstance(cc.get("text"), str) and cc["text"].strip():
        out.append(cc["text"].strip())
    codings = cc.get("coding") or []
    if not isinstance(codings, list):
        raise InputError(f"{where}.coding", "must be a list")
    rx = _rxcui_index()
    for i, c in enumerate(codings):
        if not isinstance(c, dict):
            raise InputError(f"{where}.coding[{i}]", "must be a Coding object")
        disp = c.get("display")
        if isinstance(disp, str) and disp.strip() and disp.strip() not in out:
            out.append(disp.strip())
        code, system = str(c.get("code") or ""), str(c.get("system") or "")
        if system == RXNORM and code in rx:
            out.append(rx[code])
        if system in ATC_SYSTEMS and code:
            cls = atc_opioid_class(code)
            if cls is not None:
                out.append(cls if cls not in ("opioid analgesic", "opioid used in dependence") else "opioid")
    if not out and codings:
        # codes only, none known: keep them visible; screens as `unknown` (never as safe)
        out.append("unrecognised code " + ", ".join(str(c.get("code", "?")) for c in codings))
    return out


@functools.cache  # built once per process (it was rebuilt for every coding: a quarter of a CDS call)
def _rxcui_index() -> dict[str, str]:
    voc = vocabulary()
    return {str(spec["rxcui"]): ing for ing, spec in voc.ingredients.items() if spec.get("rxcui")}


def _medication_texts(med: dict, where: str) -> list[str]:
    out = []
    if "code" in med:
        out += _concept_texts(med["code"], f"{where}.code")
    for j, ing in enumerate(med.get("ingredient") or []):
        item = ing.get("itemCodeableConcept") or (ing.get("item") or {}).get("concept")
        if item is not None:
            out += _concept_texts(item, f"{where}.ingredient[{j}]")
    return out


def _resolve_ref(ref: Any, resource: dict, bundle_meds: dict, where: str) -> list[str]:
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        if isinstance(ref, dict) and isinstance(ref.get("display"), str):
            return [ref["display"]]
        raise InputError(where, "must be a Reference with a 'reference' string")
    r = ref["reference"]
    if r.startswith("#"):
        for k, c in enumerate(resource.get("contained") or []):
            if isinstance(c, dict) and c.get("id") == r[1:]:
                return _medication_texts(c, f"{where}→contained[{k}]")
        raise InputError(where, f"contained Medication {r!r} not found")
    if r in bundle_meds:
        return _medication_texts(bundle_meds[r], f"{where}→{r}")
    if isinstance(ref.get("display"), str):
        return [ref["display"]]
    raise InputError(where, f"Medication {r!r} is neither contained nor in the bundle, and has no display")


def entries_from_fhir(
    doc: Any, *, allow_empty: bool = False, field: str = "fhir"
) -> list[tuple[str, str]]:
    """FHIR JSON → ``[(text, source)]`` for :func:`ldnsim.clinical.screen.screen`."""
    if not isinstance(doc, dict) or "resourceType" not in doc:
        raise InputError(
            field,
            "not a FHIR resource (no resourceType)",
            accepted="Bundle of MedicationRequest/MedicationStatement",
        )
    if doc["resourceType"] in MED_TYPES:
        resources = [(field, doc)]
    elif doc["resourceType"] == "Bundle":
        entries = doc.get("entry", [])
        if not isinstance(entries, list):
            raise InputError(f"{field}.entry", "must be a list")
        resources = []
        for i, e in enumerate(entries):
            if not isinstance(e, dict) or not isinstance(e.get("resource"), dict):
                raise InputError(f"{field}.entry[{i}].resource", "missing or not an object")
            resources.append((f"{field}.entry[{i}].resource", e["resource"]))
    else:
        raise InputError(
            f"{field}.resourceType",
            "unsupported resource type",
            value=doc["resourceType"],
            accepted="Bundle, MedicationRequest, MedicationStatement",
        )
    bundle_meds = {}
    for _, r in resources:
        if r.get("resourceType") == "Medication" and r.get("id"):
            bundle_meds[f"Medication/{r['id']}"] = r
            if r.get("fullUrl"):
                bundle_meds[r["fullUrl"]] = r
    out: list[tuple[str, str]] = []
    for where, r in resources:
        rtype = r.get("resourceType")
        if rtype not in MED_TYPES:
            continue
        label = f"{rtype}/{r.get('id', '?')}"
        status = r.get("status")
        if isinstance(status, str) and status not in ("active", "draft", "intended", "on-hold"):
            # stopped/completed entries are still screened (recent opioid use matters)
            label += f" ({status})"
        texts: list[str] = []
        if "medicationCodeableConcept" in r:
            texts = _concept_texts(r["medicationCodeableConcept"], f"{where}.medicationCodeableConcept")
        elif "medicationReference" in r:
            texts = _resolve_ref(r["medicationReference"], r, bundle_meds, f"{where}.medicationReference")
        elif isinstance(r.get("medication"), dict):  # R5 CodeableReference
            m = r["medication"]
            if "concept" in m:
                texts = _concept_texts(m["concept"], f"{where}.medication.concept")
            elif "reference" in m:
                texts = _resolve_ref(m["reference"], r, bundle_meds, f"{where}.medication.reference")
        else:
            raise InputError(
                f"{where}.medication[x]", "missing: no medicationCodeableConcept or medicationReference"
            )
        texts = [t for t in texts if t.strip()]
        if not texts:
            raise InputError(f"{where}.medication[x]", "has no text, display or known code")
        # dosage text helps recognise patches/ER products
        for d in r.get("dosageInstruction") or r.get("dosage") or []:
            if isinstance(d, dict) and isinstance(d.get("text"), str):
                texts.append(d["text"])
        out.append((" ; ".join(dict.fromkeys(texts)), label))
    if not out and not allow_empty:
        raise InputError(
            field,
            "no MedicationRequest or MedicationStatement found",
            accepted="a Bundle with at least one MedicationRequest/MedicationStatement",
        )
    return out
