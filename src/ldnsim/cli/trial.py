"""``ldnsim trial`` (virtual clinical trials) and ``ldnsim demo`` (the Younger 2013 trial with its report)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json


def _progress(enabled: bool):
    """A rich progress bar on stderr (None when disabled)."""
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    state: dict = {}

    def cb(stage: str, done: int, total: int) -> None:
        if "task" not in state:
            state["task"] = prog.add_task("model runs", total=total)
        prog.update(state["task"], completed=done, total=total, description=f"model: {stage}")

    return prog, cb


def _run(design: str, patients, replicates, seed, variant, engine, show_progress: bool):
    from ..trials.run import run_trial

    prog, cb = _progress(show_progress)
    if prog is None:
        return run_trial(
            design, patients=patients, replicates=replicates, seed=seed, variant=variant, engine=engine
        )
    with prog:
        return run_trial(
            design,
            patients=patients,
            replicates=replicates,
            seed=seed,
            variant=variant,
            engine=engine,
            progress=cb,
        )


def _check_engine(engine: str | None) -> None:
    if engine is None:
        return
    from ..engines import available_engines

    known = list(available_engines())
    if engine not in known:
        raise InputError("engine", "unknown or unavailable engine", accepted=", ".join(known), value=engine)


def _print_human(summary: dict) -> None:
    d = summary["design"]
    typer.echo(
        f"{d['title'] or d['name']} — {d['patients']} patients × {d['replicates']} trials, seed {d['seed']}, "
        f"variant {d['variant']}"
    )
    for name, a in summary["arms"].items():
        pr = a.get("pct_reduction_mean")
        rr = a.get("responder_rate")
        typer.echo(
            f"  {name:>10}: n={a['n']:<4} % reduction {pr if pr is None else round(pr, 1)}  "
            f"responders {rr if rr is None else round(rr, 2)}"
        )
    for c in summary.get("contrasts", []):
        typer.echo(
            f"  {c['a']} − {c['b']} ({c['endpoint']}): {c['difference']:.3g} 95% CI "
            f"[{c['ci95'][0]:.3g}, {c['ci95'][1]:.3g}] p={c['p_value']:.3g}"
        )
    rep = summary["replicates"]
    if summary.get("dose_finding"):
        df = summary["dose_finding"]
        typer.echo(f"  ED50 median {df['ed50_mg_median']:.2f} mg over {rep['n']} trials")
    elif rep.get("power") is not None:
        typer.echo(f"  power over {rep['n']} trials: {rep['power']:.2f}")
    def _g(x: object) -> str:
        return f"{x:.3g}" if isinstance(x, int | float) else "n/a"

    for c in summary.get("comparison", []):
        verdict = {True: "within", False: "OUTSIDE", None: "no tolerance"}[c["within"]]
        typer.echo(
            f"  vs published {c['quantity']}: simulated {_g(c['simulated'])} published {_g(c['published'])} "
            f"(±{_g(c['tolerance'])}) {verdict}"
        )
    typer.echo(DISCLAIMER)


@app.command("trial")
def trial(
    design: str = typer.Argument(
        ..., help="Preset (younger2009, younger2013, bruun-plesner2020) or a design YAML."
    ),
    patients: int = typer.Option(None, "--patients", help="Patients per trial (default: the design's)."),
    replicates: int = typer.Option(
        None, "--replicates", help="Replicate virtual trials (default: the design's)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same numbers."),
    variant: str = typer.Option("full", "--variant", help="Model variant: full or mu-only."),
    engine: str = typer.Option(None, "--engine", help="Simulation engine (default: the model's default)."),
    report: Path = typer.Option(None, "--report", help="Write a self-contained HTML report to this file."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Run a virtual clinical trial of a design and compare it with the published result."""
    _check_engine(engine)
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise InputError("--report", "must be an .html file", value=str(report))
    res = _run(
        design,
        patients,
        replicates,
        seed,
        variant,
        engine,
        show_progress=not json_out and sys.stderr.isatty(),
    )
    if report is not None:
        from ..trials.report import write_report

        extra = {}
        if variant == "full":
            from ..trials.run import run_trial

            mu = run_trial(
                res.design,
                patients=patients,
                replicates=min(res.summary["design"]["replicates"], 5),
                seed=seed,
                variant="mu-only",
                engine=engine,
            )
            extra["mu_only"] = mu.summary
        write_report(res, report, extra)
        res.summary["report"] = str(report)
    if json_out:
        emit_json(res.summary)
    else:
        _print_human(res.summary)
        if report is not None:
            typer.echo(f"report: {report}")


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the report and JSON."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Run the Younger 2013 virtual trial; write OUT/younger2013_report.html and OUT/younger2013.json."""
    from ..trials.report import write_report
    from ..trials.run import run_trial

    out.mkdir(parents=True, exist_ok=True)
    res = _run(
        "younger2013", None, None, seed, "full", None, show_progress=not json_out and sys.stderr.isatty()
    )
    mu = run_trial(res.design, replicates=5, seed=seed, variant="mu-only")
    html_path = out / "younger2013_report.html"
    json_path = out / "younger2013.json"
    write_report(res, html_path, {"mu_only": mu.summary})
    from ._app import _to_jsonable

    json_path.write_text(
        json.dumps(_to_jsonable(res.summary), ensure_ascii=False, allow_nan=False, indent=1) + "\n",
        encoding="utf-8",
    )
    if json_out:
        emit_json(
            {
                "report": str(html_path),
                "json": str(json_path),
                "arms": res.summary["arms"],
                "comparison": res.summary["comparison"],
                "disclaimer": DISCLAIMER,
            }
        )
    else:
        _print_human(res.summary)
        typer.echo(f"report: {html_path}")
        typer.echo(f"json:   {json_path}")
