"""``ldnsim docs``: regenerate the parameter tables in docs/ from the data files."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, emit_json


@app.command("docs")
def docs(
    out: Path = typer.Option(Path("docs"), "--out", help="Folder to write parameters.md into."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
    numbers: bool = typer.Option(
        True, "--numbers/--no-numbers", help="Also regenerate the model numbers in README and credibility.md."
    ),
) -> None:
    """Write docs/parameters.md (every parameter with unit and provenance) and the tables of docs/model.md
    and docs/immune.md."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "parameters.md"
    from ..data.provenance import data_files, parameter_table_markdown, provenance_problems  # lazy: start-up

    target.write_text(parameter_table_markdown(), encoding="utf-8")
    _embed_system_table(out / "model.md")
    _embed_immune_table(out / "immune.md", numbers)
    generated: list[str] = []
    if numbers:  # README / credibility.md numbers from the shipped parameter set (runs the model, ~30 s)
        from ..validation import write_generated

        generated = write_generated(out, out.resolve().parent / "README.md")
    problems = provenance_problems()
    if json_out:
        emit_json({"written": str(target), "data_files": len(data_files()), "provenance_problems": problems,
                   "generated": generated})
    else:
        typer.echo(f"wrote {target} ({len(data_files())} data files)")
        for p in problems:
            typer.echo(f"  provenance problem: {p}", err=True)


def _embed_system_table(model_md: Path) -> None:
    """Replace the generated system-parameter table between its markers in docs/model.md (if present)."""
    from ..system import _params
    from ..system import parameter_table_markdown as system_table

    if not model_md.exists():
        return
    text = model_md.read_text(encoding="utf-8")
    if _params.DOC_TABLE_BEGIN not in text or _params.DOC_TABLE_END not in text:
        return
    a = text.index(_params.DOC_TABLE_BEGIN)
    b = text.index(_params.DOC_TABLE_END) + len(_params.DOC_TABLE_END)
    model_md.write_text(text[:a] + system_table() + text[b:], encoding="utf-8")


def _embed_immune_table(immune_md: Path, numbers: bool) -> None:
    """Replace the generated immune-parameter table between its markers in docs/immune.md (if present), and
    with ``numbers`` the tables computed by running the module (ldnsim.immune._docs)."""
    from ..immune import _docs, _params

    if not immune_md.exists():
        return
    text = immune_md.read_text(encoding="utf-8")
    if _params.DOC_TABLE_BEGIN in text and _params.DOC_TABLE_END in text:
        a = text.index(_params.DOC_TABLE_BEGIN)
        b = text.index(_params.DOC_TABLE_END) + len(_params.DOC_TABLE_END)
        text = text[:a] + _params.parameter_table_markdown() + text[b:]
    if numbers:
        text = _docs.replace_blocks(text)
    immune_md.write_text(text, encoding="utf-8")
