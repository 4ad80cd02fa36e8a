"""``ldnsim docs``: regenerate the parameter tables in docs/ from the data files."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, emit_json


@app.command("docs")
def docs(
    out: Path = typer.Option(Path("docs"), "--out", help="Folder to write parameters.md into."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Write docs/parameters.md (every model parameter with unit and provenance)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "parameters.md"
    from ..data.provenance import data_files, parameter_table_markdown, provenance_problems  # lazy: start-up

    target.write_text(parameter_table_markdown(), encoding="utf-8")
    problems = provenance_problems()
    if json_out:
        emit_json({"written": str(target), "data_files": len(data_files()), "provenance_problems": problems})
    else:
        typer.echo(f"wrote {target} ({len(data_files())} data files)")
        for p in problems:
            typer.echo(f"  provenance problem: {p}", err=True)
