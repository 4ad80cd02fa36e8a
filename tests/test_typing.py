"""The type checker passes with the configuration in pyproject.toml ([tool.mypy]: strict modules, checked
modules, and the modules still unchecked). `make test` runs it too; this test makes a change that breaks
typing fail in `pytest` as well, with mypy's report as the message."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_passes():
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
