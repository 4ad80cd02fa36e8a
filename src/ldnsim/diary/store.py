"""The diary store: :class:`DiaryStore`, the Python API behind ``ldnsim diary`` and the web pages.

>>> from ldnsim.diary import DiaryStore
>>> s = DiaryStore("sqlite:///:memory:")                      # or a path, or any SQLAlchemy URL
>>> s.add_patient("P001", clinician_id="dr-a", ldn_start="2026-01-15")["patient_id"]
'P001'
>>> r = s.add_entry("P001", {"date": "2026-01-10", "pain_avg": 6, "pain_worst": 8})
>>> s.entries("P001")["pain_avg"].tolist()
[6.0]

Guarantees
----------
- **Nothing stored is lost.** A refused entry (validation error, :class:`ldnsim.errors.InputError`) is
  refused before any write. Each write is one transaction (committed with ``synchronous=FULL`` on
  SQLite). Adding an entry for a day that already has one raises unless ``replace=True``; a replacement
  keeps the previous version in ``entry_revisions`` (see :meth:`DiaryStore.revisions`). Only
  :meth:`DiaryStore.delete_patient` removes data (the patient's right to deletion) and it removes all of it.
- **Medications are screened on entry** with :func:`ldnsim.clinical.screen.screen_entry`; the result is
  stored with the entry (``med_severity``, ``med_screen``) and returned at once in ``alerts`` (an opioid
  added while on LDN is ``critical``). Unrecognised medications are ``unknown`` alerts, never hidden.

Methods (all ``patient_id`` arguments are the patient's pseudonym string)
-----------------------------------------------------------------------
``add_patient(patient_id, clinician_id=None, condition="fibromyalgia", ldn_start=None, notes=None) -> dict``
``patient(patient_id) -> dict`` · ``patients(clinician_id=None) -> list[dict]``
``update_patient(patient_id, **fields) -> dict``
``add_entry(patient_id, entry, replace=False) -> dict`` (the stored entry + ``alerts``)
``entry(patient_id, date) -> dict | None`` · ``entries(patient_id, start=None, end=None) -> pandas.DataFrame``
(one row per diary day, index ``date`` (datetime64), columns :data:`ENTRY_COLUMNS`)
``revisions(patient_id) -> pandas.DataFrame`` · ``alerts(patient_id) -> list[dict]``
``add_promis(patient_id, {"week_start", "form", "responses"}) -> dict`` · ``promis(patient_id) -> DataFrame``
``add_fiqr(patient_id, {"date", "items"}) -> dict`` · ``fiqr(patient_id) -> DataFrame``
``save_plan(patient_id, plan: dict) -> int`` · ``plan(patient_id) -> dict | None`` (latest N-of-1 plan)
``export(patient_id, format="json"|"csv"|"fhir") -> dict | str``
``import_data(patient_id, data, format, replace=False) -> dict``
``delete_patient(patient_id) -> dict`` (counts removed) · ``integrity_check() -> str`` (SQLite: ``"ok"``)
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from .. import DISCLAIMER
from ..errors import InputError
from .db import open_engine
from .instruments import fiqr_scores, promis_raw_score
from .schema import FIQR, DailyEntry, PatientIn, PromisPI, validate
from .tables import ENTRY_FIELDS, Entry, EntryRevision, FiqrRecord, Patient, PlanRecord, PromisRecord

__all__ = ["DiaryStore", "ENTRY_COLUMNS", "ALERT_SEVERITIES"]

#: columns of :meth:`DiaryStore.entries` (besides the ``date`` index)
ENTRY_COLUMNS = [f for f in ENTRY_FIELDS if f != "date"]
#: screening severities that raise an alert on entry
ALERT_SEVERITIES = ("critical", "warning", "unknown")


def _as_date(v: Any, field: str = "date") -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise InputError(field, "not a date", accepted="YYYY-MM-DD", value=v) from None


def _row_dict(obj: Any, fields: list[str]) -> dict:
    out = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
    return out


def screen_medications(meds: list[str]) -> tuple[str | None, list[dict]]:
    """Screen each medication entry; (highest severity or None, compact per-entry results)."""
    if not meds:
        return None, []
    from ..clinical.rules import max_severity
    from ..clinical.screen import screen_entry

    out = []
    for m in meds:
        r = screen_entry(m, source="diary")
        out.append(
            {
                "input": m,
                "severity": r["severity"],
                "ingredients": r["ingredients"],
                "rule": r["rule"],
                "summary": r["summary"],
                "management": r["management"],
                "evidence": r["evidence"],
                "sources": r["sources"],
            }
        )
    return max_severity([r["severity"] for r in out]), out


def _promis_row(patient_id: str, r: PromisPI, raw: int) -> PromisRecord:
    """The table row for one validated PROMIS form (single and bulk writes build it the same way)."""
    return PromisRecord(
        patient_id=patient_id,
        week_start=r.week_start,
        form=r.form,
        responses=dict(r.responses),
        raw_score=raw,
    )


class DiaryStore:
    """A diary database (see the module docstring). ``url``: SQLAlchemy URL or file path; ``None`` →
    ``$LDNSIM_DIARY_DB`` or ``~/.local/share/ldnsim/diary.sqlite``. Usable as a context manager."""

    def __init__(self, url: str | os.PathLike | None = None):
        self.engine = open_engine(url)
        self.url = str(self.engine.url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> DiaryStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _s(self) -> Session:
        return self._session()

    def _get_patient(self, s: Session, patient_id: str) -> Patient:
        p = s.get(Patient, str(patient_id))
        if p is None:
            known = s.scalars(select(Patient.id).limit(20)).all()
            raise InputError(
                "patient",
                f"no patient {patient_id!r} in this diary",
                accepted=", ".join(known) or "add one first (ldnsim diary add-patient)",
            )
        return p

    # -- patients --------------------------------------------------------------------------------
    def add_patient(
        self,
        patient_id: str,
        *,
        clinician_id: str | None = None,
        condition: str = "fibromyalgia",
        ldn_start: str | dt.date | None = None,
        notes: str | None = None,
    ) -> dict:
        """Add a patient (pseudonym ``patient_id``); refuses an id that exists."""
        p = validate(
            PatientIn,
            {
                "patient_id": patient_id,
                "clinician_id": clinician_id,
                "condition": condition,
                "ldn_start": ldn_start,
                "notes": notes,
            },
        )
        with self._s() as s, s.begin():
            if s.get(Patient, p.patient_id) is not None:
                raise InputError("patient_id", f"patient {p.patient_id!r} already exists", value=p.patient_id)
            s.add(
                Patient(
                    id=p.patient_id,
                    clinician_id=p.clinician_id,
                    condition=p.condition,
                    ldn_start=p.ldn_start,
                    notes=p.notes,
                )
            )
        return self.patient(p.patient_id)

    def update_patient(self, patient_id: str, **fields: Any) -> dict:
        """Change ``clinician_id``, ``condition``, ``ldn_start`` or ``notes``."""
        cur = self.patient(patient_id)
        merged = {k: cur[k] for k in ("clinician_id", "condition", "ldn_start", "notes")}
        unknown = set(fields) - set(merged)
        if unknown:
            raise InputError("field", f"cannot update {sorted(unknown)}", accepted=", ".join(merged))
        merged.update(fields)
        p = validate(PatientIn, {"patient_id": patient_id, **merged})
        with self._s() as s, s.begin():
            row = self._get_patient(s, patient_id)
            row.clinician_id, row.condition, row.ldn_start, row.notes = (
                p.clinician_id,
                p.condition,
                p.ldn_start,
                p.notes,
            )
        return self.patient(patient_id)

    def patient(self, patient_id: str) -> dict:
        with self._s() as s:
            p = self._get_patient(s, patient_id)
            n = s.scalar(select(func.count()).select_from(Entry).where(Entry.patient_id == p.id))
            first, last = s.execute(
                select(func.min(Entry.date), func.max(Entry.date)).where(Entry.patient_id == p.id)
            ).one()
            return {
                "patient_id": p.id,
                "clinician_id": p.clinician_id,
                "condition": p.condition,
                "ldn_start": p.ldn_start.isoformat() if p.ldn_start else None,
                "notes": p.notes,
                "created_at": p.created_at.isoformat(),
                "n_entries": int(n or 0),
                "first_date": first.isoformat() if first else None,
                "last_date": last.isoformat() if last else None,
            }

    def patients(self, clinician_id: str | None = None) -> list[dict]:
        """All patients (or those of one clinician), sorted by id."""
        with self._s() as s:
            q = select(Patient.id).order_by(Patient.id)
            if clinician_id is not None:
                q = q.where(Patient.clinician_id == clinician_id)
            ids = s.scalars(q).all()
        return [self.patient(i) for i in ids]

    # -- daily entries ---------------------------------------------------------------------------
    def _entry_values(self, e: DailyEntry) -> dict:
        sev, scr = screen_medications(e.other_medications)
        vals = e.model_dump()
        vals["med_severity"], vals["med_screen"] = sev, scr
        return vals

    @staticmethod
    def _alerts(vals: Mapping, on_ldn: bool) -> list[dict]:
        out = []
        for r in vals.get("med_screen") or []:
            if r["severity"] in ALERT_SEVERITIES:
                what = (
                    "not recognised — check it against LDN with a pharmacist"
                    if r["severity"] == "unknown"
                    else r["summary"]
                )
                out.append(
                    {
                        "date": str(vals["date"]),
                        "medication": r["input"],
                        "severity": r["severity"],
                        "on_ldn": on_ldn,
                        "message": what,
                        "management": r["management"],
                        "evidence": r["evidence"],
                        "sources": r["sources"],
                    }
                )
        return out

    def add_entry(self, patient_id: str, entry: Mapping | DailyEntry, *, replace: bool = False) -> dict:
        """Validate, screen and store one diary day. Returns the stored entry with ``alerts`` (list) and
        ``disclaimer``. A day that already has an entry raises unless ``replace`` (the old version is kept
        as a revision)."""
        e = validate(DailyEntry, entry)
        vals = self._entry_values(e)
        with self._s() as s, s.begin():
            p = self._get_patient(s, patient_id)
            on_ldn = self._on_ldn(s, p, e.date, e.dose_mg)
            self._write_entry(s, p.id, vals, replace)
        out = {
            "patient_id": p.id,
            **{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in vals.items()},
        }
        out["alerts"] = self._alerts(vals, on_ldn)
        out["disclaimer"] = DISCLAIMER
        return out

    @staticmethod
    def _on_ldn(s: Session, p: Patient, day: dt.date, dose: float | None) -> bool:
        if dose:
            return True
        if p.ldn_start is not None and p.ldn_start <= day:
            return True
        n = s.scalar(
            select(func.count())
            .select_from(Entry)
            .where(Entry.patient_id == p.id, Entry.dose_mg > 0, Entry.date <= day)
        )
        return bool(n)

    @staticmethod
    def _write_entry(s: Session, pid: str, vals: dict, replace: bool) -> str:
        old = s.scalar(select(Entry).where(Entry.patient_id == pid, Entry.date == vals["date"]))
        if old is None:
            s.add(Entry(patient_id=pid, **vals))
            s.flush()
            return "added"
        if not replace:
            raise InputError(
                "date",
                f"there is already an entry for {vals['date']}; pass replace "
                "(--replace) to correct it (the old version is kept)",
                value=str(vals["date"]),
            )
        same = all(getattr(old, k) == v for k, v in vals.items())
        if same:
            return "unchanged"
        s.add(EntryRevision(patient_id=pid, entry_id=old.id, **{f: getattr(old, f) for f in ENTRY_FIELDS}))
        for k, v in vals.items():
            setattr(old, k, v)
        old.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        s.flush()
        return "replaced"

    def entry(self, patient_id: str, date: str | dt.date) -> dict | None:
        d = _as_date(date)
        with self._s() as s:
            self._get_patient(s, patient_id)
            row = s.scalar(select(Entry).where(Entry.patient_id == patient_id, Entry.date == d))
            return None if row is None else {"patient_id": patient_id, **_row_dict(row, ENTRY_FIELDS)}

    def entries(
        self, patient_id: str, start: str | dt.date | None = None, end: str | dt.date | None = None
    ) -> pd.DataFrame:
        """The patient's diary, one row per day (sorted), index ``date`` (datetime64); missing values NaN."""
        with self._s() as s:
            self._get_patient(s, patient_id)
            q = select(Entry).where(Entry.patient_id == patient_id).order_by(Entry.date)
            if start is not None:
                q = q.where(Entry.date >= _as_date(start, "start"))
            if end is not None:
                q = q.where(Entry.date <= _as_date(end, "end"))
            rows = [_row_dict(r, ENTRY_FIELDS) for r in s.scalars(q)]
        df = pd.DataFrame(rows, columns=ENTRY_FIELDS)
        df["date"] = pd.to_datetime(df["date"])
        for c in ("pain_avg", "pain_worst", "sleep", "fatigue", "mood", "dose_mg"):
            df[c] = pd.to_numeric(df[c]).astype(float)
        for c in ("missed_dose", "vivid_dreams", "insomnia", "headache", "nausea"):
            df[c] = df[c].astype(bool)
        return df.set_index("date")

    def revisions(self, patient_id: str) -> pd.DataFrame:
        """Every replaced version of the patient's entries (oldest first)."""
        with self._s() as s:
            self._get_patient(s, patient_id)
            rows = [
                {**_row_dict(r, ENTRY_FIELDS), "replaced_at": r.replaced_at.isoformat()}
                for r in s.scalars(
                    select(EntryRevision)
                    .where(EntryRevision.patient_id == patient_id)
                    .order_by(EntryRevision.id)
                )
            ]
        return pd.DataFrame(rows, columns=[*ENTRY_FIELDS, "replaced_at"])

    def alerts(self, patient_id: str) -> list[dict]:
        """All medication alerts stored with the patient's entries (newest first)."""
        with self._s() as s:
            p = self._get_patient(s, patient_id)
            rows = s.scalars(
                select(Entry)
                .where(Entry.patient_id == patient_id, Entry.med_severity.is_not(None))
                .order_by(Entry.date.desc())
            ).all()
            out = []
            for r in rows:
                vals = _row_dict(r, ENTRY_FIELDS)
                out += self._alerts(vals, self._on_ldn(s, p, r.date, r.dose_mg))
        return out

    # -- weekly questionnaires --------------------------------------------------------------------
    def add_promis(self, patient_id: str, record: Mapping | PromisPI, *, replace: bool = False) -> dict:
        r = validate(PromisPI, record)
        raw = promis_raw_score(r.form, r.responses)
        with self._s() as s, s.begin():
            self._get_patient(s, patient_id)
            old = s.scalar(
                select(PromisRecord).where(
                    PromisRecord.patient_id == patient_id,
                    PromisRecord.week_start == r.week_start,
                    PromisRecord.form == r.form,
                )
            )
            if old is not None and not replace:
                raise InputError(
                    "week_start", f"PROMIS {r.form} already recorded for that week", value=str(r.week_start)
                )
            if old is not None:
                old.responses, old.raw_score = dict(r.responses), raw
            else:
                s.add(_promis_row(patient_id, r, raw))
        return {
            "patient_id": patient_id,
            "week_start": r.week_start.isoformat(),
            "form": r.form,
            "responses": dict(r.responses),
            "raw_score": raw,
        }

    def promis(self, patient_id: str) -> pd.DataFrame:
        with self._s() as s:
            self._get_patient(s, patient_id)
            rows = [
                {
                    "week_start": r.week_start,
                    "form": r.form,
                    "raw_score": r.raw_score,
                    "responses": r.responses,
                }
                for r in s.scalars(
                    select(PromisRecord)
                    .where(PromisRecord.patient_id == patient_id)
                    .order_by(PromisRecord.week_start)
                )
            ]
        return pd.DataFrame(rows, columns=["week_start", "form", "raw_score", "responses"])

    def add_fiqr(self, patient_id: str, record: Mapping | FIQR, *, replace: bool = False) -> dict:
        r = validate(FIQR, record)
        sc = fiqr_scores(r.items)
        with self._s() as s, s.begin():
            self._get_patient(s, patient_id)
            old = s.scalar(
                select(FiqrRecord).where(FiqrRecord.patient_id == patient_id, FiqrRecord.date == r.date)
            )
            if old is not None and not replace:
                raise InputError("date", "an FIQR is already recorded for that date", value=str(r.date))
            if old is not None:
                s.delete(old)
                s.flush()
            s.add(FiqrRecord(patient_id=patient_id, date=r.date, items=list(r.items), **sc))
        return {"patient_id": patient_id, "date": r.date.isoformat(), "items": list(r.items), **sc}

    def fiqr(self, patient_id: str) -> pd.DataFrame:
        cols = ["date", "function", "overall", "symptoms", "total", "items"]
        with self._s() as s:
            self._get_patient(s, patient_id)
            rows = [
                {c: getattr(r, c) for c in cols}
                for r in s.scalars(
                    select(FiqrRecord).where(FiqrRecord.patient_id == patient_id).order_by(FiqrRecord.date)
                )
            ]
        return pd.DataFrame(rows, columns=cols)

    # -- N-of-1 plans ----------------------------------------------------------------------------
    def save_plan(self, patient_id: str, plan: Mapping) -> int:
        """Store an N-of-1 plan (a JSON-able dict, e.g. ``ldnsim.nof1.Plan.to_dict()``); returns its id."""
        doc = json.loads(json.dumps(plan, default=str))
        with self._s() as s, s.begin():
            self._get_patient(s, patient_id)
            rec = PlanRecord(patient_id=patient_id, plan=doc)
            s.add(rec)
            s.flush()
            return int(rec.id)

    def plan(self, patient_id: str) -> dict | None:
        """The newest stored plan of the patient, or None."""
        with self._s() as s:
            self._get_patient(s, patient_id)
            rec = s.scalar(
                select(PlanRecord)
                .where(PlanRecord.patient_id == patient_id)
                .order_by(PlanRecord.id.desc())
                .limit(1)
            )
            return None if rec is None else dict(rec.plan)

    # -- export / import / delete ------------------------------------------------------------------
    def export(self, patient_id: str, format: str = "json") -> dict | str:
        """Everything stored for one patient: ``json`` (dict, complete, re-importable), ``csv`` (str, the
        daily entries) or ``fhir`` (dict, a FHIR R4 Bundle; see :mod:`ldnsim.diary.fhir`)."""
        from . import exchange

        return exchange.export_patient(self, patient_id, format)

    def import_data(self, patient_id: str, data: Any, format: str = "json", *, replace: bool = False) -> dict:
        """Import entries (and, for ``json``/``fhir``, questionnaires) into ``patient_id`` (created when
        missing). All rows are validated first; then one transaction writes them. Days already stored are
        left unchanged unless ``replace`` (then the old version is kept as a revision). Returns counts."""
        from . import exchange

        return exchange.import_patient(self, patient_id, data, format, replace=replace)

    def delete_patient(self, patient_id: str) -> dict:
        """Delete the patient and every row that belongs to them (entries, revisions, questionnaires,
        plans). Returns the counts removed."""
        counts = {}
        with self._s() as s, s.begin():
            p = self._get_patient(s, patient_id)
            for name, tbl in (
                ("entries", Entry),
                ("revisions", EntryRevision),
                ("promis", PromisRecord),
                ("fiqr", FiqrRecord),
                ("plans", PlanRecord),
            ):
                counts[name] = s.execute(delete(tbl).where(tbl.patient_id == p.id)).rowcount
            s.delete(p)
        return {"patient_id": patient_id, "deleted": counts}

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` on SQLite (``"ok"`` when sound); ``"n/a"`` on other databases."""
        if self.engine.dialect.name != "sqlite":
            return "n/a"
        with self.engine.connect() as c:
            return "; ".join(r[0] for r in c.exec_driver_sql("PRAGMA integrity_check"))

    def _bulk_write(
        self,
        patient_id: str,
        entries: list[DailyEntry],
        promis: list[PromisPI],
        fiqr: list[FIQR],
        replace: bool,
    ) -> dict:
        counts = {"added": 0, "replaced": 0, "unchanged": 0, "skipped": 0, "promis": 0, "fiqr": 0}
        vals_list = [self._entry_values(e) for e in entries]
        with self._s() as s, s.begin():
            pid = self._get_patient(s, patient_id).id
            for vals in vals_list:
                exists = s.scalar(select(Entry.id).where(Entry.patient_id == pid, Entry.date == vals["date"]))
                if exists is not None and not replace:
                    counts["skipped"] += 1
                    continue
                counts[self._write_entry(s, pid, vals, True)] += 1
            for r in promis:
                if (
                    s.scalar(
                        select(PromisRecord.id).where(
                            PromisRecord.patient_id == pid,
                            PromisRecord.week_start == r.week_start,
                            PromisRecord.form == r.form,
                        )
                    )
                    is None
                ):
                    s.add(_promis_row(pid, r, promis_raw_score(r.form, r.responses)))
                    counts["promis"] += 1
            for r in fiqr:
                if (
                    s.scalar(
                        select(FiqrRecord.id).where(FiqrRecord.patient_id == pid, FiqrRecord.date == r.date)
                    )
                    is None
                ):
                    s.add(
                        FiqrRecord(patient_id=pid, date=r.date, items=list(r.items), **fiqr_scores(r.items))
                    )
                    counts["fiqr"] += 1
        return counts
