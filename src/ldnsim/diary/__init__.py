"""The patient symptom diary: a store that loses nothing, with export/import and deletion per patient.

Python API (also used by the web pages and ``ldnsim diary``)::

    from ldnsim.diary import DiaryStore
    store = DiaryStore()                         # ~/.local/share/ldnsim/diary.sqlite, or $LDNSIM_DIARY_DB
    store = DiaryStore("clinic.sqlite")          # a file, or any SQLAlchemy URL ("postgresql+psycopg://…")
    store.add_patient("P001", clinician_id="dr-a", condition="fibromyalgia", ldn_start="2026-03-01")
    r = store.add_entry("P001", {"date": "2026-02-20", "pain_avg": 6, "pain_worst": 8, "sleep": 4,
                                 "fatigue": 7, "mood": 5, "other_medications": ["tramadol 50 mg"]})
    r["alerts"]                                  # tramadol on LDN → a 'critical' alert, stored with the entry
    df = store.entries("P001")                   # pandas.DataFrame, index date, columns ENTRY_COLUMNS
    store.add_promis("P001", {"week_start": "2026-02-16", "form": "6a",
                              "responses": {"PAININ9": 3, "PAININ22": 2, "PAININ31": 3,
                                            "PAININ34": 2, "PAININ12": 4, "PAININ36": 3}})
    store.add_fiqr("P001", {"date": "2026-02-20", "items": [5] * 21})
    store.export("P001", "fhir")                 # FHIR R4 Bundle (QuestionnaireResponse + Observations)
    store.import_data("P002", csv_text, "csv")
    store.delete_patient("P001")

Entry fields, units and ranges: :mod:`ldnsim.diary.schema`. Bad input raises
:class:`ldnsim.errors.InputError` naming the field and the accepted range; nothing is written then.
Database settings (WAL, ``synchronous=FULL``, busy timeout) and migrations: :mod:`ldnsim.diary.db`.
Questionnaires and licensing (PROMIS item codes, no item text; FIQR scores): :mod:`ldnsim.diary.instruments`.
Exchange formats: :mod:`ldnsim.diary.exchange`.

For research and education only; not medical advice.
"""

from __future__ import annotations

from .db import default_path, default_url
from .instruments import PROMIS_PI_FORMS, fiqr_scores, promis_raw_score
from .schema import FIQR, MAX_DOSE_MG, DailyEntry, PatientIn, PromisPI
from .store import ALERT_SEVERITIES, ENTRY_COLUMNS, DiaryStore

__all__ = [
    "DiaryStore",
    "DailyEntry",
    "PatientIn",
    "PromisPI",
    "FIQR",
    "ENTRY_COLUMNS",
    "ALERT_SEVERITIES",
    "MAX_DOSE_MG",
    "PROMIS_PI_FORMS",
    "promis_raw_score",
    "fiqr_scores",
    "default_path",
    "default_url",
]
