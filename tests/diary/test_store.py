"""The diary store: validation naming the field, nothing lost, screening on entry, export/import, deletion."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ldnsim.diary import DiaryStore, fiqr_scores, promis_raw_score
from ldnsim.errors import InputError

PROMIS_6A = {"PAININ9": 3, "PAININ22": 2, "PAININ31": 3, "PAININ34": 2, "PAININ12": 4, "PAININ36": 3}


@pytest.fixture
def store(tmp_path):
    s = DiaryStore(tmp_path / "diary.sqlite")
    s.add_patient("P001", clinician_id="dr-a", ldn_start="2026-01-15")
    s.add_entry("P001", {"date": "2026-01-10", "pain_avg": 6, "pain_worst": 8, "sleep": 4})
    yield s
    s.close()


def test_sqlite_durability_settings(store):
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"date": "2026-01-11", "pain_avg": 11}, "pain_avg"),
        ({"date": "2026-01-11", "pain_worst": -1}, "pain_worst"),
        ({"date": (dt.date.today() + dt.timedelta(days=1)).isoformat(), "pain_avg": 5}, "date"),
        ({"date": "2026-01-11", "dose_mg": 450}, "dose_mg"),
        ({"date": "2026-01-11", "dose_time": "25:00"}, "dose_time"),
        ({"date": "2026-01-11", "pain_avg": 7, "pain_worst": 5}, "pain_worst"),
        ({"date": "2026-01-11", "missed_dose": True, "dose_mg": 4.5}, "dose_mg"),
        ({"date": "2026-01-11", "colour": "blue"}, "colour"),
        ({"date": "2026-01-10", "pain_avg": 3}, "date"),  # a day already stored, no replace
    ],
)
def test_bad_entries_refused_with_field_and_nothing_lost(store, bad, field):
    before = store.export("P001", "json")
    with pytest.raises(InputError) as ei:
        store.add_entry("P001", bad)
    assert ei.value.field == field
    assert store.export("P001", "json")["entries"] == before["entries"]


def test_replace_keeps_the_old_version(store):
    store.add_entry("P001", {"date": "2026-01-10", "pain_avg": 4, "pain_worst": 6}, replace=True)
    assert store.entries("P001")["pain_avg"].tolist() == [4.0]
    rev = store.revisions("P001")
    assert rev["pain_avg"].tolist() == [6.0] and rev["sleep"].tolist() == [4.0]


def test_opioid_on_ldn_is_flagged_at_once_and_stored(store):
    r = store.add_entry(
        "P001", {"date": "2026-01-20", "pain_avg": 5, "dose_mg": 4.5, "other_medications": ["oxycodone 5 mg"]}
    )
    assert [a["severity"] for a in r["alerts"]] == ["critical"] and r["alerts"][0]["on_ldn"]
    assert store.entry("P001", "2026-01-20")["med_severity"] == "critical"
    assert store.alerts("P001")[0]["medication"] == "oxycodone 5 mg"
    # an unrecognised medication is an 'unknown' alert, never dropped
    r = store.add_entry("P001", {"date": "2026-01-21", "other_medications": "zzqx 10 mg"})
    assert r["alerts"][0]["severity"] == "unknown"


def test_several_patients_and_clinician_filter(store):
    store.add_patient("P002", clinician_id="dr-b")
    assert [p["patient_id"] for p in store.patients()] == ["P001", "P002"]
    assert [p["patient_id"] for p in store.patients(clinician_id="dr-b")] == ["P002"]
    with pytest.raises(InputError) as ei:
        store.add_patient("P002")
    assert ei.value.field == "patient_id"
    with pytest.raises(InputError) as ei:
        store.entries("nobody")
    assert ei.value.field == "patient"


def test_questionnaire_scores_against_hand_arithmetic(store):
    assert promis_raw_score("6a", PROMIS_6A) == 3 + 2 + 3 + 2 + 4 + 3
    items = list(range(21))  # 0..20, clipped to 0-10 below: items 12-21 are all 10
    sc = fiqr_scores([min(i, 10) for i in items])
    # Bennett 2009: function = sum(items 1-9)/3, overall = sum(10-11), symptoms = sum(12-21)/2
    assert (
        sc["function"] == pytest.approx(36 / 3)
        and sc["overall"] == 19
        and sc["symptoms"] == pytest.approx(100 / 2)
    )
    assert sc["total"] == pytest.approx(12 + 19 + 50)
    store.add_promis("P001", {"week_start": "2026-01-05", "form": "6a", "responses": PROMIS_6A})
    with pytest.raises(InputError) as ei:
        store.add_promis(
            "P001", {"week_start": "2026-01-12", "form": "6a", "responses": {**PROMIS_6A, "PAININ9": 6}}
        )
    assert "PAININ9" in ei.value.field
    with pytest.raises(InputError):
        store.add_fiqr("P001", {"date": "2026-01-12", "items": [5] * 20})


def _full(store):
    store.add_entry(
        "P001",
        {
            "date": "2026-01-20",
            "pain_avg": 5.5,
            "pain_worst": 7,
            "dose_mg": 1.5,
            "dose_time": "22:00",
            "vivid_dreams": True,
            "other_medications": ["sertraline 50 mg"],
            "notes": "slept badly, 'odd' dreams",
        },
    )
    store.add_promis("P001", {"week_start": "2026-01-12", "form": "6a", "responses": PROMIS_6A})
    store.add_fiqr("P001", {"date": "2026-01-12", "items": [4] * 21})


@pytest.mark.parametrize("fmt", ["json", "csv", "fhir"])
def test_export_import_round_trip(store, fmt):
    _full(store)
    doc = store.export("P001", fmt)
    data = doc if fmt == "csv" else json.dumps(doc)
    res = store.import_data("COPY", data, fmt)
    assert res["added"] == 2 and res["created_patient"]
    a, b = store.entries("P001"), store.entries("COPY")
    assert a.drop(columns=["med_screen"]).equals(b.drop(columns=["med_screen"]))
    if fmt != "csv":
        assert store.promis("COPY")["raw_score"].tolist() == [17]
        assert store.fiqr("COPY")["total"].tolist() == [pytest.approx(4 * 9 / 3 + 8 + 40 / 2)]
    # importing again changes nothing (days already stored are skipped)
    assert store.import_data("COPY", data, fmt)["skipped"] == 2


def test_fhir_observations_derive_from_their_response(store):
    _full(store)
    bundle = store.export("P001", "fhir")
    res = [e["resource"] for e in bundle["entry"]]
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    qrs = [r for r in res if r["resourceType"] == "QuestionnaireResponse"]
    obs = [r for r in res if r["resourceType"] == "Observation"]
    assert len(qrs) == 4 and obs
    for o in obs:
        assert o["derivedFrom"][0]["reference"] in full_urls
    pain = [o for o in obs if o["code"]["coding"][0]["code"] == "72514-3"]
    assert sorted(o["valueQuantity"]["value"] for o in pain) == [5.5, 6.0]


def test_bad_import_writes_nothing(store):
    csv = "date,pain_avg\n2026-01-11,5\n2026-01-12,11\n"
    with pytest.raises(InputError) as ei:
        store.import_data("P001", csv, "csv")
    assert ei.value.field == "row 2: pain_avg"
    assert len(store.entries("P001")) == 1


def test_delete_patient_removes_everything(store):
    _full(store)
    store.add_entry("P001", {"date": "2026-01-10", "pain_avg": 2}, replace=True)
    store.save_plan("P001", {"design": "open"})
    out = store.delete_patient("P001")
    assert out["deleted"] == {"entries": 2, "revisions": 1, "promis": 1, "fiqr": 1, "plans": 1}
    with store.engine.connect() as c:
        for t in ("daily_entries", "entry_revisions", "promis_pi", "fiqr", "nof1_plans", "patients"):
            assert c.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() == 0
    assert store.integrity_check() == "ok"


def test_in_memory_and_env_default(tmp_path, monkeypatch):
    s = DiaryStore("sqlite:///:memory:")
    s.add_patient("A")
    assert s.patients()[0]["patient_id"] == "A"
    monkeypatch.setenv("LDNSIM_DIARY_DB", str(tmp_path / "env.sqlite"))
    s2 = DiaryStore()
    assert (tmp_path / "env.sqlite").exists() and s2.patients() == []
