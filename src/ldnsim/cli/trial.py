"""``ldnsim trial`` (virtual clinical trials) and ``ldnsim demo`` (the Younger 2013 trial with its report)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer

from ..errors import InputError

# the demo's posterior predictive (20 draws × 2 trials), defined with the shared code path; re-exported
from ..trials.uncertainty import DEMO_DRAWS, DEMO_REPLICATES_PER_DRAW  # noqa: F401
from ._app import DISCLAIMER, app, emit_json, progress_bar


def _progress(enabled: bool):
    """A rich progress bar on stderr (None when disabled) and a factory of callbacks: ``make(label)`` gives
    a ``callback(stage, done, total)`` with its own task line (the trial, the hypotheses, the draws)."""
    if not enabled:
        return None, lambda label: None
    prog = progress_bar(transient=True)

    def make(label: str):
        state: dict = {}

        def cb(stage: str, done: int, total: int) -> None:
            if "task" not in state:
                state["task"] = prog.add_task(label, total=total)
            prog.update(state["task"], completed=done, total=total, description=f"{label}: {stage}")

        return cb

    return prog, make


def _bar(prog):
    return prog if prog is not None else contextlib.nullcontext()  # one call, with or without a bar


def _run(design: str, patients, replicates, seed, variant, engine, show_progress: bool):
    from ..trials.run import run_trial

    prog, make = _progress(show_progress)
    with _bar(prog):
        return run_trial(
            design,
            patients=patients,
            replicates=replicates,
            seed=seed,
            variant=variant,
            engine=engine,
            progress=make("model runs"),
        )


def _check_engine(engine: str | None) -> None:
    if engine is None:
        return
    from ..engines import available_engines

    known = list(available_engines())
    if engine not in known:
        raise InputError("engine", "unknown or unavailable engine", accepted=", ".join(known), value=engine)


def _g(x: object) -> str:
    return f"{x:.3g}" if isinstance(x, int | float) else "n/a"


def render_text(res) -> str:
    """The human-readable summary of a :class:`~ldnsim.trials.results.TrialResult`."""
    d, run = res.design, res.run
    lines = [
        f"{d.title or d.name} — {run.patients} patients × {run.replicates} trials, seed {run.seed}, "
        f"variant {run.variant}"
    ]
    m = res.model
    if m is not None:  # which model and parameter set (the JSON "model" block)
        ic50 = f"; TLR4 IC50 {m.tlr4_ic50_nM:.4g} nM" if m.tlr4_ic50_nM is not None else ""
        which = "shipped default" if m.shipped_default else "NOT the shipped default"
        lines.append(f"  model {m.variant} ({which}): {m.values}{ic50}; ldnsim {m.version}")
    for name, a in res.arms.items():
        if d.is_disease():  # Crohn's / MS: every endpoint on its own scale
            vals = "  ".join(f"{k} {_g(v)}" for k, v in a.endpoints.items())
            lines.append(f"  {name:>10}: n={a.n:<4} {vals}")
            continue
        pr, rr = a.pct_reduction_mean, a.responder_rate
        lines.append(
            f"  {name:>10}: n={a.n:<4} % reduction {pr if pr is None else round(pr, 1)}  "
            f"responders {rr if rr is None else round(rr, 2)}"
        )
    for c in res.contrasts:
        lines.append(
            f"  {c.a} − {c.b} ({c.endpoint}): {_g(c.difference)} 95% CI [{_g(c.ci95[0])}, {_g(c.ci95[1])}] "
            f"p={_g(c.p_value)}"
        )
    rep = res.replicates
    if res.dose_finding is not None:
        df = res.dose_finding
        lines.append(f"  ED50 median {_g(df.ed50_mg_median)} mg over {rep.n} trials")
        if not df.ed50_identifiable:
            lines.append(f"  population ED50: {df.ed50_note}")
    elif rep.power is not None:
        lines.append(f"  power over {rep.n} trials: {rep.power:.2f}")
    for c in res.comparison:
        verdict = {True: "within", False: "OUTSIDE", None: "no tolerance"}[c.within]
        if c.kind == "difference":
            lo, hi = c.simulated_ci95 or (None, None)
            lines.append(
                f"  vs published {c.quantity}: simulated {_g(c.simulated)} (trials 2.5-97.5% "
                f"[{_g(lo)}, {_g(hi)}]) published {_g(c.published)} {verdict}"
            )
        elif c.kind == "direction":
            lines.append(f"  vs published {c.quantity}: simulated {_g(c.simulated)} published direction "
                         f"{c.published} {verdict if c.within is not None else 'n/a'}")
        elif c.kind == "ci_width":
            lines.append(
                f"  vs published {c.quantity}: simulated {_g(c.simulated)} published {_g(c.published)} "
                f"{verdict}"
            )
        else:
            lines.append(
                f"  vs published {c.quantity}: simulated {_g(c.simulated)} published {_g(c.published)} "
                f"(±{_g(c.tolerance)}) {verdict}"
            )
    lines.append(DISCLAIMER)
    return "\n".join(lines)


def render_posterior_text(post) -> str:
    """Human-readable predictive distributions of a :class:`~ldnsim.trials.posterior.PosteriorResult`."""
    import numpy as np  # lazy: `ldnsim check` and the other commands start without numpy

    def pi(p) -> str:
        if p.n == 0:
            return "n/a"
        lo, hi = p.interval(0.95)
        return f"median {_g(float(np.median(p.values)))} (95% PI {_g(lo)} to {_g(hi)})"

    lines = [f"posterior predictive over {post.draws} parameter draws × {post.replicates_per_draw} trials "
             f"({post.kind.split(':')[0]})"]
    for arm, qs in post.arms.items():
        for k, p in qs.items():
            lines.append(f"  {arm} {k}: {pi(p)}")
    for c in post.contrasts:
        lines.append(f"  {c['a']} − {c['b']} ({c['endpoint']}): {pi(c['difference'])}; "
                     f"P(significant) {_g(c['power'])}")
    for r in post.comparison:
        v = {True: "inside", False: "OUTSIDE", None: "n/a"}[r["within_pi95"]]
        lines.append(
            f"  published {r['quantity']} {_g(r['published'])}: {v} the 95% PI, predictive percentile "
            f"{_g(r['predictive_percentile'])}"
        )
    return "\n".join(lines)


def render_hypotheses_text(tab) -> str:
    """Human-readable :class:`~ldnsim.trials.hypotheses.HypothesisTable` (point-value runs per hypothesis)."""
    pub = _g(tab.published) if tab.published is not None else "n/a"
    lines = [f"what each hypothesis predicts ({tab.a} − {tab.b} % reduction, point values, mean of "
             f"{tab.replicates} trials; published {pub}):"]
    for r in tab.rows:
        lines.append(f"  {r.variant:>17}: {_g(r.difference)}")
    return "\n".join(lines)


@app.command("trial")
def trial(
    design: str = typer.Argument(
        ..., help="Preset (younger2009, younger2013, bruun-plesner2020, bruun2024, smith2011, cree2010, "
        "lie2018, gironi2008, crohns-placebo-reference) or a design YAML."
    ),
    patients: int = typer.Option(None, "--patients", help="Patients per trial (default: the design's)."),
    replicates: int = typer.Option(
        None, "--replicates", help="Replicate virtual trials (default: the design's)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same numbers."),
    variant: str = typer.Option(
        "full", "--variant", help="Model variant: a mechanism (full, mu-only, null, tlr4, mu-rebound, ogf, "
        "mu-rebound+ogf), optionally /occupancy (metabolite-sustained, the default, or parent-transient)."),
    engine: str = typer.Option(None, "--engine", help="Simulation engine (default: the model's default)."),
    report: Path = typer.Option(None, "--report", help="Write a self-contained HTML report to this file."),
    posterior: bool = typer.Option(
        False, "--posterior", help="Also the predictive distribution of every result over parameter draws."
    ),
    draws: int = typer.Option(20, "--draws", help="Parameter draws for --posterior (2-1000)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Run a virtual clinical trial of a design and compare it with the published result."""
    _check_engine(engine)
    if report is not None:  # before the run: a bad path fails fast, and no folder is created
        from .._io import check_output_path

        report = check_output_path(report, "--report", (".html", ".htm"))
    from ..trials.posterior import MAX_DRAWS

    if posterior and not 2 <= draws <= MAX_DRAWS:
        raise InputError("--draws", "number of parameter draws out of range", accepted=f"2-{MAX_DRAWS}",
                         value=draws)
    if posterior:
        from ..trials.design import load_design
        from ..trials.uncertainty import check_posterior_applies

        check_posterior_applies(load_design(design), "--posterior")
    res = _run(
        design,
        patients,
        replicates,
        seed,
        variant,
        engine,
        show_progress=not json_out and sys.stderr.isatty(),
    )
    prog, make = _progress(not json_out and sys.stderr.isatty())
    from ..trials.uncertainty import run_uncertainty

    with _bar(prog):
        # the posterior predictive when asked; what each hypothesis predicts for the report (pain designs
        # with a % reduction contrast; None otherwise): the same code path as `ldnsim demo` and the web page
        unc = run_uncertainty(res.design, trial_replicates=res.run.replicates, seed=seed, patients=patients,
                              variant=variant, engine=engine, posterior=posterior,
                              hypotheses=report is not None, draws=draws, replicates_per_draw=replicates,
                              progress=make)
    post, hyp = unc.get("posterior"), unc.get("hypotheses")
    if report is not None:
        from ..trials.report import write_report

        extra: dict = {"posterior": post, "hypotheses": hyp}
        write_report(res, report, extra)
    if json_out:
        doc = res.to_json()
        if post is not None:
            doc["posterior"] = post.to_json()
        if hyp is not None:
            doc["hypotheses"] = hyp.to_json()
        if report is not None:
            doc["report"] = str(report)
        emit_json(doc)
    else:
        typer.echo(render_text(res))
        if post is not None:
            typer.echo(render_posterior_text(post))
        if report is not None:
            typer.echo(f"report: {report}")


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the report and JSON."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Run the Younger 2013 virtual trial, what each model hypothesis predicts for it and its posterior
    predictive; write OUT/younger2013_report.html and OUT/younger2013.json."""
    from .._io import atomic_write_text
    from ..trials.report import write_report
    from ..trials.run import run_trial
    from ..trials.uncertainty import run_uncertainty

    if not out.parent.is_dir():  # --out itself is created (the user asked for it), never its parents
        raise InputError("--out", "parent folder does not exist (ldnsim does not create it)", value=str(out))
    try:
        out.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError("--out", f"cannot create folder: {exc.strerror}", value=str(out)) from None
    prog, make = _progress(not json_out and sys.stderr.isatty())
    with _bar(prog):
        res = run_trial("younger2013", seed=seed, progress=make("Younger 2013 trial"))
        unc = run_uncertainty(res.design, trial_replicates=res.run.replicates, seed=seed, progress=make)
    hyp, post = unc["hypotheses"], unc["posterior"]
    html_path = out / "younger2013_report.html"
    json_path = out / "younger2013.json"
    write_report(res, html_path, {"hypotheses": hyp, "posterior": post})
    from ._app import _to_jsonable

    doc = res.to_json()
    doc["hypotheses"] = hyp.to_json() if hyp is not None else None
    doc["posterior"] = post.to_json()
    atomic_write_text(
        json_path, json.dumps(_to_jsonable(doc), ensure_ascii=False, allow_nan=False, indent=1) + "\n"
    )
    if json_out:
        emit_json(
            {
                "report": str(html_path),
                "json": str(json_path),
                "arms": doc["arms"],
                "comparison": doc["comparison"],
                "hypotheses": doc["hypotheses"],
                "posterior": {k: doc["posterior"][k]
                              for k in ("draws", "replicates_per_draw", "trials", "kind", "comparison")},
                "disclaimer": DISCLAIMER,
            }
        )
    else:
        typer.echo(render_text(res))
        if hyp is not None:
            typer.echo(render_hypotheses_text(hyp))
        typer.echo(render_posterior_text(post))
        typer.echo(f"report: {html_path}")
        typer.echo(f"json:   {json_path}")
