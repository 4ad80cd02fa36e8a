"""``ldnsim calibrate``: Bayesian calibration of the model variants against the published LDN trials."""

from __future__ import annotations

import contextlib
import shlex
import sys
from pathlib import Path
from typing import Any

import typer

from ..errors import InputError
from ._app import app, emit_json, progress_bar


def _stage_lines() -> Any:
    """Off a terminal: one line on stderr when a stage starts and when it ends (stdout stays JSON)."""
    seen: dict[str, int] = {}

    def cb(stage: str, done: int, total: int) -> None:
        if stage not in seen or (done >= total and seen[stage] < total):
            typer.echo(f"calibrate: {stage} {done}/{total}", err=True)
        seen[stage] = done

    return cb


def _progress(enabled: bool):
    if not enabled:
        return None, _stage_lines()
    prog = progress_bar(transient=False)
    tasks: dict[str, Any] = {}

    def cb(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = prog.add_task(stage, total=total)
        prog.update(tasks[stage], completed=done, total=total)

    return prog, cb


def _text(doc: dict) -> str:
    lines = [
        f"Bayesian calibration: {len(doc['variants'])} variants, {doc['seconds']:.0f} s, seed {doc['seed']}"
    ]
    for v, f in doc["variants"].items():
        worst = max(d["r_hat"] for d in f["diagnostics"].values())
        ess = min(d["ess_bulk"] for d in f["diagnostics"].values())
        lines.append(
            f"  {v:28s} max R-hat {worst:.3f}  min bulk ESS {ess:.0f}  divergences {f['divergences']}  "
            f"elpd_loo {f['loo']['elpd_loo']:.2f} (SE {f['loo']['se']:.2f})"
        )
        for n, d in f["diagnostics"].items():
            lines.append(f"      {n:28s} median {d['q50']:.3g}  95% [{d['q2.5']:.3g}, {d['q97.5']:.3g}]")
        if f.get("conflict"):
            c = f["conflict"]
            lines.append(
                f"      TLR4 IC50 prior-data conflict p = {c['p_conflict']:.3f} (data-only median "
                f"10^{c['data_only_median_log10_nM']:.2f} nM)"
            )
    if doc["comparison"]:
        lines.append("PSIS-LOO comparison (elpd difference to the best, SE):")
        for r in doc["comparison"]:
            lines.append(f"  {r['variant']:28s} {r['elpd_diff']:6.2f} ± {r['dse']:.2f}")
    for r in doc.get("occupancy_comparison", []):
        lines.append(
            f"occupancy {r['mechanism']}: {r['occupancy']} vs {r['default_occupancy']} elpd difference "
            f"{r['elpd_diff']:.2f} ± {r['dse']:.2f} (positive: the data favour {r['occupancy']})"
        )
    for r in doc["predictive"]:
        lines.append(
            f"predictive {r['design']} ({r['variant']}) {r['quantity']}: published {r['published']:.3g}, "
            f"95% PI [{r['pi95'][0]:.3g}, {r['pi95'][1]:.3g}], inside: {r['within_pi95']}"
        )
    return "\n".join(lines)


@app.command("calibrate")
def calibrate_cmd(
    variants: str = typer.Option(
        "null,full,tlr4,mu-only,mu-rebound,ogf,mu-rebound+ogf,full/parent-transient,"
        "mu-rebound/parent-transient",
        "--variants",
        help="Comma-separated model variants to calibrate and compare: a mechanism variant "
        "(system/variants.yaml; calibrated with the default occupancy), optionally /occupancy "
        "(occupancy.yaml: mu-rebound/parent-transient).",
    ),
    seed: int = typer.Option(20261206, "--seed", help="Random seed (design, simulator runs, NUTS)."),
    smoke: bool = typer.Option(
        False, "--smoke", help="A seconds-to-minutes configuration (not for shipping)."
    ),
    design_points: int = typer.Option(
        None, "--design-points-per-dim", help="Emulator runs per input dimension."
    ),
    chains: int = typer.Option(None, "--chains", help="NUTS chains (1-16)."),
    warmup: int = typer.Option(None, "--warmup", help="NUTS warm-up iterations per chain."),
    samples: int = typer.Option(None, "--samples", help="NUTS draws per chain."),
    predictive_draws: int = typer.Option(
        None, "--predictive-draws", help="Draws for the predictive check of validation trials (0: skip)."
    ),
    write: bool = typer.Option(False, "--write", help="Write the shipped posterior (ldnsim/data/system/)."),
    out: Path = typer.Option(None, "--out", help="Write posterior.npz/.yaml into this folder instead."),
    figures: Path = typer.Option(
        None, "--figures", help="Write the calibration figures (PNG) into this folder."
    ),
    apply_medians: bool = typer.Option(
        False,
        "--apply-medians",
        help="No run: make the shipped point values the shipped posterior's medians.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Bayesian calibration (GP emulator + NUTS) of model variants against the calibration trials, with
    R-hat/ESS, PSIS-LOO comparison and the posterior-predictive check of the validation trials."""
    try:
        import arviz  # noqa: F401
        import numpyro  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "calibrate",
            f"needs the 'bayes' extra ({exc.name} is not installed)",
            accepted="pip install 'ldnsim[bayes]'",
        ) from None
    if apply_medians:
        from ..calibration.apply import apply_medians as apply

        try:
            done = apply()
        except FileNotFoundError as exc:
            raise InputError("--apply-medians", str(exc)) from None
        if json_out:
            emit_json({"applied": done})
        else:
            typer.echo(f"shipped values set to the posterior medians: {done}")
        return
    from ..calibration import SMOKE, Settings, calibrate
    from ..calibration.spec import load_spec

    names = [v.strip() for v in variants.split(",") if v.strip()]
    over = dict(SMOKE) if smoke else {}
    for k, v in (
        ("design_points_per_dim", design_points),
        ("chains", chains),
        ("warmup", warmup),
        ("samples", samples),
        ("predictive_draws", predictive_draws),
    ):
        if v is not None:
            over[k] = v
    settings = Settings.from_spec(load_spec(), **over)
    if write and out is not None:
        raise InputError("out", "give either --write or --out, not both")
    prog, cb = _progress(not json_out and sys.stderr.isatty())
    with prog if prog is not None else contextlib.nullcontext():
        res = calibrate(names, seed=seed, settings=settings, progress=cb)
    doc = res.to_json()
    written: dict[str, Any] = {}
    command = "ldnsim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    if write or out is not None:
        from ..calibration.store import write_posterior
        from ..data import data_path

        target = data_path("system") if write else out
        written = {k: str(p) for k, p in write_posterior(res, target, command).items()}
    if figures is not None:
        from ..calibration.figures import write_figures

        written["figures"] = [str(p) for p in write_figures(res, figures)]
    doc["written"] = written
    if json_out:
        emit_json(doc)
    else:
        typer.echo(_text(doc))
        for k, p in written.items():
            typer.echo(f"wrote {k}: {p}")
