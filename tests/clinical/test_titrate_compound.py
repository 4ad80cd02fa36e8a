"""Titration schedules and compounding specifications: tables of cases."""

import json
import subprocess
import sys

import pytest

from ldnsim.clinical.compound import compound_spec, spec_text
from ldnsim.clinical.titrate import plan_titration, presets, schedule_text
from ldnsim.errors import InputError

DATE = "2026-12-01"

PRESET_CASES = [  # preset, doses, every_days
    ("ldnrt-standard", [1, 2, 3, 4, 4.5], 7),
    ("ldnrt-sensitive", [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5], 14),
    ("ldnrt-pharmacist", [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5], 7),
    ("ldnrt-liquid", [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5], 7),
    ("clinic-example", [1.5, 3, 4.5], 7),
    ("final-rct", [1.5, 3, 4.5, 6], 7),
]


@pytest.mark.parametrize("preset,doses,every", PRESET_CASES)
def test_presets(preset, doses, every):
    doc = plan_titration(preset, start_date=DATE)
    assert [r["dose_mg"] for r in doc["schedule"]] == doses
    assert doc["schedule"][0]["from"] == DATE and doc["schedule"][-1]["to"] is None
    assert doc["parameters"]["every_days"] == every
    # each step's fallback is the previous dose (first: half)
    assert [r["if_problems_go_back_to_mg"] for r in doc["schedule"][1:]] == doses[:-1]
    assert doc["disclaimer"].startswith("For research and education")


def test_every_preset_has_provenance():
    for name in presets():
        doc = plan_titration(name, start_date=DATE)
        for k, p in doc["provenance"].items():
            assert p.get("sources") or p.get("assumed"), (name, k)


LIQUID_CASES = [  # concentration, dose→mL at step 1
    ("1mg/mL", 1.0, 1.0),
    ("5 mg/mL", 1.0, 0.2),
    ("0.5mg/mL", 1.0, 2.0),
]


@pytest.mark.parametrize("conc,dose,ml", LIQUID_CASES)
def test_liquid_volumes(conc, dose, ml):
    doc = plan_titration(form="liquid", concentration=conc, start_date=DATE)
    assert doc["schedule"][0]["dose_mg"] == dose and doc["schedule"][0]["volume_ml"] == ml


def test_liquid_without_concentration_uses_the_sourced_compounding_default():
    """Titration and compounding assume one strength, from compounding.yaml (The Compounder, 1 mg/mL)."""
    from ldnsim.data import load_yaml, value_of

    entry = load_yaml("clinical/compounding.yaml")["parameters"]["liquid_default_concentration"]
    assert entry["source"] and value_of(entry) == 1.0
    doc = plan_titration(form="liquid", start_date=DATE)
    assert all(r["volume_ml"] == pytest.approx(r["dose_mg"] / 1.0) for r in doc["schedule"])  # 1 mg/mL
    assert any("1 mg/mL assumed" in n for n in doc["notes"]), doc["notes"]


def test_liquid_small_volume_warns():
    doc = plan_titration("ldnrt-liquid", start_date=DATE)  # 5 mg/mL: 0.1 mL
    assert doc["schedule"][0]["volume_ml"] == 0.1
    doc = plan_titration(
        start="0.05mg", step="0.05mg", target="0.2mg", form="liquid", concentration="1mg/mL", start_date=DATE
    )
    assert any("weaker" in n for n in doc["notes"])


def test_side_effect_rules_present():
    doc = plan_titration(start_date=DATE)
    ids = {s["id"] for s in doc["side_effect_rules"]}
    assert {"insomnia_vivid_dreams", "worse_after_step"} <= ids
    ins = next(s for s in doc["side_effect_rules"] if s["id"] == "insomnia_vivid_dreams")
    assert "morning" in " ".join(ins["actions"]) and "step back" in " ".join(ins["actions"])
    assert all(s["sources"] for s in doc["side_effect_rules"])
    assert "not medical advice" in schedule_text(doc)


def test_opioid_on_list_blocks_start_and_thyroid_caution():
    doc = plan_titration(start_date=DATE, meds=["oxycodone 5mg", "levothyroxine"])
    assert doc["notes"][0].startswith("DO NOT START")
    assert any(c["id"] == "thyroid_replacement" for c in doc["cautions"])


TITRATE_BAD = [
    (dict(preset="nope"), "preset"),
    (dict(start="-1mg"), "start"),
    (dict(step="0mg"), "step"),
    (dict(target="50mg"), "target"),
    (dict(start="4mg", target="2mg"), "start"),
    (dict(every="0.5 days"), "every"),
    (dict(form="patch"), "form"),
    (dict(form="liquid", concentration="1 mg"), "concentration"),
    (dict(concentration="1mg/mL"), "concentration"),
    (dict(start_date="soon"), "start_date"),
]


@pytest.mark.parametrize("kwargs,field", TITRATE_BAD)
def test_titrate_bad_input(kwargs, field):
    with pytest.raises(InputError) as exc:
        plan_titration(**kwargs)
    assert exc.value.field == field


COMPOUND_CASES = [  # dose, form, key facts
    ("4.5mg", "capsule", {"capsule.count": 30}),
    ("1.5 mg", "liquid", {"liquid.concentration_mg_per_ml": 1.0, "liquid.volume_per_dose_ml": 1.5}),
    ("250 mcg", "liquid", {"liquid.volume_per_dose_ml": 0.5}),
    ("5 mcg", "liquid", {"liquid.concentration_mg_per_ml": 0.01}),
    ("2mg", "topical", {"topical.per_dose_mg": 2.0}),
]


@pytest.mark.parametrize("dose,form,facts", COMPOUND_CASES)
def test_compound(dose, form, facts):
    doc = compound_spec(dose, form)
    for path, val in facts.items():
        a, b = path.split(".")
        assert doc[a][b] == pytest.approx(val)
    text = spec_text(doc)
    assert "IMMEDIATE RELEASE ONLY" in text and "not medical advice" in text
    assert all(ln["sources"] for ln in doc["specification"] if ln["item"] in ("Release", "Filler"))
    if form == "capsule":
        assert "calcium carbonate" in text


def test_microgram_liquid_has_dilution_plan():
    doc = compound_spec("5 mcg", "liquid")
    assert len(doc["liquid"]["dilution_plan"]) == 2


def test_small_capsule_warns():
    assert any("liquid" in w for w in compound_spec("0.25mg", "capsule")["warnings"])


COMPOUND_BAD = [
    (("-1mg", "capsule"), "dose"),
    (("0mg", "capsule"), "dose"),
    (("4.5mg", "sr"), "form"),
    (("4.5mg", "liquid", "200mg/mL"), "concentration"),
]


@pytest.mark.parametrize("args,field", COMPOUND_BAD)
def test_compound_bad_input(args, field):
    with pytest.raises(InputError) as exc:
        compound_spec(*args[:2], concentration=args[2] if len(args) > 2 else None)
    assert exc.value.field == field


def test_cli_titrate_and_compound_json():
    for args in (
        ["titrate", "--preset", "ldnrt-liquid", "--start-date", DATE, "--json"],
        ["compound", "--dose", "4.5mg", "--form", "capsule", "--json"],
    ):
        res = subprocess.run(
            [sys.executable, "-m", "ldnsim", *args], capture_output=True, text=True, timeout=120
        )
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["disclaimer"].startswith("For research")
    res = subprocess.run(
        [sys.executable, "-m", "ldnsim", "compound", "--dose", "-2mg", "--form", "liquid"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2 and "dose" in res.stderr
