"""Diary pages over HTTP: login (argon2, throttled, fresh session), per-patient access, entries stored."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from ldnsim.web.app import create_app

from .conftest import seed_diary

PW = "correct horse battery"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("diary")
    app = create_app(
        allowed_hosts=("testserver",),
        secure_cookies=False,
        diary_url=str(tmp_path / "diary.sqlite"),
        accounts_url=f"sqlite:///{tmp_path}/acc.sqlite",
    )
    d, a = app.state.diary, app.state.accounts
    d.add_patient("PA", clinician_id="dr-x", ldn_start="2026-01-10")
    d.add_patient("PB", clinician_id="dr-y")
    seed_diary(d, "PSTRONG", clinician_id="dr-x", amplitude=4.0)
    seed_diary(d, "PFLAT", clinician_id="dr-x", amplitude=0.0)
    a.add("ann", PW, "patient", patient_id="PA")
    a.add("bob", PW, "patient", patient_id="PB")
    a.add("drx", PW, "clinician", clinician_id="dr-x")
    a.add("cat", PW, "patient", patient_id="PB")  # for the throttling test
    return app


def _csrf(c, path="/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def _login(c, user, pw=PW):
    return c.post(
        "/login",
        data={"csrf": _csrf(c), "username": user, "password": pw, "next": "/diary"},
        follow_redirects=False,
    )


def test_passwords_are_stored_as_argon2id(app):
    from sqlalchemy import text

    with app.state.accounts.engine.connect() as con:
        hashes = [r[0] for r in con.execute(text("select password_hash from web_users"))]
    assert hashes and all(h.startswith("$argon2id$") and PW not in h for h in hashes)


def test_diary_needs_login(app):
    with TestClient(app) as c:
        r = c.get("/diary/p/PA", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_patient_reads_own_diary_and_not_another(app):
    with TestClient(app) as c:
        r = _login(c, "ann")
        assert r.status_code == 303
        assert c.get("/diary", follow_redirects=False).headers["location"] == "/diary/p/PA"
        assert c.get("/diary/p/PA").status_code == 200
        assert c.get("/diary/p/PB").status_code == 404
        assert c.get("/diary/p/PB/entry").status_code == 404
        r = c.post(
            "/diary/p/PB/entry", data={"csrf": _csrf(c, "/diary/p/PA"), "date": "2026-01-01", "pain_avg": "5"}
        )
        assert r.status_code == 404
        assert app.state.diary.entries("PB").empty


def test_clinician_sees_their_patients_only(app):
    with TestClient(app) as c:
        _login(c, "drx")
        page = c.get("/diary").text
        assert "/diary/p/PA" in page and "/diary/p/PB" not in page
        assert c.get("/diary/p/PA").status_code == 200
        assert c.get("/diary/p/PB").status_code == 404
        assert c.get("/diary/p/PA/entry").status_code == 404  # entries are the patient's to make


def test_login_rotates_the_session_and_csrf_token(app):
    with TestClient(app) as c:
        before = _csrf(c)
        _login(c, "ann")
        after = _csrf(c, "/diary/p/PA")
        assert before != after


def test_wrong_passwords_are_throttled(app):
    with TestClient(app) as c:
        codes = [_login(c, "cat", "wrong password!").status_code for _ in range(6)]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        assert _login(c, "cat").status_code == 429  # even the right password waits
        assert _login(c, "bob").status_code == 303  # another name is not blocked


def test_entry_is_stored_and_bad_values_name_the_field(app):
    with TestClient(app) as c:
        _login(c, "ann")
        tok = _csrf(c, "/diary/p/PA/entry")
        day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        r = c.post(
            "/diary/p/PA/entry",
            data={
                "csrf": tok,
                "date": day,
                "pain_avg": "6",
                "pain_worst": "8",
                "dose_mg": "4.5",
                "other_medications": "tramadol 50 mg",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        df = app.state.diary.entries("PA")
        assert df.loc[day, "pain_avg"] == 6.0 and df.loc[day, "dose_mg"] == 4.5
        page = c.get("/diary/p/PA").text
        assert "tramadol" in page and "critical" in page  # the store's screening alert is shown
        # ... with its evidence grade and a source, like every clinical output on the site
        alert = app.state.diary.alerts("PA")[0]
        assert f"Evidence grade {alert['evidence']}" in page and alert["sources"][0]["url"] in page
        notes = "slept <badly> & woke at 4"
        r = c.post("/diary/p/PA/entry", data={"csrf": tok, "date": day, "pain_avg": "11", "notes": notes})
        assert r.status_code == 400 and "pain_avg" in r.text
        # the form comes back with the reason and what was typed (escaped), not a bare error page
        assert 'data-testid="entry-error"' in r.text and 'value="11"' in r.text
        assert "slept &lt;badly&gt; &amp; woke at 4</textarea>" in r.text
        r = c.post("/diary/p/PA/entry", data={"csrf": tok, "date": day, "pain_avg": "5"})
        assert r.status_code == 400  # the day exists: a correction must say so
        r = c.post(
            "/diary/p/PA/entry",
            data={"csrf": tok, "date": day, "pain_avg": "5", "replace": "on"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and app.state.diary.entries("PA").loc[day, "pain_avg"] == 5.0


def test_logout_ends_the_session(app):
    with TestClient(app) as c:
        _login(c, "ann")
        c.post("/logout", data={"csrf": _csrf(c, "/diary/p/PA")})
        assert c.get("/diary/p/PA", follow_redirects=False).status_code == 303


def _benefit(html: str) -> float:
    return float(re.search(r"beyond placebo: <strong>(-?[0-9.]+) points", html).group(1))


def test_clinician_sees_the_nof1_analysis_tell_a_responder_from_a_non_responder(app):
    with TestClient(app) as c:
        _login(c, "drx")
        strong, flat = c.get("/diary/p/PSTRONG").text, c.get("/diary/p/PFLAT").text
    # pain fell by 4 points on LDN vs no change: the estimated benefit separates them
    assert _benefit(strong) > 1.0 > _benefit(flat)
    assert 'data-testid="decision">No clinically important benefit<' in flat
    assert 'data-testid="decision">No clinically important benefit<' not in strong
    assert "fitted course" in strong  # the clinician's figure
    assert "Method sources" in strong and "PMC6233756" in strong  # where the method comes from, linked


def test_analysis_says_why_it_cannot_run_yet(app):
    with TestClient(app) as c:
        _login(c, "bob")
        page = c.get("/diary/p/PB").text  # no entries, no LDN start
    assert "Not possible yet" in page and "no diary entries" in page, page[-3000:]


def test_nof1_analysis_refuses_a_crohns_diary_with_the_reason(app):
    """The N-of-1 analysis is the pain model's: for a Crohn's patient the page says why, it never runs it."""
    app.state.diary.add_patient("PCD", clinician_id="dr-x", condition="crohns", ldn_start="2026-01-10")
    try:
        with TestClient(app) as c:
            _login(c, "drx")
            page = c.get("/diary/p/PCD").text
        assert "Not possible yet" in page and "immune module" in page
        assert "beyond placebo" not in page
    finally:
        app.state.diary.delete_patient("PCD")
