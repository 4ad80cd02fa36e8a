"""Export and import of one patient's diary: ``json`` (complete), ``csv`` (daily entries), ``fhir`` (R4).

FHIR R4 (HL7 SDC "extraction" pattern): a ``collection`` Bundle holding

- one ``Patient`` (the pseudonym only, ``identifier.system = urn:ldnsim:diary:patient``);
- per diary day a ``QuestionnaireResponse`` (questionnaire :data:`DAILY_Q`, one item per field, linkId =
  the field name) and one ``Observation`` per numeric symptom, each with ``derivedFrom`` pointing at its
  QuestionnaireResponse. Pain average uses LOINC 72514-3 (pain severity 0–10 NRS, reported); the other
  symptoms carry ldnsim codes (:data:`CODE_SYSTEM`) because no LOINC code matches their exact wording;
- per PROMIS Pain Interference form a ``QuestionnaireResponse`` (linkId = PROMIS item code, valueInteger
  1–5) and an ``Observation`` of the raw score; per FIQR a ``QuestionnaireResponse`` (linkId ``fiqr-1`` …
  ``fiqr-21``) and an ``Observation`` of the total (0–100) with components for the three domains.

Import reads the QuestionnaireResponses back (the Observations are derived data) and validates every
row before anything is written.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._disclaimer import DISCLAIMER
from .._version import __version__
from ..errors import InputError
from .instruments import FIQR_N_ITEMS, PROMIS_PI_FORMS
from .schema import FIQR, DailyEntry, PromisPI, validate
from .tables import ENTRY_FIELDS

if TYPE_CHECKING:
    from .store import DiaryStore

__all__ = ["export_patient", "import_patient", "to_fhir", "from_fhir", "DAILY_Q", "CODE_SYSTEM", "FORMATS"]

FORMATS = ("json", "csv", "fhir")
CODE_SYSTEM = "https://ldnsim.org/fhir/CodeSystem/diary"
DAILY_Q = "https://ldnsim.org/fhir/Questionnaire/ldnsim-daily-diary"
PROMIS_Q = "https://ldnsim.org/fhir/Questionnaire/promis-pain-interference-{form}"
FIQR_Q = "https://ldnsim.org/fhir/Questionnaire/fiqr-scores"
PATIENT_SYSTEM = "urn:ldnsim:diary:patient"
_LOINC = "http://loinc.org"
_UCUM = "http://unitsofmeasure.org"

# field -> (code system, code, display, unit)
_OBS = {
    "pain_avg": (
        _LOINC,
        "72514-3",
        "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        "{score}",
    ),
    "pain_worst": (CODE_SYSTEM, "pain-worst", "Worst pain of the day, 0-10 NRS", "{score}"),
    "sleep": (CODE_SYSTEM, "sleep-quality", "Sleep quality, 0 worst - 10 best", "{score}"),
    "fatigue": (CODE_SYSTEM, "fatigue", "Fatigue, 0 none - 10 worst", "{score}"),
    "mood": (CODE_SYSTEM, "mood", "Mood, 0 worst - 10 best", "{score}"),
    "dose_mg": (CODE_SYSTEM, "ldn-dose-taken", "Naltrexone dose taken", "mg"),
}
_BOOL = ("missed_dose", "vivid_dreams", "insomnia", "headache", "nausea")
_INPUT_FIELDS = [f for f in ENTRY_FIELDS if f not in ("med_severity", "med_screen")]


def _fmt(format: str) -> str:
    f = str(format).lower()
    if f not in FORMATS:
        raise InputError("format", f"unknown format {format!r}", accepted=", ".join(FORMATS))
    return f


# -- export ----------------------------------------------------------------------------------------
def export_patient(store: DiaryStore, patient_id: str, format: str = "json") -> dict | str:
    f = _fmt(format)
    df = store.entries(patient_id)
    if f == "csv":
        out = df.reset_index()[["date", *_INPUT_FIELDS[1:], "med_severity"]].copy()
        out["date"] = out["date"].dt.strftime("%Y-%m-%d")
        out["other_medications"] = out["other_medications"].map(lambda m: "; ".join(m or []))
        buf = io.StringIO()
        buf.write(f"# ldnsim diary export, patient {patient_id}. {DISCLAIMER}\n")
        out.to_csv(buf, index=False)
        return buf.getvalue()
    doc = {
        "format": "ldnsim-diary",
        "version": 1,
        "ldnsim": __version__,
        "patient": store.patient(patient_id),
        "entries": _records(df),
        "revisions": store.revisions(patient_id).to_dict("records"),
        "promis": [
            {
                "week_start": r.week_start.isoformat(),
                "form": r.form,
                "responses": r.responses,
                "raw_score": int(r.raw_score),
            }
            for r in store.promis(patient_id).itertuples()
        ],
        "fiqr": [
            {"date": r.date.isoformat(), "items": r.items, "total": r.total}
            for r in store.fiqr(patient_id).itertuples()
        ],
        "plan": store.plan(patient_id),
        "disclaimer": DISCLAIMER,
    }
    if f == "json":
        return doc
    return to_fhir(doc)


def _records(df: pd.DataFrame) -> list[dict]:
    recs = []
    for d, row in df.iterrows():
        r = {"date": d.strftime("%Y-%m-%d")}
        for k in _INPUT_FIELDS[1:] + ["med_severity", "med_screen"]:
            v = row[k]
            if isinstance(v, float) and v != v:
                v = None
            elif hasattr(v, "item"):
                v = v.item()
            r[k] = v
        recs.append(r)
    return recs


def _ref(resource: dict) -> str:
    return f"urn:uuid:{resource['id']}"


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ldnsim:" + ":".join(parts)))


def _qr(rid: str, questionnaire: str, subj: dict, authored: str, items: list[dict]) -> dict:
    """A completed QuestionnaireResponse (daily entry, PROMIS and FIQR all share this frame)."""
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": subj,
        "authored": authored,
        "item": items,
    }


def to_fhir(doc: dict) -> dict:
    """A FHIR R4 collection Bundle from a ``json`` export document."""
    pid = doc["patient"]["patient_id"]
    patient = {
        "resourceType": "Patient",
        "id": _uid("patient", pid),
        "identifier": [{"system": PATIENT_SYSTEM, "value": pid}],
    }
    subj = {"reference": _ref(patient)}
    res: list[dict] = [patient]
    for e in doc["entries"]:
        qr = _qr(_uid(pid, "qr", e["date"]), DAILY_Q, subj, e["date"], [])
        for k in _INPUT_FIELDS[1:]:
            v = e.get(k)
            if v is None or (k == "other_medications" and not v):
                continue
            if k in _OBS:
                ans = [{"valueDecimal": float(v)}]
            elif k in _BOOL:
                ans = [{"valueBoolean": bool(v)}]
            elif k == "other_medications":
                ans = [{"valueString": m} for m in v]
            else:
                ans = [{"valueString": str(v)}]
            qr["item"].append({"linkId": k, "answer": ans})
        qr["item"].insert(0, {"linkId": "date", "answer": [{"valueDate": e["date"]}]})
        res.append(qr)
        for k, (system, code, display, unit) in _OBS.items():
            if e.get(k) is None:
                continue
            res.append(
                {
                    "resourceType": "Observation",
                    "id": _uid(pid, "obs", e["date"], k),
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "survey",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [{"system": system, "code": code, "display": display}],
                        "text": display,
                    },
                    "subject": subj,
                    "effectiveDateTime": e["date"],
                    "valueQuantity": {"value": float(e[k]), "unit": unit, "system": _UCUM, "code": unit},
                    "derivedFrom": [{"reference": _ref(qr)}],
                }
            )
    for p in doc.get("promis") or []:
        qr = _qr(
            _uid(pid, "promis", p["form"], p["week_start"]),
            PROMIS_Q.format(form=p["form"]),
            subj,
            p["week_start"],
            [
                {"linkId": c, "answer": [{"valueInteger": int(p["responses"][c])}]}
                for c, _ in PROMIS_PI_FORMS[p["form"]]
            ],
        )
        res += [
            qr,
            {
                "resourceType": "Observation",
                "id": _uid(pid, "promis-obs", p["form"], p["week_start"]),
                "status": "final",
                "code": {
                    "coding": [
                        {
                            "system": CODE_SYSTEM,
                            "code": f"promis-pi-{p['form']}-raw",
                            "display": f"PROMIS Pain Interference {p['form']} raw score",
                        }
                    ]
                },
                "subject": subj,
                "effectiveDateTime": p["week_start"],
                "valueQuantity": {
                    "value": p["raw_score"],
                    "unit": "{score}",
                    "system": _UCUM,
                    "code": "{score}",
                },
                "derivedFrom": [{"reference": _ref(qr)}],
            },
        ]
    for r in doc.get("fiqr") or []:
        from .instruments import fiqr_scores

        sc = fiqr_scores(r["items"])
        qr = _qr(
            _uid(pid, "fiqr", r["date"]),
            FIQR_Q,
            subj,
            r["date"],
            [
                {"linkId": f"fiqr-{i + 1}", "answer": [{"valueDecimal": float(v)}]}
                for i, v in enumerate(r["items"])
            ],
        )
        res += [
            qr,
            {
                "resourceType": "Observation",
                "id": _uid(pid, "fiqr-obs", r["date"]),
                "status": "final",
                "code": {
                    "coding": [{"system": CODE_SYSTEM, "code": "fiqr-total", "display": "FIQR total (0-100)"}]
                },
                "subject": subj,
                "effectiveDateTime": r["date"],
                "valueQuantity": {
                    "value": sc["total"],
                    "unit": "{score}",
                    "system": _UCUM,
                    "code": "{score}",
                },
                "component": [
                    {
                        "code": {"coding": [{"system": CODE_SYSTEM, "code": f"fiqr-{k}"}]},
                        "valueQuantity": {"value": sc[k], "unit": "{score}"},
                    }
                    for k in ("function", "overall", "symptoms")
                ],
                "derivedFrom": [{"reference": _ref(qr)}],
            },
        ]
    return {
        "resourceType": "Bundle",
        "id": _uid("bundle", pid),
        "type": "collection",
        "meta": {"tag": [{"system": CODE_SYSTEM, "code": "research-education-only", "display": DISCLAIMER}]},
        "entry": [{"fullUrl": _ref(r), "resource": r} for r in res],
    }


# -- import ----------------------------------------------------------------------------------------
def _answer(item: dict) -> Any:
    vals = []
    for a in item.get("answer") or []:
        for k, v in a.items():
            if k.startswith("value"):
                vals.append(v)
    return vals


def from_fhir(bundle: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """(entries, promis, fiqr) raw dicts from a FHIR Bundle's QuestionnaireResponses."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InputError("fhir", "not a FHIR Bundle", accepted="a JSON object with resourceType 'Bundle'")
    entries, promis, fiqr = [], [], []
    for i, ent in enumerate(bundle.get("entry") or []):
        r = (ent or {}).get("resource") or {}
        if r.get("resourceType") != "QuestionnaireResponse":
            continue
        q = str(r.get("questionnaire", ""))
        items = {it.get("linkId"): _answer(it) for it in r.get("item") or []}
        if q == DAILY_Q:
            e: dict[str, Any] = {}
            for k, v in items.items():
                if k == "other_medications":
                    e[k] = list(v)
                elif v:
                    e[k] = v[0]
            entries.append(e)
        elif q.startswith(PROMIS_Q.split("{")[0]):
            form = q.rsplit("-", 1)[-1]
            promis.append(
                {
                    "week_start": r.get("authored", "")[:10],
                    "form": form,
                    "responses": {k: v[0] for k, v in items.items() if v},
                }
            )
        elif q == FIQR_Q:
            vals = [items.get(f"fiqr-{j + 1}", [None])[0] for j in range(FIQR_N_ITEMS)]
            fiqr.append({"date": r.get("authored", "")[:10], "items": vals})
        else:
            raise InputError(
                f"fhir.entry[{i}].questionnaire",
                f"unknown questionnaire {q!r}",
                accepted=f"{DAILY_Q}, {PROMIS_Q}, {FIQR_Q}",
            )
    return entries, promis, fiqr


def _csv_rows(text: str) -> list[dict]:
    try:
        df = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InputError(
            "csv",
            f"cannot read the CSV ({exc})",
            accepted="the columns of 'ldnsim diary export --format csv'",
        ) from None
    if "date" not in df.columns:
        raise InputError("csv", "no 'date' column", accepted=", ".join(_INPUT_FIELDS))
    unknown = [c for c in df.columns if c not in _INPUT_FIELDS and c not in ("med_severity",)]
    if unknown:
        raise InputError("csv", f"unknown column(s) {unknown}", accepted=", ".join(_INPUT_FIELDS))
    rows = []
    for rec in df.to_dict("records"):
        r: dict[str, Any] = {}
        for k, v in rec.items():
            if k == "med_severity" or v == "":
                continue
            if k in _BOOL:
                r[k] = str(v).strip().lower() in ("1", "true", "yes", "y")
            else:
                r[k] = v
        rows.append(r)
    return rows


def import_patient(
    store: DiaryStore, patient_id: str, data: Any, format: str = "json", *, replace: bool = False
) -> dict:
    """See :meth:`ldnsim.diary.DiaryStore.import_data`. ``data``: a str (file content), or the parsed
    JSON/FHIR document (dict)."""
    f = _fmt(format)
    promis_raw: list[dict] = []
    fiqr_raw: list[dict] = []
    patient_meta: dict = {}
    if f == "csv":
        raw = _csv_rows(data if isinstance(data, str) else str(data))
    else:
        doc = data
        if isinstance(data, str):
            try:
                doc = json.loads(data)
            except json.JSONDecodeError as exc:
                raise InputError(format, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if f == "fhir":
            raw, promis_raw, fiqr_raw = from_fhir(doc)
        else:
            if not isinstance(doc, dict) or doc.get("format") != "ldnsim-diary":
                raise InputError(
                    "json", "not an ldnsim diary export", accepted="output of 'ldnsim diary export'"
                )
            raw = [
                {k: v for k, v in e.items() if k not in ("med_severity", "med_screen")}
                for e in doc["entries"]
            ]
            promis_raw = [
                {k: p[k] for k in ("week_start", "form", "responses")} for p in doc.get("promis") or []
            ]
            fiqr_raw = [{k: r[k] for k in ("date", "items")} for r in doc.get("fiqr") or []]
            patient_meta = {
                k: doc.get("patient", {}).get(k) for k in ("clinician_id", "condition", "ldn_start")
            }
    entries = [validate(DailyEntry, r, prefix=f"row {i + 1}: ") for i, r in enumerate(raw)]
    dates = [e.date for e in entries]
    if len(set(dates)) != len(dates):
        dup = sorted({d for d in dates if dates.count(d) > 1})[0]
        raise InputError("date", "the import has two rows for the same day", value=dup.isoformat())
    promis = [validate(PromisPI, r, prefix=f"promis {i + 1}: ") for i, r in enumerate(promis_raw)]
    fiqr = [validate(FIQR, r, prefix=f"fiqr {i + 1}: ") for i, r in enumerate(fiqr_raw)]
    existing = {p["patient_id"] for p in store.patients()}
    created = False
    if patient_id not in existing:
        store.add_patient(patient_id, **{k: v for k, v in patient_meta.items() if v is not None})
        created = True
    counts = store._bulk_write(patient_id, entries, promis, fiqr, replace)
    return {
        "patient_id": patient_id,
        "format": f,
        "created_patient": created,
        **counts,
        "disclaimer": DISCLAIMER,
    }
