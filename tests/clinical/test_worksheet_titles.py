"""Compounding batch worksheet (mass balance, overage, USP <795> BUD); custom titration titles (issue 11)."""

from __future__ import annotations

import pytest

from ldnsim.clinical.compound import _dilution_chain, compound_spec, spec_text
from ldnsim.clinical.titrate import plan_titration


def test_capsule_worksheet_masses():
    ws = compound_spec("4.5mg", "capsule", days=30)["worksheet"]
    assert ws["dispensed_units"] == 30 and ws["made_units"] > 30
    # mass balance: API = dose x capsules made; API + filler = fill x capsules made
    assert ws["api_mass_mg"] == pytest.approx(4.5 * ws["made_units"])
    assert ws["api_mass_mg"] + ws["filler_mass_mg"] == pytest.approx(225 * ws["made_units"], abs=0.1)
    assert ws["beyond_use_days"] == 180 and "795" in ws["beyond_use_source"][0]["cite"]


@pytest.mark.parametrize("dose", ["0.1mg", "5 mcg", "1.5mg"])
def test_liquid_worksheet_dispensed_volume_is_made(dose):
    doc = compound_spec(dose, "liquid", days=30)
    ws, liq = doc["worksheet"], doc["liquid"]
    # USP <795>: nonpreserved aqueous 14 days refrigerated, without a stability study
    assert ws["beyond_use_days"] == 14 and ws["days_covered"] == 14
    assert ws["dispensed_volume_ml"] == pytest.approx(liq["volume_per_dose_ml"] * 14, rel=1e-3)
    assert ws["made_volume_ml"] >= ws["dispensed_volume_ml"]
    if ws["dilution_steps"]:
        last = ws["dilution_steps"][-1]
        assert last["make_ml"] == pytest.approx(ws["made_volume_ml"], rel=1e-3)
        # each step: what is taken from the previous solution is no more than was made there
        for a, b in zip(ws["dilution_steps"], ws["dilution_steps"][1:], strict=False):
            assert b["take_ml"] <= a["make_ml"] + 1e-9
    assert "BATCH WORKSHEET" in spec_text(doc)


def test_dilution_chain_mass_balance():
    steps = _dilution_chain(0.01, 30.0)
    for s in steps:
        assert s["take_ml"] * s["from_conc"] == pytest.approx(s["make_ml"] * s["to_conc"])
        assert s["take_ml"] + s["water_ml"] == pytest.approx(s["make_ml"])
    assert steps[-1]["make_ml"] == 30.0 and steps[-1]["to_conc"] == 0.01


def test_custom_titration_is_not_titled_as_the_preset():
    preset = plan_titration("ldnrt-standard")
    custom = plan_titration("ldnrt-standard", start="0.5mg", step="0.5mg")
    assert custom["title"] != preset["title"] and custom["title"].startswith("Custom titration")
    assert custom["custom"] == ["start", "step"] and preset["custom"] == []
    assert custom["evidence"].startswith("custom")


def test_titration_flags_unresolved_medicines():
    doc = plan_titration("ldnrt-standard", meds=["Xyzzyprofen 10 mg"])
    assert any(n.startswith("UNRESOLVED") for n in doc["notes"])
