"""``ldnsim nof1``: N-of-1 plans (``plan``) and the model-informed Bayesian analysis (``analyse``).

Every output carries the disclaimer; bad input exits 2 naming the field.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json
from .diary import _DB, _JSON, open_store

nof1_app = typer.Typer(
    help="N-of-1 trials of LDN: plans and the analysis of a diary. " + DISCLAIMER, no_args_is_help=True
)
app.add_typer(nof1_app, name="nof1")


@nof1_app.command("plan")
def plan(
    patient: str = typer.Argument(None, help="Patient to store the plan for (with --save)."),
    design: str = typer.Option(
        "open", "--design", help="open (baseline, then LDN) or blinded (LDN/placebo blocks)."
    ),
    start: str = typer.Option(None, "--start", help="First diary day (YYYY-MM-DD; default today)."),
    baseline_weeks: int = typer.Option(2, "--baseline-weeks", help="Untreated baseline, weeks."),
    ldn_weeks: int = typer.Option(12, "--ldn-weeks", help="Open-label: weeks on LDN."),
    block_weeks: int = typer.Option(
        None, "--block-weeks", help="Blinded: block length (default from the model)."
    ),
    pattern: str = typer.Option("ABBA", "--pattern", help="Blinded: ABAB or ABBA family (A = LDN)."),
    dose: float = typer.Option(4.5, "--dose", help="LDN dose, mg."),
    seed: int = typer.Option(None, "--seed", help="Seed of the pharmacy's random order."),
    pharmacist: bool = typer.Option(False, "--pharmacist", help="Show the blinding key (pharmacist's copy)."),
    simulate: int = typer.Option(
        0, "--simulate", help="Virtual patients for the plan's decision characteristics."
    ),
    save: bool = typer.Option(
        False, "--save", help="Store the plan (with its key) for PATIENT in the diary."
    ),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Make a dated N-of-1 plan (calendar for patient and pharmacist) with block lengths from the model."""
    from ..nof1 import make_plan, operating_characteristics

    p = make_plan(
        design,
        start=start,
        baseline_weeks=baseline_weeks,
        ldn_weeks=ldn_weeks,
        block_weeks=block_weeks,
        pattern=pattern,
        dose_mg=dose,
        seed=seed,
    )
    doc = {"plan": p.to_dict(pharmacist=pharmacist), "calendar": p.calendar(pharmacist=pharmacist)}
    if simulate:
        if not 10 <= simulate <= 2000:
            raise InputError("simulate", "out of range", accepted="10-2000 virtual patients", value=simulate)
        days = sorted({min(p.n_days, 7 * (baseline_weeks + 8)), p.n_days}) if design == "open" else [p.n_days]
        oc = operating_characteristics(
            p.on_ldn(),
            p.expectation(),
            analysis_days=days,
            n=simulate,
            blinded=design == "blinded",
            seed=seed or 0,
        )
        doc["characteristics"] = [
            {
                "weeks": r["weeks"],
                **{
                    k: r["model"][k]
                    for k in (
                        "sensitivity",
                        "specificity",
                        "undecided",
                        "coverage90",
                        "n_responders",
                        "n_nonresponders",
                    )
                },
            }
            for r in oc["by_day"]
        ]
    if save:
        if not patient:
            raise InputError("patient", "--save needs a PATIENT", accepted="a patient pseudonym")
        with open_store(db) as s:
            doc["plan_id"] = s.save_plan(patient, p.to_dict(pharmacist=True))
    doc["disclaimer"] = DISCLAIMER
    if json_out:
        emit_json(doc)
        return
    typer.echo(p.text(pharmacist=pharmacist))
    for c in doc.get("characteristics", []):
        typer.echo(
            f"After {c['weeks']:.0f} weeks ({simulate} virtual patients): "
            f"sensitivity {c['sensitivity']:.0%}, "
            f"specificity {c['specificity']:.0%}, undecided {c['undecided']:.0%}"
        )
    if save:
        typer.echo(f"stored as plan {doc['plan_id']} for {patient}")


@nof1_app.command("analyse")
def analyse(
    patient: str = typer.Argument(..., help="Patient pseudonym."),
    report: Path = typer.Option(None, "--report", help="Write the one-page report (.html or .pdf)."),
    weeks: str = typer.Option(
        "4,8,12", "--weeks", help="Horizons for 'N more weeks would decide it' ('' = skip)."
    ),
    clinic: bool = typer.Option(
        False, "--clinic", help="Pool the benefit prior over the store's (clinician's) patients."
    ),
    clinician: str = typer.Option(None, "--clinician", help="With --clinic: only this clinician's patients."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulation parts."),
    use_nuts: bool = typer.Option(False, "--nuts", help="Also run the full NUTS sampler (extra 'bayes')."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Is LDN working for this patient? Posterior of the benefit, the decision, what more weeks would tell."""
    from ..nof1 import analyse_clinic, analyse_patient, write_report

    try:
        horizons = tuple(int(w) for w in weeks.split(",") if w.strip())
    except ValueError:
        raise InputError("weeks", "not a list of whole weeks", accepted="e.g. 4,8,12", value=weeks) from None
    if any(not 1 <= w <= 52 for w in horizons):
        raise InputError("weeks", "out of range", accepted="1-52 each", value=weeks)
    with open_store(db) as s:
        prior = None
        pooled = None
        if clinic:
            c = analyse_clinic(s, clinician_id=clinician)
            pooled = c["pooled_prior"]
            if pooled.get("pooled"):
                prior = (pooled["mean_nrs"], pooled["sd_nrs"])
        doc, f, series = analyse_patient(s, patient, weeks=horizons, seed=seed, prior_beta=prior)
    if pooled is not None:
        doc["pooled_prior"] = pooled
    if use_nuts:
        from ..nof1.mcmc import nuts

        mc = nuts(series.y, series.on_ldn, series.expect, blinded=series.blinded, seed=seed)
        mc.pop("draws")
        doc["nuts"] = mc
    if report is not None:
        doc["report"] = str(write_report(report, doc, f, series))
    if json_out:
        emit_json(doc)
        return
    from ..nof1.report import _lines

    typer.echo(f"N-of-1 analysis of {patient} ({doc['design']})")
    for line in _lines(doc):
        typer.echo("  " + line)
    for c in doc["caveats"]:
        typer.echo("  caveat: " + c)
    if report is not None:
        typer.echo(f"report: {doc['report']}")
    typer.echo(DISCLAIMER)
