"""``ldnsim simulate --condition crohns|ms``: the immune module from the CLI; conditions no model covers are
refused with exit 2 naming every accepted condition (never run on the pain model)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from ldnsim.cli._app import run


def _run(*args: str) -> tuple[int, str, str]:
    import ldnsim.cli.simulate  # noqa: F401  (registers the command)

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("condition, tissue",
                         [("crohns", "mucosal_inflammation"), ("ms", "cns_inflammation")])
def test_immune_condition_json(condition, tissue, tmp_path):
    png = tmp_path / "p.png"
    code, out, err = _run("simulate", "--condition", condition, "--regimen", "naltrexone 4.5 mg nightly",
                          "--days", "10", "--plot", str(png), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"] == "immune" and doc["condition"] == condition and doc["tissue_inflammation"] == tissue
    assert len(doc["time_days"]) == 10 and len(doc["states"][tissue]) == 10
    assert max(doc["occupancy"]["ogfr"]) > 0.1
    assert doc["disclaimer"] == "For research and education only; not medical advice."
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--condition", "ulcerative_colitis"], "crohns"),  # not covered: refused, accepted list incl. both
        (["--condition", "lupus"], "fibromyalgia"),
        (["--condition", "crohns", "--variant", "mu-only"], "--variant"),
        (["--condition", "ms", "--esr", "20"], "--esr"),
        (["--condition", "ms", "--days", "0"], "days"),
        (["--condition", "crohns", "--engine", "cuda"], "engine"),
    ],
)
def test_refused_with_exit_2(args, needle):
    code, out, err = _run("simulate", *args, "--json")
    assert code == 2 and out == ""
    assert needle in err and "Traceback" not in err
    if needle in ("crohns", "fibromyalgia"):
        assert "crohns" in err and "ms" in err and "fibromyalgia" in err
