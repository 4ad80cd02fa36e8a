"""``ldnsim population-trial``: parallel arms of millions of virtual patients in O(chunk) memory."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json
from .trial import _check_engine


@app.command("population-trial")
def population_trial(
    patients: int = typer.Option(10_000, "--patients", help="Virtual patients per arm (1-100,000,000)."),
    days: int = typer.Option(84, "--days", help="Trial length in days (2-3650)."),
    condition: str = typer.Option("fibromyalgia", "--condition", help="Condition preset."),
    arm: list[str] = typer.Option(
        None, "--arm", help='An arm as NAME=REGIMEN, repeatable; the first is the control; "placebo=" is '
        'untreated. Default: untreated vs "naltrexone 4.5 mg nightly".'),
    engine: str = typer.Option("numpy", "--engine", help="numpy | jax | dask"),
    seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same numbers."),
    paired: bool = typer.Option(False, "--paired", help="The same virtual patients in every arm."),
    variant: str = typer.Option(
        "full", "--variant", help="Model variant: a mechanism (full, mu-only, null, tlr4, mu-rebound, ogf, "
        "mu-rebound+ogf), optionally /occupancy (metabolite-sustained, the default, or parent-transient)."),
    n_sub: int = typer.Option(24, "--n-sub", help="Driver samples per day (2, 4, 6, 8, 12, 24): fewer is "
                              "faster; 6 keeps daily pain within 0.05 NRS of 1-h steps (docs/engines.md)."),
    plot: Path = typer.Option(None, "--plot", help="PNG: daily pain per arm, final-pain quartiles."),
    pk_iiv: bool = typer.Option(False, "--pk-iiv", help="Also sample PK random effects (drug-file CVs)."),
    progress: bool = typer.Option(
        None, "--progress/--no-progress", help="Progress on stderr (default: a bar on a terminal without "
        "--json); off a terminal, a line every 5% with the time left."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Population-scale trial of the mechanistic model: per-arm change in pain, responders, differences
    with 95% CIs, daily population pain — streamed, so memory does not grow with the number of patients."""
    from ..trials.population import parse_arm, run_population_trial

    _check_engine(engine)
    from ..data.parameter_set import split_variant

    try:
        split_variant(variant)
    except InputError as exc:
        raise InputError("--variant", exc.problem, accepted=exc.accepted, value=variant) from None
    if plot is not None:  # before the run: a bad path fails fast, and no folder is created
        from .._io import check_output_path

        plot = check_output_path(plot, "--plot", (".png",))
    arms = [parse_arm(a) for a in arm] if arm else None
    show = (not json_out and sys.stderr.isatty()) if progress is None else progress
    res = run_population_trial(arms, condition, patients, days, engine=engine, seed=seed, paired=paired,
                               variant=variant, n_sub=n_sub, pk_iiv=pk_iiv, progress=show)
    if plot is not None:
        res.plot(plot)
    doc = res.to_dict()
    if plot is not None:
        doc["plot"] = str(plot)
    if json_out:
        emit_json(doc)
        return
    typer.echo(f"{res.condition}: {len(res.arms)} arms × {patients:,} patients × {days} days "
               f"on {res.engine} ({res.wall_s:.1f} s, {res.patient_years_per_s:,.0f} patient-years/s, "
               f"peak RSS {res.peak_rss_mib:,.0f} MiB)")
    for name, a in res.arms.items():
        typer.echo(f"  {name:<16} baseline {a['baseline_pain']['mean']:.2f}  "
                   f"final {a['final_pain']['mean']:.2f} "
                   f"(median {a['final_pain']['median']:.2f})  change {a['change']['mean']:+.2f} "
                   f"({a['percent_change_mean']:+.1f}%)  responders≥30% {a['responder_rate_30']:.1%}")
    for label, c in res.comparisons.items():
        d = c["difference_in_change"]
        r = c["difference_in_responder_rate_30"]
        nnt = f", NNT {c['nnt_30']:.1f}" if c["nnt_30"] else ""
        typer.echo(f"  {label}: change {d['estimate']:+.3f} NRS (95% CI {d['ci95'][0]:+.3f} to "
                   f"{d['ci95'][1]:+.3f}); responders {r['estimate']:+.1%}{nnt}")
    if plot is not None:
        typer.echo(f"plot: {plot}")
    typer.echo("Model pain without placebo response or diary noise (ldnsim trial adds those). " + DISCLAIMER)
