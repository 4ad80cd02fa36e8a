"""Clinical commands: ``check``, ``hold``, ``restart``, ``titrate``, ``compound``, ``serve``.

Every output (text and JSON) carries the disclaimer; bad input raises InputError → exit 2.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json

_JSON = typer.Option(False, "--json", help="Print one JSON document.")
_MARK = {"critical": "CRITICAL", "warning": "WARNING", "unknown": "UNKNOWN", "info": "info", "none": "none"}


def _sources_text(sources: list[dict]) -> str:
    return "; ".join(f"[{s['grade']}] {s['cite']} <{s['url']}>" for s in sources) or "—"


@app.command("check")
def check(
    meds: list[str] = typer.Argument(
        None, help="Medication entries as written, e.g. 'Percocet 5/325 q6h prn'."
    ),
    fhir: Path = typer.Option(
        None, "--fhir", help="FHIR Bundle (JSON) of MedicationRequest/MedicationStatement."
    ),
    hepatic: str = typer.Option(None, "--hepatic", help="Patient context: none|mild|moderate|severe|acute."),
    egfr: float = typer.Option(None, "--egfr", help="Patient context: eGFR in mL/min."),
    pregnant: bool = typer.Option(
        False, "--pregnant", help="Patient context: pregnant or trying to conceive."
    ),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Patient context: breastfeeding."),
    json_out: bool = _JSON,
) -> None:
    """Screen a medication list against LDN (opioids and other interactions)."""
    from ..clinical.fhir import entries_from_fhir, load_bundle
    from ..clinical.monitoring import cautions_for
    from ..clinical.screen import screen

    entries: list = list(meds or [])
    if fhir is not None:
        entries += entries_from_fhir(load_bundle(fhir))
    if not entries:
        raise InputError(
            "medications",
            "the medication list is empty",
            accepted="one or more MED arguments and/or --fhir FILE",
        )
    doc = screen(entries)
    doc["cautions"] = cautions_for(
        doc, hepatic=hepatic, egfr=egfr, pregnant=pregnant, breastfeeding=breastfeeding
    )
    if json_out:
        emit_json(doc)
        return
    typer.echo(f"LDN medication check — highest severity: {doc['highest_severity'].upper()}")
    for m in doc["medications"]:
        ings = ", ".join(m["ingredients"]) or "not recognised"
        typer.echo(f"\n[{_MARK[m['severity']]}] {m['input']}  →  {ings}")
        typer.echo(f"  {m['summary']}")
        typer.echo(f"  Management: {m['management']}")
        typer.echo(f"  Evidence: {m['evidence']}; sources: {_sources_text(m['sources'])}")
        for n in m["notes"]:
            typer.echo(f"  Note: {n}")
    if doc["cautions"]:
        typer.echo("\nCautions and monitoring:")
        for c in doc["cautions"]:
            src = _sources_text(c["sources"])
            typer.echo(f"  [{c['severity']}] {c['summary']} (evidence {c['evidence']}; {src})")
    typer.echo(f"\n{DISCLAIMER}")
