"""Regenerate the web app screenshots in this folder (desktop 1280 px and phone 375 px wide).

    PYTHONPATH=src python docs/screenshots/capture.py

Starts the app on a free localhost port with a throwaway diary (patient PA with three weeks of entries),
drives Debian chromium through each page's main task and saves ``<page>-desktop.png`` and
``<page>-phone.png``. Not a test; the browser tests are tests/web/test_pages_browser.py.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from ldnsim.web.app import create_app

OUT = Path(__file__).resolve().parent
PW = "screenshot password"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


def _server(tmp: Path):
    app = create_app(diary_url=str(tmp / "diary.sqlite"), accounts_url=f"sqlite:///{tmp}/acc.sqlite")
    d = app.state.diary
    start = dt.date.today() - dt.timedelta(days=28)
    d.add_patient("PA", clinician_id="dr-x", ldn_start=(start + dt.timedelta(days=7)).isoformat())
    for k in range(28):
        day = start + dt.timedelta(days=k)
        on = k >= 7
        pain = 7 - (1.5 * min(1.0, (k - 7) / 14) if on else 0) + (0.5 if k % 3 == 0 else 0)
        d.add_entry(
            "PA",
            {
                "date": day.isoformat(),
                "pain_avg": round(pain),
                "pain_worst": min(10, round(pain) + 2),
                "sleep": 5,
                "fatigue": 6,
                "mood": 5,
                "dose_mg": 4.5 if on else None,
            },
        )
    app.state.accounts.add("ann", PW, "patient", patient_id="PA")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    return srv, f"http://127.0.0.1:{port}"


def _tasks(page, base: str):
    """(name, action) pairs; each action leaves the page showing its result."""

    def check():
        page.goto(base + "/check")
        page.get_by_label("Medicines, one per line").fill(
            "Percocet 5/325 q6h prn\nLDN 4.5 mg nightly\nibuprofen 400 mg\ntramadl 50"
        )
        page.get_by_role("button", name="Check the list").click()
        page.locator("article.card").first.wait_for()
        return page.get_by_test_id("highest")

    def plan():
        page.goto(base + "/plan?mode=hold")
        day = dt.date.today() + dt.timedelta(days=21)
        page.get_by_label("Procedure date and time").fill(f"{day.isoformat()}T08:00")
        page.get_by_role("button", name="Plan").click()
        page.get_by_test_id("answer").wait_for()
        return page.get_by_role("heading", name="Answer")

    def titrate():
        page.goto(base + "/titrate")
        page.get_by_role("button", name="Make the calendar").click()
        page.get_by_test_id("calendar").wait_for()
        return page.get_by_role("heading", level=2).first

    def compound():
        page.goto(base + "/compound")
        page.get_by_role("button", name="Make the worksheet").click()
        page.get_by_test_id("worksheet").wait_for()
        return page.get_by_test_id("worksheet")

    def trials():
        page.goto(base + "/trials")
        page.get_by_label(re.compile("^Patients per trial")).fill("12")
        page.get_by_label(re.compile("^Replicate trials")).fill("1")
        page.get_by_role("button", name="Run the trial").click()
        page.get_by_role("link", name="Open the report").wait_for(timeout=120_000)

    def diary():
        page.goto(base + "/login?next=/diary")
        page.get_by_label("User name").fill("ann")
        page.get_by_label("Password", exact=True).fill(PW)
        page.get_by_role("button", name="Log in").click()
        page.get_by_test_id("trend").wait_for()

    def diary_entry():
        page.goto(base + "/diary/p/PA/entry")

    return [
        ("check", check),
        ("plan", plan),
        ("titrate", titrate),
        ("compound", compound),
        ("trials", trials),
        ("diary", diary),
        ("diary-entry", diary_entry),
    ]


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        srv, base = _server(Path(tmp))
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            for size, viewport in SIZES.items():
                ctx = browser.new_context(viewport=viewport, timezone_id="Europe/London", locale="en-GB")
                page = ctx.new_page()
                for name, action in _tasks(page, base):
                    target = action()
                    if target is not None:
                        target.evaluate("el => el.scrollIntoView({block: 'start'})")
                    page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=False)
                    print(OUT / f"{name}-{size}.png")
                ctx.close()
        finally:
            browser.close()
            srv.should_exit = True


if __name__ == "__main__":
    main()
