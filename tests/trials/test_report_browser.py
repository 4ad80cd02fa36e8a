"""The trial report opens in a real browser (Debian chromium) with the network cut, and shows every part.

Runs the real model on a small trial, writes the report, and opens it in headless chromium with
every non-file request aborted and recorded: the report must need none, and each section and
every plot (inline image) must render.
"""

import shutil

import pytest

from ldnsim.cli._app import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SECTIONS = ["model", "summary", "design", "trajectories", "waterfall", "mechanism", "comparison",
            "uncertainty", "parameters", "disclaimer"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (make test installs it)"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "younger2009.html"
    rc = run(["trial", "younger2009", "--replicates", "2", "--seed", "3", "--report", str(out), "--json"])
    assert rc == 0 and out.exists()
    return out


def test_report_renders_offline_with_every_part(report):
    sync_api = pytest.importorskip("playwright.sync_api")
    requested = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            page = browser.new_page()

            def block(route):
                if not route.request.url.startswith(("file:", "data:")):
                    requested.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", block)
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            for sid in SECTIONS:
                sec = page.locator(f"section#{sid}")
                assert sec.count() == 1, f"section {sid} missing"
                assert sec.is_visible(), f"section {sid} not visible"
            images = page.locator("img")
            assert images.count() >= 4
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.complete ? e.naturalWidth : 0)")
            assert all(w > 0 for w in widths), f"an image did not render: {widths}"
            body = page.inner_text("body")
            assert "not medical advice" in body
            assert "32.5" in body  # the published Younger 2009 LDN result beside the simulated one
            assert "What each hypothesis predicts for this design" in body
            for v in ("null", "full", "full-potent-tlr4", "mu-rebound"):  # the real model's rows
                assert page.locator("#uncertainty table tr", has_text=v).count() >= 1
            # the superseded maximum-likelihood record is collapsed: its profile plot is not shown
            assert not page.locator("details#superseded-ml-fit p").first.is_visible()
        finally:
            browser.close()
    assert requested == [], f"the report asked the network for {requested}"
