"""Web fixtures: a real uvicorn server on a free localhost port, and headless Debian chromium.

Browser tests are marked ``browser`` and skip only when chromium is not installed
(``make browser`` installs it). Accessibility is checked with the vendored axe-core (tests only).
"""

from __future__ import annotations

import datetime
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from ldnsim.web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(__file__).with_name("axe.min.js")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(400):
            if self.server.started:
                return self
            time.sleep(0.025)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


PASSWORD = "correct horse battery"


def seed_diary(store, pid: str, *, clinician_id: str, amplitude: float, days: int = 40) -> None:
    """``days`` diary days ending 3 days ago: two weeks at pain ~7 off LDN, then LDN 4.5 mg with pain
    falling by ``amplitude`` NRS points over 10 days (a fixed wobble of +-1, no randomness)."""
    start = datetime.date.today() - datetime.timedelta(days=days + 2)
    store.add_patient(
        pid, clinician_id=clinician_id, ldn_start=(start + datetime.timedelta(days=14)).isoformat()
    )
    for k in range(days):
        on = k >= 14
        pain = 7 - (amplitude * min(1.0, (k - 14) / 10) if on else 0) + (k % 3 == 0) - (k % 5 == 0)
        store.add_entry(
            pid,
            {
                "date": (start + datetime.timedelta(days=k)).isoformat(),
                "pain_avg": round(pain),
                "dose_mg": 4.5 if on else None,
            },
        )


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app as ``ldnsim serve`` builds it (Secure cookies, localhost hosts), on a free port, with a diary
    holding patients PA (clinician dr-x) and PB, and accounts ann (PA), bob (PB), drx (clinician dr-x)."""
    tmp = tmp_path_factory.mktemp("web")
    app = create_app(
        trial_workers=1, diary_url=str(tmp / "diary.sqlite"), accounts_url=f"sqlite:///{tmp}/accounts.sqlite"
    )
    seed_diary(app.state.diary, "PA", clinician_id="dr-x", amplitude=4.0, days=40)
    app.state.diary.add_patient("PB", clinician_id="dr-y")
    app.state.accounts.add("ann", PASSWORD, "patient", patient_id="PA")
    app.state.accounts.add("bob", PASSWORD, "patient", patient_id="PB")
    app.state.accounts.add("drx", PASSWORD, "clinician", clinician_id="dr-x")
    with LiveServer(app) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian chromium not installed (make browser installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, live_app):
    """A fresh context (own cookies) in New York time; network limited to the app (no CDN can be used)."""
    ctx = browser.new_context(
        timezone_id="America/New_York", locale="en-US", viewport={"width": 1280, "height": 900}
    )
    outside: list[str] = []

    def only_local(route):
        if not route.request.url.startswith(live_app.url):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    ctx.route("**/*", only_local)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.base = live_app.url
    yield pg
    ctx.close()
    assert outside == [], f"the page asked for outside resources: {outside}"
    assert not [e for e in errors if "Content Security Policy" in e], f"CSP violations: {errors}"


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run the vendored axe-core on the current page (WCAG 2.1 A/AA rules); violations of the given impacts.

    The script is evaluated from the test process (the page's CSP forbids inline script, so it is
    not injected as a tag); it only reads the page.
    """
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    res = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [v for v in res if v["impact"] in impacts]
