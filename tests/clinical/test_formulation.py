"""Brand names and generic words select the product form (IR/ER/patch/buccal/depot), and the restart planner
models the drug file's matching formulation — or, when the file lacks it, the slowest-absorbing one it has."""

import pytest

from ldnsim.clinical.formulation import Cue, formulation_data, pk_formulation
from ldnsim.clinical.restart import plan_restart
from ldnsim.clinical.screen import screen_entry
from ldnsim.data import load_yaml
from ldnsim.pk import load_drug

LAST = "2026-11-20T22:00"

# entry, kind, cue source, matched, drug-file formulation modelled (None: not modelled), conservative fallback
FORMULATION_CASES = [
    ("MS Contin 30 mg q12h", "er", "brand", "ms contin", "sr", False),
    ("mscontin 30mg bid", "er", "brand", "ms contin", "sr", False),
    ("Kadian 30 mg daily", "er", "brand", "kadian", "sr", False),
    ("Avinza 60 mg daily", "er", "brand", "avinza", "sr", False),
    ("MST Continus 10mg bd", "er", "brand", "mst continus", "sr", False),
    ("Zomorph 30 mg", "er", "brand", "zomorph", "sr", False),
    ("morphine ER 30 mg bid", "er", "word", "er", "sr", False),
    ("morphine sulfate extended-release 15 mg", "er", "word", "extended", "sr", False),
    ("morphine CR 30 mg", "er", "word", "cr", "sr", False),
    ("morphine 30 mg q12h", "ir", "default", None, "ir", False),
    ("morphine 30 mg q24h", "ir", "default", None, "ir", False),
    ("OxyContin 20 mg q12h", "er", "brand", "oxycontin", "ir", True),
    ("Oxycotin 20 mg q12h", "er", "brand", "oxycontin", "ir", True),
    ("oxycodone XR 10 mg", "er", "word", "xr", "ir", True),
    ("oxycodone 10 mg q6h", "ir", "default", None, "ir", False),
    ("Hysingla ER 20 mg daily", "er", "brand", "hysingla", "ir", True),
    ("Zohydro 10 mg q12h", "er", "brand", "zohydro", "ir", True),
    ("Exalgo 8 mg daily", "er", "brand", "exalgo", "ir", True),
    ("Nucynta ER 50 mg bid", "er", "brand", "nucynta er", "ir", True),
    ("Nucynta 50 mg q6h", "ir", "default", None, "ir", False),
    ("Ultram ER 100 mg daily", "er", "brand", "ultram er", "ir", True),
    ("Ultram 50 mg qid", "ir", "default", None, "ir", False),
    ("ConZip 100 mg daily", "er", "brand", "conzip", "ir", True),
    ("tramadol SR 100 mg bd", "er", "word", "sr", "ir", True),
    ("Butrans 10 mcg/h patch", "patch", "brand", "butrans", None, False),
    ("buprenorphine transdermal 5 mcg/hr", "patch", "word", "transdermal", None, False),
    ("Duragesic 25 mcg/h", "patch", "brand", "duragesic", "patch", False),
    ("fentanyl 25 mcg/h patch", "patch", "word", "mcg h", "patch", False),
    ("fentanyl patch 50", "patch", "word", "patch", "patch", False),
    ("Belbuca 150 mcg bid", "buccal", "brand", "belbuca", "sl", True),
    ("Suboxone 8/2 mg daily", "ir", "default", None, "sl", False),
    ("Sublocade 300 mg monthly", "depot", "brand", "sublocade", None, False),
]


@pytest.mark.parametrize("text,kind,by,matched,pk_form,fallback", FORMULATION_CASES)
def test_formulation_table(text, kind, by, matched, pk_form, fallback):
    scr = screen_entry(text)
    assert scr["severity"] == "critical", scr  # the brand/word never lowers the screen
    fd = scr["formulation_detail"]
    assert (fd["kind"], fd["by"], fd["matched"]) == (kind, by, matched), fd
    assert scr["formulation"] == fd["acting"]
    assert fd["why"]
    if by == "brand":
        assert fd["cite"] or (fd["assumed"] and fd["reason"]), fd
    drug = next(f["ingredient"] for f in scr["findings"] if f["severity"] == "critical")
    used, info = pk_formulation(drug, Cue(**fd), load_drug(drug).formulations)
    assert (used, info["fallback"]) == (pk_form, fallback), info
    assert info["why"]
    if fallback and kind != "ir":  # the explanation names the missing form and the conservative choice
        assert "slowest-absorbing" in info["why"] and "never shorter" in info["why"]


def test_every_long_acting_brand_has_a_cited_formulation():
    voc = load_yaml("clinical/vocabulary.yaml")
    d = formulation_data()
    kinds = voc["formulation_kinds"]
    for name, spec in voc["brands"].items():
        if spec.get("acting") in ("long", "patch"):
            assert name in d["brands"], f"brand {name!r} ({spec['acting']}): no brand_formulations entry"
            _, bf = d["brands"][name]
            assert kinds[bf["kind"]]["acting"] == spec["acting"], (name, bf)
    for name, spec in voc["brand_formulations"].items():
        assert spec["kind"] in kinds, name
        assert spec.get("cite") or (spec.get("assumed") is True and spec.get("reason")), name


def test_er_brand_restart_not_shorter_than_ir(receptor_layer):
    er = plan_restart("MS Contin 30 mg q12h", LAST, n_patients=80)
    ir = plan_restart("morphine 30 mg q12h", LAST, n_patients=80)
    assert er["formulation"]["kind"] == "er" and er["model"]["formulation"] == "sr"
    assert ir["formulation"]["kind"] == "ir" and ir["model"]["formulation"] == "ir"
    assert er["recommendation"]["opioid_free_hours"] >= ir["recommendation"]["opioid_free_hours"]
    assert er["model"]["hours_after_last_dose"] >= ir["model"]["hours_after_last_dose"]
    assert any("ms contin" in n and "MS CONTIN" in n for n in er["notes"])
    assert any("no product form is named" in n for n in ir["notes"])  # q12h without a form is flagged


def test_er_fallback_explained_in_restart(receptor_layer):
    doc = plan_restart("OxyContin 20 mg q12h", LAST, n_patients=80)
    assert doc["category"] == "long" and doc["formulation"]["pk"]["fallback"]
    assert "slowest-absorbing" in doc["model"]["note"]
    assert doc["recommendation"]["opioid_free_hours"] >= 14 * 24


@pytest.mark.parametrize("text", ["Sublocade 300 mg monthly", "Buvidal 96 mg weekly", "Probuphine implant"])
def test_depot_restart_gives_no_date(text, receptor_layer):
    """A depot keeps releasing the opioid for weeks to months: the planner refuses a date (a tablet-rule date
    would be the unsafe direction) and gives only the label floor and a specialist referral."""
    doc = plan_restart(text, LAST, n_patients=40)
    r = doc["recommendation"]
    assert doc["formulation"]["kind"] == "depot", f"{text!r} is in the depot table"
    assert r["earliest_ldn_start"] is None and r["opioid_free_hours"] is None
    assert r["basis"] == "specialist" and r["not_before"] > LAST
    assert "specialist" in r["why"]
