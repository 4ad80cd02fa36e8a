"""The N-of-1 analysis reads a pain diary with the pain model: a Crohn's or MS patient's diary is refused with
the reason (exit 2 naming ``condition``), and the clinic pooling skips such patients instead of analysing
them."""

from __future__ import annotations

import pytest

from ldnsim.cli._app import run


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LDNSIM_DIARY_DB", str(tmp_path / "d.sqlite"))

    def call(*args):
        code = run(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def test_nof1_refuses_a_crohns_diary(cli):
    assert cli("diary", "add-patient", "C1", "--condition", "crohns")[0] == 0
    for day in range(1, 4):
        assert cli("diary", "add", "C1", "--date", f"2026-01-0{day}", "--pain", "5")[0] == 0
    code, out, err = cli("nof1", "analyse", "C1", "--weeks", "", "--json")
    assert code == 2 and out == ""
    assert "condition" in err and "immune module" in err and "Traceback" not in err


def test_clinic_pooling_skips_disease_patients(tmp_path):
    from ldnsim.diary import DiaryStore
    from ldnsim.nof1 import analyse_clinic

    with DiaryStore(f"sqlite:///{tmp_path / 'c.sqlite'}") as s:
        s.add_patient("M1", condition="multiple sclerosis")
        out = analyse_clinic(s)
    assert [x["patient_id"] for x in out["skipped"]] == ["M1"]
    assert "immune module" in out["skipped"][0]["reason"]
