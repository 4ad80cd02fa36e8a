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


def test_no_reference_points_outside_the_repository():
    """Data files, code, docs and tests cite original sources (author year, journal, PMID/DOI/URL), never a
    path into a workspace folder (``shared/...``) that a clone of this repository does not have."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"(?<![\w-])(?:\.\./)?shared/(?:data|design)")
    files = [p for d in ("src", "docs", "tests", "bench", "examples") for p in (root / d).rglob("*")
             if p.suffix in {".py", ".yaml", ".md", ".ipynb"}]
    files.append(root / "README.md")
    offenders = [
        f"{p.relative_to(root)}:{i}"
        for p in files
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "references to shared/ (cite the original source instead):\n" + "\n".join(offenders)
