"""Kill-and-rerun fault test (issue 16): `ldnsim trial ... --report R.html` killed (SIGKILL) at random moments
never leaves a truncated or empty R.html where a good one was — the report is written to a temporary file in
the same folder and renamed over the old one (ldnsim._io.atomic_path)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

ARGS = [
    "trial",
    "younger2013",
    "--patients",
    "8",
    "--replicates",
    "1",
    "--seed",
    "{seed}",
    "--report",
    "{out}",
]


def _start(out, seed):
    argv = [a.format(out=out, seed=seed) for a in ARGS]
    return subprocess.Popen(
        [sys.executable, "-m", "ldnsim", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _complete(text: str) -> bool:
    return text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")


@pytest.mark.slow
def test_killed_report_never_truncates_the_previous_one(tmp_path):
    out = tmp_path / "R.html"
    t0 = time.perf_counter()
    first = _start(out, 0)
    assert first.wait(timeout=600) == 0, first.stderr.read().decode()
    full_s = time.perf_counter() - t0
    good = out.read_text(encoding="utf-8")
    assert _complete(good)
    rng = random.Random(16)
    outcomes = []
    # kill moments spread over the whole run, the write at the end included
    for i, frac in enumerate([rng.uniform(0.05, 1.1) for _ in range(3)] + [0.97, 1.0]):
        proc = _start(out, i + 1)
        try:
            proc.wait(timeout=frac * full_s)
            outcomes.append("finished")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            outcomes.append("killed")
        now = out.read_text(encoding="utf-8")
        assert _complete(now), f"kill {i} at {frac:.2f} of the run left an incomplete report"
        assert now == good or "id=ldnsim-meta" in now  # the old report, or a whole new one
        good = now
    assert "killed" in outcomes
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["R.html"]
