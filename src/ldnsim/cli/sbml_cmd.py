"""``ldnsim export-sbml OUT.xml``: write ldnsim's model as SBML (runs in libRoadRunner / COPASI)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json


@app.command("export-sbml")
def export_sbml_cmd(
    out: Path = typer.Argument(..., help="SBML file to write (.xml)."),
    drug: str = typer.Option("naltrexone", "--drug", help="Drug dosed (a drug file id or synonym)."),
    dose: str = typer.Option("4.5mg", "--dose", help="Dose per administration, e.g. 4.5mg, 250ug."),
    interval: str = typer.Option("24h", "--interval", help="Dosing interval, e.g. 24h, 12h, 1 week."),
    days: float = typer.Option(7.0, "--days", help="Days of dosing written into the model (1-36525)."),
    formulation: str = typer.Option("", "--formulation", help="Formulation key (default: the drug's)."),
    regimen: str = typer.Option("", "--regimen", help="Regimen text instead of --drug/--dose/--interval."),
    model: str = typer.Option(
        "pk", "--model", help="pk (PK + receptors), full (+ system, pain) or immune (+ OGF-OGFr module)."),
    condition: str = typer.Option(
        "fibromyalgia", "--condition",
        help="Condition preset (--model full: a pain condition; --model immune: crohns or ms)."),
    variant: str = typer.Option(
        "full", "--variant",
        help="model variant: mechanism (system/variants.yaml) optionally /occupancy variant, e.g. "
             "full/parent-transient (data/occupancy.yaml); --model pk uses only its occupancy part."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Export the PK + receptor model (or the whole pain model, or the immune / OGF-OGFr module) with its
    dosing as SBML L3V2."""
    from ..sbml import export_sbml, pk_model_spec
    from ..units import parse_duration, parse_mass

    if not 0 < days <= 36525:
        raise InputError("days", "out of range", accepted="0-36525", value=days)
    if model not in ("pk", "full", "immune"):
        raise InputError("model", "unknown model", accepted="pk, full, immune", value=model)
    from ..data.parameter_set import check_variant

    variant = check_variant(variant)
    events = _events(regimen, drug, dose, interval, days, formulation, parse_mass, parse_duration)
    if model == "pk":
        spec, info = pk_model_spec(events, days=days, variant=variant)
    elif model == "immune":
        from ..sbml import immune_model_spec

        spec, info = immune_model_spec(events, days=days, condition=condition)
    else:
        from ..sbml import full_model_spec

        spec, info = full_model_spec(events, days=days, condition=condition, variant=variant)
    path = export_sbml(spec, out)
    doc = {
        "path": str(path),
        "model": model,
        "variant": variant,
        "sbml_level": 3,
        "sbml_version": 2,
        "states": len(spec.states),
        "parameters": len(spec.params),
        "rules": len(spec.rules),
        "events": len(spec.events),
        "doses": info.get("n_doses", 0),
        "days": days,
        "outputs": spec.outputs,
        "disclaimer": DISCLAIMER,
    }
    if json_out:
        emit_json(doc)
    else:
        typer.echo(f"wrote {path}: {doc['states']} states, {doc['rules']} rules, {doc['events']} events, "
                   f"{doc['doses']} doses over {days:g} days ({model} model)")


def _events(regimen, drug, dose, interval, days, formulation, parse_mass, parse_duration) -> list:
    from ..regimen import DoseEvent

    until = days * 24.0
    if regimen.strip():
        from ..regimen import Regimen

        return [e for e in Regimen.parse(regimen).events(until) if e.time_h < until]
    from ..pk import load_drug, resolve_drug

    d = resolve_drug(drug)
    mg = parse_mass(dose, "dose", hi=10000.0)
    tau = parse_duration(interval, "interval", lo=0.0, hi=24.0 * 366)
    spec = load_drug(d)
    form = formulation.strip().lower() or spec.default_formulation
    n = int(until // tau) + (1 if until % tau else 0)
    return [DoseEvent(k * tau, d, mg, form, 0.0) for k in range(n) if k * tau < until]
