"""Virtual trials page: pick a published design or edit one (form + YAML), run it off the request in the
app's job queue, watch its progress (htmx polling), open the report and compare two runs.

The run is :func:`ldnsim.trials.run.run_trial`; the report is :func:`ldnsim.trials.report.render_report`
(the same self-contained HTML as ``ldnsim trial --report``). With "include the uncertainty" ticked (pain
designs; the default) the same job also runs :func:`ldnsim.trials.uncertainty.run_uncertainty`, the code
path of ``ldnsim demo``: the posterior predictive (20 draws × 2 trials) and what each hypothesis predicts.
Web runs are bounded (patients, replicates) so one user cannot occupy the machine; the queue refuses new
runs when full (HTTP 503).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..errors import InputError
from ..trials.design import PRESETS, TrialDesign, design_from_dict, preset_path
from ..trials.uncertainty import DEMO_DRAWS, DEMO_REPLICATES_PER_DRAW
from .forms import checkbox, form_with_csrf, opt_int
from .jobs import QueueFull
from .render import render

__all__ = ["router", "parse_design", "MAX_PATIENTS", "MAX_REPLICATES"]

router = APIRouter()
MAX_PATIENTS = 400
MAX_REPLICATES = 20
MAX_YAML = 100_000
#: the report's own inline CSS and data-URI plots, nothing else (no script runs in it)
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
)


@functools.cache
def _preset_yaml() -> dict[str, str]:
    """The packaged preset designs as YAML text, read once per process (they are package data; GET /trials
    read every file twice per request). Callers only read the dict."""
    return {name: preset_path(name).read_text(encoding="utf-8") for name in PRESETS}


def parse_design(text: str) -> TrialDesign:
    """A design from YAML text: bounded size, no anchors/aliases (no 'billion laughs'), validated fields."""
    if len(text) > MAX_YAML:
        raise InputError("design_yaml", "too long", accepted=f"at most {MAX_YAML} characters")
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                raise InputError("design_yaml", "YAML anchors and aliases are not accepted here")
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InputError("design_yaml", f"not valid YAML{where}") from None
    except RecursionError:
        raise InputError("design_yaml", "nested too deeply") from None
    return design_from_dict(doc, source="design_yaml")


def _form_defaults() -> dict:
    first = next(iter(PRESETS))
    return {
        "preset": first,
        "patients": "40",
        "replicates": "2",
        "seed": "0",
        "variant": "full",
        "uncertainty": not _disease_presets().get(first, False),
        "design_yaml": _preset_yaml()[first],
    }


@functools.cache
def _disease_presets() -> dict[str, bool]:
    """Preset name → True for a Crohn's/MS design (no posterior predictive; the form disables the option)."""
    return {name: parse_design(text).is_disease() for name, text in _preset_yaml().items()}


@router.get("/trials")
def trials_form(request: Request):
    jobs = request.app.state.jobs.list()
    return render(
        request,
        "trials.html",
        {
            "form": _form_defaults(),
            "presets": _preset_yaml(),
            "disease_presets": [k for k, v in _disease_presets().items() if v],
            "demo_draws": DEMO_DRAWS,
            "demo_replicates": DEMO_REPLICATES_PER_DRAW,
            "jobs": jobs,
            "max_patients": MAX_PATIENTS,
            "max_replicates": MAX_REPLICATES,
        },
    )


@router.post("/trials")
async def trials_submit(request: Request):
    from ..trials.report import render_report
    from ..trials.run import run_trial
    from ..trials.uncertainty import check_posterior_applies, run_uncertainty

    form = await form_with_csrf(request)
    text = str(form.get("design_yaml") or "")
    preset = str(form.get("preset") or "")
    design = parse_design(text) if text.strip() else None
    if design is None:
        if preset not in PRESETS:
            raise InputError("preset", "unknown design", accepted=", ".join(PRESETS), value=preset)
        design = parse_design(_preset_yaml()[preset])
    patients = opt_int(form, "patients", 4, MAX_PATIENTS, "patients per trial")
    replicates = opt_int(form, "replicates", 1, MAX_REPLICATES, "trials")
    seed = opt_int(form, "seed", 0, 2**31 - 1) or 0
    variant = str(form.get("variant") or "full")
    if variant not in ("full", "mu-only"):
        raise InputError("variant", "unknown model variant", accepted="full, mu-only", value=variant)
    if design.is_disease() and variant != "full":  # refused before the job starts: a 4xx, not a failed run
        raise InputError("variant", f"pain-model variants do not apply to condition {design.condition!r}",
                         accepted="full", value=variant)
    uncertainty = checkbox(form, "uncertainty")
    if uncertainty:  # Crohn's/MS: refused before the job starts (the form disables the box for them)
        check_posterior_applies(design, "uncertainty")
    patients = patients or min(design.patients, MAX_PATIENTS)
    replicates = replicates or min(design.replicates, MAX_REPLICATES)
    steps = 4 if uncertainty else 2

    def work(progress: Callable[[int, int, str], None]) -> dict:
        def stage(k: int, label: str) -> Callable[[str, int, int], None]:
            """A callback for step ``k`` of ``steps``: the bar shows this step's own fraction and its name."""
            return lambda what, done, total: progress(done, total, f"step {k} of {steps}, {label}: {what}")

        res = run_trial(design, patients=patients, replicates=replicates, seed=seed, variant=variant,
                        progress=stage(1, "the trial"))
        extra: dict = {}
        if uncertainty:
            labels = {"hypotheses": (2, "what each hypothesis predicts"),
                      "posterior draws": (3, "posterior-predictive draws")}
            extra = run_uncertainty(res.design, trial_replicates=res.run.replicates, seed=seed,
                                    patients=patients, variant=variant,
                                    progress=lambda label: stage(*labels[label]))
        progress(1, 1, f"step {steps} of {steps}, writing the report")
        return {"summary": res.summary, "html": render_report(res, extra)}

    title = f"{design.name}: {patients} patients × {replicates} trials, seed {seed}, {variant}"
    if uncertainty:
        title += f", with uncertainty ({DEMO_DRAWS} draws × {DEMO_REPLICATES_PER_DRAW} trials)"
    try:
        job = request.app.state.jobs.submit(title, work)
    except QueueFull as exc:
        return render(request, "error.html", {"title": "Busy", "message": str(exc)}, 503)
    return RedirectResponse(f"/trials/jobs/{job.id}", status_code=303)


_GONE = (
    "No such run. Runs are kept in this server's memory only, so a server restart clears them; run the "
    "design again (the same seed gives the same result) or download the report when a run finishes."
)


def _job(request: Request, job_id: str):
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise InputError("job", "no such run (runs are kept while the server runs)", value=job_id)
    return job


def _render_job(request: Request, job_id: str, template: str):
    """The job's page or fragment, or a 404 page when the run is unknown."""
    job = request.app.state.jobs.get(job_id)
    if job is None:
        return render(request, "error.html", {"title": "Not found", "message": _GONE}, 404)
    return render(request, template, {"job": job})


@router.get("/trials/jobs/{job_id}")
def job_page(request: Request, job_id: str):
    return _render_job(request, job_id, "trial_job.html")


@router.get("/trials/jobs/{job_id}/status")
def job_status(request: Request, job_id: str):
    return _render_job(request, job_id, "_job_status.html")


@router.get("/trials/jobs/{job_id}/report")
def job_report(request: Request, job_id: str):
    job = request.app.state.jobs.get(job_id)
    if job is None or job.state != "done":
        return render(request, "error.html", {"title": "Not found", "message": "No finished run."}, 404)
    return HTMLResponse(job.result["html"], headers={"content-security-policy": REPORT_CSP})


@router.get("/trials/compare")
def compare(request: Request, a: str = "", b: str = ""):
    jobs = [request.app.state.jobs.get(x) for x in (a, b)]
    if any(j is None or j.state != "done" for j in jobs):
        raise InputError("a, b", "pick two finished runs to compare")
    rows: dict[str, list] = {}
    for k, j in enumerate(jobs):
        for c in j.result["summary"].get("comparison", []):
            rows.setdefault(c["quantity"], [None, None, c.get("published")])[k] = c.get("simulated")
    reps = [j.result["summary"]["replicates"] for j in jobs]
    return render(request, "trial_compare.html", {"jobs": jobs, "rows": rows, "reps": reps})
