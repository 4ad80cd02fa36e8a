"""`make docs` builds the documentation site with the API reference generated from the docstrings
(mkdocs + mkdocstrings, mkdocs.yml) without warnings: a renamed module or a broken page fails here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_api_reference_builds(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (tmp_path / "site" / "api" / "ldnsim" / "index.html").read_text(encoding="utf-8")
    for name in ("ldnsim.Regimen", "ldnsim.InputError"):
        assert f'id="{name}"' in page
    regimen = (tmp_path / "site" / "api" / "regimen" / "index.html").read_text(encoding="utf-8")
    assert 'id="ldnsim.regimen.Regimen.parse"' in regimen
