"""The web app over HTTP (no browser): protections, bad input as 4xx naming the field, planner helpers."""

from __future__ import annotations

import re
import threading
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from ldnsim.errors import InputError
from ldnsim.trials.design import preset_path as _preset_path
from ldnsim.web.app import create_app
from ldnsim.web.jobs import JobQueue, QueueFull
from ldnsim.web.plan_page import slot_after, slot_before, slot_words
from ldnsim.web.security import LoginLimiter
from ldnsim.web.trials_page import parse_design

_SMITH = _preset_path("smith2011").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def client():
    app = create_app(allowed_hosts=("testserver",), secure_cookies=False, max_body_bytes=50_000)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _csrf(client, path="/check") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def test_security_headers_forbid_inline_script_and_framing(client):
    r = client.get("/check")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in r.text and "onclick" not in r.text  # no inline script or handlers


def test_session_cookie_is_httponly_samesite_strict_and_secure_by_default():
    with TestClient(create_app(allowed_hosts=("testserver",))) as c:
        cookie = c.get("/check").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


def test_post_without_csrf_token_is_refused(client):
    assert client.post("/check", data={"meds": "Percocet"}).status_code == 403
    assert client.post("/check", data={"meds": "Percocet", "csrf": "forged"}).status_code == 403
    assert client.post("/check", data={"meds": "Percocet", "csrf": _csrf(client)}).status_code == 200


def test_other_host_headers_are_refused(client):
    assert client.get("/check", headers={"host": "attacker.example"}).status_code == 400


def test_body_larger_than_the_limit_is_413_declared_or_streamed(client):
    big = b"meds=" + b"x" * 60_000
    r = client.post("/check", content=big, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "50000" in r.text

    def chunks():
        for _ in range(20):
            yield b"x" * 5_000

    r = client.post(
        "/cds-services/ldn-opioid-patient-view",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    "path, data, field",
    [
        ("/check", {"meds": ""}, "medications"),
        ("/check", {"meds": "x\n" * 101}, "medications"),
        ("/check", {"meds": "LDN", "egfr": "inf"}, "egfr"),
        ("/check", {"meds": "LDN", "hepatic": "bad"}, "hepatic"),
        ("/check", {"meds": "LDN", "pregnant": "Y"}, "pregnant"),  # not read as "unticked"
        ("/check", {"meds": "LDN", "breastfeeding": "ja"}, "breastfeeding"),
        ("/plan", {"mode": "hold", "when": "2026-11-27T08:00", "dose": "4.5 mg", "tz": "Mars/Base"}, "tz"),
        ("/plan", {"mode": "hold", "when": "0001-01-01T08:00", "dose": "4.5 mg", "tz": "UTC"}, "when"),
        (
            "/plan",
            {"mode": "hold", "when": "2026-11-27T08:00", "dose": "4.5 mg", "tz": "UTC", "weight": "301"},
            "weight",
        ),
        (
            "/plan",
            {
                "mode": "restart",
                "when": "2026-11-27T08:00",
                "opioid": "oxycodone",
                "tz": "UTC",
                "course_days": "-1",
            },
            "course_days",
        ),
        ("/trials", {"design_yaml": "a: &x [1]\nb: *x"}, "design_yaml"),
        ("/trials", {"design_yaml": "name: [unclosed"}, "design_yaml"),
        ("/trials", {"preset": "younger2009", "design_yaml": "", "patients": "100000"}, "patients"),
        # a condition no model covers is refused (never run on the pain model); pain options for Crohn's too
        ("/trials", {"design_yaml": _SMITH.replace("condition: crohns", "condition: lupus")}, "condition"),
        ("/trials", {"preset": "smith2011", "design_yaml": "", "variant": "mu-only"}, "variant"),
        ("/compound", {"dose": "4.5 mg", "form": "capsule", "days": "0"}, "days"),
    ],
)
def test_bad_input_is_400_naming_the_field(client, path, data, field):
    r = client.post(path, data={"csrf": _csrf(client, path), **data})
    assert r.status_code == 400, r.text[:300]
    assert f"{field}:" in r.text or f"{field} " in r.text


@pytest.mark.parametrize(
    "limit, at, before, after",
    [
        # deadline after bedtime: the same evening; before it: the evening before
        ("2026-11-23T02:00", "22:00", "2026-11-22T22:00", "2026-11-23T22:00"),
        ("2026-11-23T22:30", "22:00", "2026-11-23T22:00", "2026-11-24T22:00"),
        ("2026-11-23T22:00", "22:00", "2026-11-23T22:00", "2026-11-23T22:00"),  # exactly on time: allowed
        ("2026-11-23T07:00", "08:00", "2026-11-22T08:00", "2026-11-23T08:00"),
    ],
)
def test_dose_slots(limit, at, before, after):
    tz = ZoneInfo("Europe/London")
    lim = datetime.fromisoformat(limit).replace(tzinfo=tz)
    assert slot_before(lim, time.fromisoformat(at)) == datetime.fromisoformat(before).replace(tzinfo=tz)
    assert slot_after(lim, time.fromisoformat(at)) == datetime.fromisoformat(after).replace(tzinfo=tz)


def test_slot_words():
    assert slot_words(datetime(2025, 11, 26, 22, 0)) == "Wed 26 Nov at bedtime"
    assert slot_words(datetime(2025, 11, 26, 8, 0)) == "Wed 26 Nov in the morning"
    assert slot_words(datetime(2025, 11, 26, 14, 30)) == "Wed 26 Nov at 14:30"


def test_hold_over_a_dst_change_keeps_the_wall_clock_bedtime(client):
    # London leaves summer time on Sun 25 Oct 2026: the bedtime slot stays 22:00 local (a past date
    # still gets its plan, with a warning)
    r = client.post(
        "/plan",
        data={
            "csrf": _csrf(client, "/plan"),
            "mode": "hold",
            "when": "2026-10-27T08:00",
            "dose": "4.5 mg",
            "tz": "Europe/London",
        },
    )
    assert r.status_code == 200
    assert re.search(r'data-testid="answer">Last dose: \w{3} \d+ Oct at bedtime<', r.text)


def test_presets_parse_through_the_web_yaml_guard():
    from ldnsim.trials.design import PRESETS, preset_path

    for name in PRESETS:
        assert parse_design(preset_path(name).read_text()).name == name


def test_job_queue_is_bounded_and_reports_progress():
    q = JobQueue(workers=1, max_pending=2)
    gate = threading.Event()

    def slow(progress):
        progress(1, 4, "working")
        gate.wait(5)
        return 42

    a = q.submit("a", slow)
    q.submit("b", slow)
    with pytest.raises(QueueFull):
        q.submit("c", slow)
    gate.set()
    q._pool.shutdown(wait=True)
    assert q.get(a.id).state == "done" and q.get(a.id).result == 42 and q.get(a.id).fraction == 1.0


def test_job_errors_are_reported_not_raised():
    q = JobQueue(workers=1, max_pending=2)

    def bad(progress):
        raise InputError("patients", "out of range", accepted="4-400")

    j = q.submit("bad", bad)
    q._pool.shutdown(wait=True)
    assert j.state == "failed" and j.error.startswith("patients:")


def test_login_limiter_blocks_after_five_failures():
    lim = LoginLimiter(max_failures=5, window_s=60)
    for _ in range(5):
        assert lim.blocked_for("1.2.3.4|ann") == 0
        lim.failed("1.2.3.4|ann")
    assert lim.blocked_for("1.2.3.4|ann") > 0
    assert lim.blocked_for("1.2.3.4|bob") == 0


def test_an_untrusted_brand_correction_asks_which_product_and_the_choice_is_screened(client):
    tok = _csrf(client)
    r = client.post("/check", data={"csrf": tok, "meds": "Tylenl 3\nLDN 4.5 mg"})
    choices = re.findall(r'name="choice" value="([^"]+)"', r.text)
    assert "tylenol 3" in choices and "tylenol" in choices  # paracetamol alone vs with codeine
    assert re.search(
        r'data-severity="unknown"[^>]*>\s*<h3[^>]*><span class="sev">unknown</span>Tylenl 3', r.text
    )
    r = client.post(
        "/check", data={"csrf": tok, "meds": "Tylenl 3\nLDN 4.5 mg", "resolve": "0", "choice": "tylenol 3"}
    )
    assert re.search(
        r'data-severity="critical"[^>]*>\s*<h3[^>]*><span class="sev">critical</span>tylenol 3', r.text
    )


@pytest.mark.parametrize(
    "value, ticked", [("on", True), ("true", True), ("1", True), ("off", False), ("0", False)]
)
def test_checkbox_values_other_clients_send_are_read_not_dropped(client, value, ticked):
    """pregnant=true from a script must give the pregnancy answer, exactly as the browser's "on" does."""
    r = client.post("/check", data={"csrf": _csrf(client), "meds": "LDN 4.5 mg", "pregnant": value})
    assert r.status_code == 200
    browser = client.post("/check", data={"csrf": _csrf(client), "meds": "LDN 4.5 mg", "pregnant": "on"})
    plain = client.post("/check", data={"csrf": _csrf(client), "meds": "LDN 4.5 mg"})
    assert browser.text != plain.text  # the pregnancy flag changes the page (else this test could not fail)
    strip = lambda t: re.sub(r'name="csrf" value="[^"]*"', "", t)  # noqa: E731
    assert strip(r.text) == strip(browser.text if ticked else plain.text)


def test_an_unknown_trial_run_is_a_404_that_says_runs_do_not_survive_a_restart(client):
    r = client.get("/trials/jobs/does-not-exist")
    assert r.status_code == 404
    assert "restart clears them" in r.text and "run the design again" in r.text
