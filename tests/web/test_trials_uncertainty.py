"""The web trial page's "include the uncertainty" option: the background job runs the posterior predictive
and what each hypothesis predicts (the code path of ``ldnsim demo``) and the report shows both; off, the
report says the table was not run; Crohn's/MS designs refuse it with a 400 naming the field.

The trial layer runs on the TEST DOUBLE of the model (tests/trials/fake_model.py), so the jobs are fast."""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ldnsim.trials.uncertainty import DEMO_DRAWS, DEMO_REPLICATES_PER_DRAW
from ldnsim.web.app import create_app

_FAKE = Path(__file__).parents[1] / "trials" / "fake_model.py"


@pytest.fixture
def fake_model(monkeypatch):
    """The trial layer's model replaced with the TEST DOUBLE (as tests/trials/conftest.py does)."""
    spec = importlib.util.spec_from_file_location("ldnsim_test_fake_model", _FAKE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from ldnsim.trials import model as trial_model

    monkeypatch.setattr(trial_model, "SIMULATE", mod.fake_simulate)


@pytest.fixture(scope="module")
def app():
    return create_app(allowed_hosts=("testserver",), secure_cookies=False, trial_workers=1)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _csrf(client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/trials").text).group(1)


def _stages_recorded(app, monkeypatch) -> list[str]:
    """Every progress stage the next jobs report, in order (the queue's own callback is still called)."""
    stages: list[str] = []
    submit = app.state.jobs.submit

    def recording(title, fn):
        def wrapped(progress):
            def p(done, total, stage=""):
                stages.append(stage)
                progress(done, total, stage)

            return fn(p)

        return submit(title, wrapped)

    monkeypatch.setattr(app.state.jobs, "submit", recording)
    return stages


def _run(client, app, **fields) -> tuple[str, str]:
    """POST the form, wait for the job, return (its title, its report HTML)."""
    data = {"csrf": _csrf(client), "preset": "younger2013", "design_yaml": "", "patients": "12",
            "replicates": "1", "seed": "3", **fields}
    r = client.post("/trials", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    job_id = r.headers["location"].rsplit("/", 1)[1]
    job = app.state.jobs.get(job_id)
    for _ in range(1200):
        if job.state in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job.state == "done", job.error
    page = client.get(f"/trials/jobs/{job_id}").text
    assert "Open the report" in page
    report = client.get(f"/trials/jobs/{job_id}/report")
    assert report.status_code == 200
    return job.title, report.text


def test_the_form_offers_the_option_ticked_and_names_the_disease_designs(client):
    html = client.get("/trials").text
    box = re.search(r'<input type="checkbox" id="uncertainty"[^>]*>', html)
    assert box is not None and " checked" in box.group(0)  # the first preset is a pain design
    diseases = re.search(r'data-disease-presets="([^"]*)"', box.group(0)).group(1).split()
    assert "smith2011" in diseases and "younger2013" not in diseases and "younger2009" not in diseases


def test_with_the_option_the_report_has_the_posterior_and_the_hypotheses(client, app, fake_model,
                                                                           monkeypatch):
    stages = _stages_recorded(app, monkeypatch)
    title, html = _run(client, app, uncertainty="on")
    assert f"{DEMO_DRAWS} draws × {DEMO_REPLICATES_PER_DRAW} trials" in title
    assert '<section id="posterior">' in html and "95% predictive interval" in html
    # the draws and trials per draw are the demo's (the posterior section states them)
    assert f"{DEMO_DRAWS} parameter draws × {DEMO_REPLICATES_PER_DRAW} trials of this design" in html
    assert "What each hypothesis predicts for this design" in html
    for v in ("null", "full", "full-potent-tlr4", "mu-rebound"):
        assert f"<tr><td><code>{v}</code></td>" in html
    assert "was not run for this report" not in html
    # the progress bar named the four steps, in order, and counted the draws
    steps = [s.split(",")[0] for s in stages]
    order = [s for k, s in enumerate(steps) if k == 0 or s != steps[k - 1]]
    assert order == ["step 1 of 4", "step 2 of 4", "step 3 of 4", "step 4 of 4"], order
    assert stages[-2] == "step 3 of 4, posterior-predictive draws: draw" and stages[-1].startswith("step 4")
    assert any("what each hypothesis predicts: mu-rebound" in s for s in stages)


def test_without_the_option_the_report_says_the_table_was_not_run(client, app, fake_model, monkeypatch):
    stages = _stages_recorded(app, monkeypatch)
    title, html = _run(client, app)  # an unticked checkbox is not sent
    assert "uncertainty" not in title
    assert '<section id="posterior">' not in html and '<h3 id="hypotheses">' not in html
    assert "was not run for this report" in html and "include the uncertainty" in html
    assert stages[-1] == "step 2 of 2, writing the report"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"preset": "smith2011", "uncertainty": "on"}, "Crohn"),  # refused before a job starts
        ({"preset": "younger2013", "uncertainty": "maybe"}, "not a checkbox value"),
    ],
)
def test_bad_or_inapplicable_option_is_400_naming_the_field(client, app, data, message):
    before = len(app.state.jobs.list())
    r = client.post("/trials", data={"csrf": _csrf(client), "design_yaml": "", **data})
    assert r.status_code == 400, r.text[:300]
    assert "uncertainty" in r.text and message in r.text
    assert len(app.state.jobs.list()) == before  # no job was queued
