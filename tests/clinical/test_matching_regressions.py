"""Regression table for the confident wrong answers of issue 11 (matching, ranking, lists, negation).

Each row is a bug found by a pharmacist's review: the entry, the severity it must screen to, and the
ingredient it must (or must not) be read as. Expected values come from the products' labels (Dolantin =
pethidine, Fachinformation; Dolo 650 = paracetamol; Hydromol = emollient; Meptin = procaterol), not from
running the checker.
"""

from __future__ import annotations

import pytest

from ldnsim.clinical.rules import RANK, SEVERITIES
from ldnsim.clinical.screen import screen, screen_entry, split_entry
from ldnsim.clinical.vocabulary import vocabulary
from ldnsim.data import load_yaml

# (entry, expected severity, ingredient that must be present or None, ingredient that must NOT be present)
CASES = [
    # a spelling correction must never turn an opioid brand into a non-opioid
    ("Dolantin 50 mg", "critical", "meperidine", "phenytoin"),
    ("Dolantinn 50 mg", "critical", None, "phenytoin"),  # misspelt opioid brand: never read as Dilantin
    # word-boundary / short-word false criticals
    ("sent 2 tabs", "unknown", None, "fentanyl"),
    ("went home with ibuprofen", "unknown", None, "fentanyl"),
    ("feet cream", "unknown", None, "fentanyl"),
    ("Panadol forte", "none", "paracetamol", "teriparatide"),
    ("Dolo 650", "none", "paracetamol", "tramadol"),
    ("Hydromol cream", "none", "emollient", "hydrocodone"),
    ("Meptin inhaler", "none", "procaterol", "meptazinol"),
    # negation of the class word
    ("naproxen 500 mg (no opioids)", "none", "naproxen", "opioid (unspecified)"),
    ("denies opioid use", "none", None, "opioid (unspecified)"),
    ("not on any narcotics", "none", None, "opioid (unspecified)"),
    # a named opioid stays critical even when negated (screened as written: conservative)
    ("not oxycodone", "critical", "oxycodone", None),
    ("opioids", "critical", "opioid (unspecified)", None),
    # modified release named by a word
    ("Tramal long 100 bd", "critical", "tramadol", None),
    # unknown brand next to a recognised one: never hidden behind the recognised one
    ("Oxyneo 20 mg q12h", "critical", "oxycodone", None),
]


@pytest.mark.parametrize("text,expected,must,must_not", CASES, ids=[c[0] for c in CASES])
def test_regression_case(text, expected, must, must_not):
    got = screen_entry(text)
    assert got["severity"] == expected, got
    if must:
        assert must in got["ingredients"], got["ingredients"]
    if must_not:
        assert must_not not in got["ingredients"], got["ingredients"]


def test_brand_correction_that_changes_class_is_unknown_with_candidates():
    # an unknown brand one letter from a non-opioid brand: not trusted, candidates shown
    got = screen_entry("Dilantim 100 mg")
    assert got["severity"] == "unknown"
    assert got["candidates"] and any("phenytoin" in c["ingredients"] for c in got["candidates"])
    # a generic (INN) name misspelt is still corrected confidently
    assert screen_entry("ibuprofin 400 mg")["severity"] == "none"


def test_unknown_outranks_warning():
    assert RANK["unknown"] > RANK["warning"]
    assert SEVERITIES[-1] == "critical"
    doc = screen(["Xyzzyprofen 20 mg q12h", "Imodium 2 mg prn"])
    assert doc["highest_severity"] == "unknown"


SPLITS = [
    ("gabapentin 300 mg tid, Dolantin 50 mg prn, LDN 4.5 mg", 3),
    ("metformin 1,000 mg bid; lisinopril 10 mg", 2),  # "1,000" is a thousands comma, not a split
    ("Percocet 5/325, 1-2 tabs q6h prn", 1),  # the sig stays with its drug
    ("Tylenol, extra strength", 1),
]


@pytest.mark.parametrize("text,n", SPLITS, ids=[s[0] for s in SPLITS])
def test_one_line_lists_are_split(text, n):
    assert len(split_entry(text)) == n


def test_one_line_list_screens_each_item():
    doc = screen(["gabapentin 300 mg tid, Dolantin 50 mg prn, LDN 4.5 mg"])
    by = {m["input"]: m for m in doc["medications"]}
    assert doc["highest_severity"] == "critical"
    assert by["Dolantin 50 mg prn"]["severity"] == "critical"
    # LDN 4.5 mg is LDN itself, not a standard-dose duplicate read from Dolantin's 50 mg
    assert by["LDN 4.5 mg"]["rule"] == "naltrexone_self"


# --------------------------------------------------------------------------- worldwide vocabulary
REGIONS = {
    "CA": [("OxyNEO 40 mg q12h", "oxycodone", "long"), ("Hydromorph Contin 3 mg", "hydromorphone", "long"),
           ("M-Eslon 10 mg", "morphine", "long"), ("Kadian 20", "morphine", "long"),
           ("Statex 5 mg", "morphine", "short"), ("Tridural 100", "tramadol", "long"),
           ("Durela 100", "tramadol", "long")],
    "DE/AT/CH": [("Dolantin Tropfen", "meperidine", "short"), ("Valoron N retard", "tilidine", "long"),
                 ("Palladon 4 mg", "hydromorphone", "short"), ("Targin 10/5", "oxycodone", "long"),
                 ("Oxygesic 10", "oxycodone", "long"), ("Jurnista 8", "hydromorphone", "long"),
                 ("Temgesic 0.2 sl", "buprenorphine", "short"), ("Tramal long 100", "tramadol", "long"),
                 ("Codidol retard 60", "dihydrocodeine", "long"), ("Codipront Saft", "codeine", "long"),
                 ("Makatussin Tropfen", "codeine", "short")],
    "IN/ZA": [("Ultracet", "tramadol", "short"), ("Tramazac 50", "tramadol", "short"),
              ("Contramal 50", "tramadol", "short"), ("Phensedyl cough linctus", "codeine", "short")],
    "JP": [("Narusus 2 mg", "hydromorphone", "long"), ("Narurapid 1 mg", "hydromorphone", "short"),
           ("Tapenta 25", "tapentadol", "long"), ("Oxinorm 2.5 mg", "oxycodone", "short"),
           ("Twotram 100", "tramadol", "long"), ("Tramcet", "tramadol", "short")],
    "LatAm": [("Tylex 30 mg", "codeine", "short"), ("Tradol 50", "tramadol", "short"),
              ("Dimorf 10 mg", "morphine", "short")],
    "WHO ATC N02A/R05DA": [
        ("Palfium 5 mg", "dextromoramide", "short"), ("Vilan 5 mg", "nicomorphine", "short"),
        ("Narphen 5 mg", "phenazocine", "short"), ("Burgodin 10 mg", "bezitramide", "long"),
        ("Dalgan", "dezocine", "short"), ("thebacon syrup", "thebacon", "short"),
    ],
    "cough/cold": [("Tussionex 5 mL q12h", "hydrocodone", "long"), ("Phensedyl", "codeine", "short"),
                   ("Triacin C 5 mL q6h", "codeine", "short"), ("Codicalm Sirup", "codeine", "short")],
}
REGION_ROWS = [(r, *row) for r, rows in REGIONS.items() for row in rows]


@pytest.mark.parametrize(
    "region,text,ingredient,acting", REGION_ROWS, ids=[f"{r[0]}:{r[1]}" for r in REGION_ROWS]
)
def test_national_brand(region, text, ingredient, acting):
    got = screen_entry(text)
    assert got["severity"] == "critical", got
    assert ingredient in got["ingredients"]
    assert got["formulation"] == acting, got["formulation_detail"]


def test_every_sourced_brand_has_a_source_or_an_assumption():
    doc = load_yaml("clinical/vocabulary.yaml")
    for name, spec in doc["brands_sourced"].items():
        assert spec.get("source", "").startswith("http") or (
            isinstance(spec.get("assumed"), str) and len(spec["assumed"]) > 20
        ), name
        assert spec.get("form") in ("ir", "er", "patch", "depot"), name
        assert spec.get("region"), name
    assert vocabulary().conflicts == []
