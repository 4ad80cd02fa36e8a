"""docs/immune.md embeds the parameter table generated from the data file and names every state and output."""

from pathlib import Path

from ldnsim.immune import (
    OUTPUT_NAMES,
    STATE_NAMES,
    parameter_names,
    parameter_table,
    parameter_table_markdown,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "immune.md"


def test_parameter_table_is_current():
    assert parameter_table_markdown() in DOC.read_text(encoding="utf-8"), "regenerate with `ldnsim docs`"


def test_doc_names_every_state_and_output():
    text = DOC.read_text(encoding="utf-8")
    for s in (*STATE_NAMES, *OUTPUT_NAMES):
        assert f"`{s}`" in text, s


def test_every_parameter_has_unit_and_provenance():
    rows = parameter_table()
    assert {r["name"] for r in rows} == set(parameter_names())
    for r in rows:
        assert r["unit"] and r["provenance"], r["name"]


def test_computed_tables_are_current():
    """The regimen and metabolite tables are the module's output (``ldnsim docs`` rewrites them)."""
    from ldnsim.immune import _docs

    text = DOC.read_text(encoding="utf-8")
    assert all(b in text and e in text for b, e, _ in _docs.BLOCKS)
    assert _docs.replace_blocks(text) == text, "stale numbers: run `ldnsim docs`"
