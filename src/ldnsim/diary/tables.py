"""SQLAlchemy 2.x ORM tables of the diary store (schema version: see ``migrations/versions``).

Tables: ``patients``, ``daily_entries`` (one per patient and day), ``entry_revisions`` (every replaced
version of a daily entry, so a correction never loses what was there), ``promis_pi``, ``fiqr``,
``nof1_plans`` (a plan as JSON). All dates are ISO calendar dates of the patient's diary; timestamps are
UTC. Deleting a patient deletes all of their rows (ON DELETE CASCADE and ORM cascade).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Patient", "Entry", "EntryRevision", "PromisRecord", "FiqrRecord", "PlanRecord"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    clinician_id: Mapped[str | None] = mapped_column(String(128), index=True)
    condition: Mapped[str] = mapped_column(String(64), default="fibromyalgia")
    ldn_start: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    entries: Mapped[list[Entry]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )


class _EntryFields:
    date: Mapped[dt.date] = mapped_column(Date)
    pain_avg: Mapped[float | None] = mapped_column(Float)
    pain_worst: Mapped[float | None] = mapped_column(Float)
    sleep: Mapped[float | None] = mapped_column(Float)
    fatigue: Mapped[float | None] = mapped_column(Float)
    mood: Mapped[float | None] = mapped_column(Float)
    dose_mg: Mapped[float | None] = mapped_column(Float)
    dose_time: Mapped[str | None] = mapped_column(String(5))
    missed_dose: Mapped[bool] = mapped_column(Boolean, default=False)
    vivid_dreams: Mapped[bool] = mapped_column(Boolean, default=False)
    insomnia: Mapped[bool] = mapped_column(Boolean, default=False)
    headache: Mapped[bool] = mapped_column(Boolean, default=False)
    nausea: Mapped[bool] = mapped_column(Boolean, default=False)
    other_medications: Mapped[list] = mapped_column(JSON, default=list)
    med_severity: Mapped[str | None] = mapped_column(String(16))
    med_screen: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)


class Entry(_EntryFields, Base):
    __tablename__ = "daily_entries"
    __table_args__ = (UniqueConstraint("patient_id", "date", name="uq_entry_patient_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    patient: Mapped[Patient] = relationship(back_populates="entries")


class EntryRevision(_EntryFields, Base):
    """A previous version of a daily entry, kept when the entry is replaced."""

    __tablename__ = "entry_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(Integer)
    replaced_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class PromisRecord(Base):
    __tablename__ = "promis_pi"
    __table_args__ = (UniqueConstraint("patient_id", "week_start", "form", name="uq_promis_week"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[dt.date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(String(8))
    responses: Mapped[dict] = mapped_column(JSON)
    raw_score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class FiqrRecord(Base):
    __tablename__ = "fiqr"
    __table_args__ = (UniqueConstraint("patient_id", "date", name="uq_fiqr_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    items: Mapped[list] = mapped_column(JSON)
    function: Mapped[float] = mapped_column(Float)
    overall: Mapped[float] = mapped_column(Float)
    symptoms: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class PlanRecord(Base):
    __tablename__ = "nof1_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    plan: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


ENTRY_FIELDS = [c for c in _EntryFields.__annotations__]
