"""Every parameter in every shipped data file has a unit and a source, derivation, or reasoned assumption."""

from ldnsim.data.provenance import data_files, parameter_table_markdown, provenance_problems


def test_every_parameter_has_provenance():
    problems = provenance_problems()
    assert not problems, "parameters without provenance:\n" + "\n".join(problems)


def test_parameter_table_lists_every_data_file():
    md = parameter_table_markdown()
    for path in data_files():
        text = path.read_text()
        if "unit:" in text and "value:" in text:
            assert path.name in md


def test_published_parameter_table_is_current():
    """docs/parameters.md is generated from the data files; regenerate with `make docs`."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"
    assert doc.read_text(encoding="utf-8") == parameter_table_markdown(), "run `make docs`"
