"""Depot naltrexone holds, thousands separators, dates against today, one patient model (issues 11, 16)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from ldnsim.clinical import patient as pmod
from ldnsim.clinical.hold import plan_hold
from ldnsim.clinical.restart import plan_restart
from ldnsim.clinical.when import day_text, last_dose_at_clock, parse_clock
from ldnsim.errors import InputError
from ldnsim.units import parse_mass

PROC = "2026-12-20T08:00+01:00"
NOW = datetime(2026, 12, 1, 12, 0)


def test_vivitrol_dose_is_never_planned_as_daily_tablets():
    doc = plan_hold(PROC, "380mg", now=NOW)
    r = doc["recommendation"]
    assert doc["product"] == "injection" and doc["product_read_from"] == "dose"
    # label dosing interval 4 weeks; peri-operative guidance 24–30 days → 30 days used
    assert r["hold_days"] == 30 and r["basis"] == "er_injection"
    assert r["last_injection_no_later_than"] == "2026-11-20T08:00+01:00"
    assert any("extended-release injection" in w for w in doc["warnings"])
    assert doc["model"]["available"] is False  # no depot PK: never a tablet stand-in
    assert doc["depot"]["sources"] and doc["depot"]["pain_management"]["evidence"] == "L"
    # the label is cited by its DailyMed set id (the primary SPL), not an openFDA search URL
    text = json.dumps(doc)
    assert "setid=cd11c435-b0f0-4bb9-ae78-60f101f3703f" in text and "api.fda.gov" not in text


def test_explicit_forms():
    assert plan_hold(PROC, "380mg", form="injection", now=NOW)["recommendation"]["hold_days"] == 30
    with pytest.raises(InputError) as e:
        plan_hold(PROC, "380mg", form="oral", now=NOW)
    assert e.value.field == "dose"
    with pytest.raises(InputError) as e:
        plan_hold(PROC, "4.5mg", form="spray", now=NOW)
    assert e.value.field == "form"


def test_oral_hold_phrased_as_the_dose_to_skip():
    doc = plan_hold(PROC, "4.5mg", now=NOW, n_patients=60)
    r = doc["recommendation"]
    deadline = datetime.fromisoformat(r["last_dose_no_later_than"])
    last = datetime.fromisoformat(r["last_usual_dose"])
    # the last 22:00 dose is the latest one not after the deadline, in the procedure's time zone
    assert last <= deadline and (deadline - last).total_seconds() < 24 * 3600
    assert last.hour == 22 and last.utcoffset() == deadline.utcoffset()
    assert f"Last 22:00 dose: {day_text(last)}" in r["plain"] and "UTC+01:00" in r["plain"]


def test_clock_helpers():
    dl = datetime(2026, 11, 27, 2, 0)
    assert last_dose_at_clock(dl, parse_clock("22:00")) == datetime(2026, 11, 26, 22, 0)
    assert day_text(datetime(2026, 11, 26, 22, 0)) == "Thu 26 Nov 2026"


def test_dates_checked_against_today():
    past = plan_hold("2020-06-01T08:00", "4.5mg", now=NOW, n_patients=40)
    assert any("in the past" in w for w in past["warnings"])
    fut = plan_restart("oxycodone 5 mg q6h", "2027-11-20T08:00", now=NOW, n_patients=40)
    assert any("in the future" in w for w in fut["warnings"])
    ok = plan_restart("oxycodone 5 mg q6h", "2026-11-28T08:00", now=NOW, n_patients=40)
    assert ok["warnings"] == []
    with pytest.raises(InputError):
        plan_hold("0001-01-01T08:00", "4.5mg")


COMMAS = [
    ("1,500,000 ng", 1.5),  # several groups: thousands separators
    ("1,500.5 mcg", 1.5005),  # comma then decimal point: thousands separator
    ("4,5 mg", 4.5),  # decimal comma
    ("0,500 mg", 0.5),  # a leading zero cannot be a thousands group
    ("1500mcg", 1.5),
]


@pytest.mark.parametrize("text,mg", COMMAS)
def test_commas_in_doses(text, mg):
    assert parse_mass(text, "dose", hi=1e6) == pytest.approx(mg)


def test_ambiguous_thousands_comma_is_refused():
    # "1,500" is 1500 (English) or 1.5 (most of Europe): a 1000x dose difference is refused, not guessed
    with pytest.raises(InputError) as e:
        parse_mass("1,500mcg", "dose")
    assert e.value.field == "dose" and "ambiguous" in str(e.value)


@pytest.mark.parametrize(
    "args",
    [
        ["compound", "--dose", "1,500mcg", "--form", "liquid", "--concentration", "1mg/mL"],
        ["hold", "--procedure-time", PROC, "--dose", "1,500mcg"],
        ["titrate", "--start", "1,500mcg", "--step", "0.5mg", "--every", "7 days", "--target", "4.5mg"],
        ["pk", "naltrexone", "--dose", "1,500mcg"],
    ],
    ids=["compound", "hold", "titrate", "pk"],
)
def test_cli_refuses_ambiguous_comma_with_exit_2(args):
    res = subprocess.run([sys.executable, "-m", "ldnsim", *args, "--json"], capture_output=True, text=True)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "ambiguous" in res.stderr and "Traceback" not in res.stderr


# ------------------------------------------------------------------------------------ one patient model
BAD = [
    ("weight_kg", 301, "weight"),
    ("weight_kg", float("inf"), "weight"),
    ("egfr_ml_min", 0, "egfr"),
    ("egfr_ml_min", float("nan"), "egfr"),
    ("hepatic", "terrible", "hepatic"),
    ("cyp2d6", "xm", "cyp2d6"),
    ("age_years", -1, "age"),
]


@pytest.mark.parametrize("key,value,field", BAD)
def test_hold_and_restart_reject_the_same_patient_values(key, value, field):
    for call in (
        lambda: plan_hold(PROC, "4.5mg", **{key: value}),
        lambda: plan_restart("methadone 100 mg daily", "2026-11-20T08:00", **{key: value}),
    ):
        with pytest.raises(InputError) as e:
            call()
        assert e.value.field == field


@pytest.mark.parametrize("age,said", [(85, True), (None, False)])
def test_age_given_but_not_modelled_is_said_in_every_planner(age, said):
    """The PK covariates (weight, eGFR, Child-Pugh, CYP2D6) have no age: echoed, it must not read as used."""
    from ldnsim.clinical.acute import plan_acute_pain

    docs = [
        plan_hold(PROC, "4.5mg", age_years=age, now=NOW, n_patients=40),
        plan_restart("oxycodone 10 mg q6h", "2026-11-28T08:00", age_years=age, now=NOW, n_patients=40),
        plan_acute_pain("4.5mg", "2026-11-30T22:00", age_years=age, now=NOW, n_patients=40),
    ]
    for doc in docs:
        notice = [w for w in doc["warnings"] if "Age 85 years is recorded but not used" in w]
        assert bool(notice) == said, doc["warnings"]
        assert doc["patient"]["age_years"] == age
    assert not any("age" in k for k in pmod.Patient(age_years=85).covariates())


@pytest.mark.parametrize(
    "opioid,assumed_h",
    [
        ("oxycodone 10 mg", 4),  # the conservative q4h default (washout.yaml)
        ("oxycodone 10 mg q4h", None),
        ("OxyContin 20 mg", 12),
        ("OxyContin 20 mg q12h", None),
    ],
)
def test_restart_says_when_the_dosing_interval_was_assumed(opioid, assumed_h):
    doc = plan_restart(opioid, "2026-11-28T08:00", now=NOW, n_patients=40)
    said = [n for n in doc["notes"] if n.startswith("No dosing interval in the text")]
    assert bool(said) == (assumed_h is not None), doc["notes"]
    assert doc["model"]["interval_from_sig"] == (assumed_h is None)
    if assumed_h is not None:
        assert f"every {assumed_h} h" in said[0] and doc["model"]["interval_h"] == assumed_h


def test_patient_ranges_match_the_pk_layer():
    from ldnsim.pk import _covariates as cov

    assert pmod.WEIGHT_KG == cov.WEIGHT_RANGE_KG
    assert pmod.EGFR_ML_MIN == cov.EGFR_RANGE
    assert pmod.HEPATIC == cov.HEPATIC_LEVELS and pmod.CYP2D6 == cov.CYP2D6_PHENOTYPES


def test_restart_weight_301_exits_2_like_hold():
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "ldnsim",
            "restart",
            "--opioid",
            "methadone 100 mg daily",
            "--last-dose",
            "2026-11-20T08:00",
            "--hepatic",
            "severe",
            "--weight",
            "301",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "weight" in res.stderr and res.stdout == ""
    ok = subprocess.run(
        [sys.executable, "-m", "ldnsim", "hold", "--procedure-time", PROC, "--dose", "380mg", "--json"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["recommendation"]["hold_days"] == 30
