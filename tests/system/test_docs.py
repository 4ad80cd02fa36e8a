"""docs/model.md embeds the parameter table generated from the data file, and names every state."""

from pathlib import Path

from ldnsim.system import STATE_NAMES, parameter_names, parameter_table, parameter_table_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def test_model_doc_parameter_table_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert parameter_table_markdown() in text, "regenerate with ldnsim.system.parameter_table_markdown()"


def test_model_doc_names_every_state():
    text = DOC.read_text(encoding="utf-8")
    for s in STATE_NAMES:
        assert f"`{s}`" in text, s


def test_parameter_table_rows_have_provenance():
    rows = parameter_table()
    assert {r["name"] for r in rows} == set(parameter_names())
    for r in rows:
        assert r["unit"] and r["provenance"], r["name"]
