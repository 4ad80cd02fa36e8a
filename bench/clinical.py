"""Benchmark of the clinical commands (not a timed test): CLI start-up and ``check`` on a 100-entry list.

Run: ``.venv/bin/python bench/clinical.py [--repeats N]``. Prints one JSON document (medians, ms):

* ``python_bare_ms``: ``python -c pass`` — the interpreter alone (reference in the same run);
* ``typer_floor_ms``: ``python -c "import typer, pydantic"`` — the floor of any typer command here (typer
  0.29 coerces parameters through pydantic, so every command pays for both);
* ``cli_check_ms``: ``python -m ldnsim check "oxycodone 5 mg" --json`` end to end (start-up + one entry);
* ``cli_help_ms``: ``python -m ldnsim --help`` (registration of every command, nothing run);
* ``cli_hold_ms``: ``python -m ldnsim hold ... --json`` (a clinical command that runs the PK model for a
  virtual population: numpy, never xarray/pandas — ``simulate_pk_arrays``);
* ``cli_version_ms``: ``python -m ldnsim version --json`` (typer alone: no command module is imported);
* ``check100_cold_ms``: in a fresh process, ``screen()`` of 100 real entries from
  ``tests/clinical/check_cases.csv`` including building the vocabulary index (work beyond start-up);
* ``check100_warm_ms``: the same list again (index cached);
* ``heavy_modules``: whether ``check`` imported numpy, xarray, pandas, scipy or jax (it should not);
  ``tests/clinical/test_startup_imports.py`` asserts the same, untimed;
* ratios of the CLI times to the bare interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHECK100 = r"""
import csv, json, sys, time
rows = [r["input"] for r in csv.DictReader(open(sys.argv[1]))][:100]
t0 = time.perf_counter()
from ldnsim.clinical.screen import screen
t1 = time.perf_counter()
screen(rows)
t2 = time.perf_counter()
screen(rows)
t3 = time.perf_counter()
heavy = sorted(m for m in ("numpy", "xarray", "pandas", "scipy") if m in sys.modules)
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "cold_ms": (t2 - t1) * 1e3, "warm_ms": (t3 - t2) * 1e3,
                  "n": len(rows), "heavy": heavy}))
"""

_HEAVY = (
    "import runpy, sys; sys.argv = ['ldnsim', 'check', 'oxycodone 5 mg', '--json'];"
    "\ntry:\n    runpy.run_module('ldnsim', run_name='__main__')\nexcept SystemExit:\n    pass\n"
    "sys.stderr.write(' '.join(sorted(m for m in ('numpy','xarray','pandas','scipy','jax')"
    " if m in sys.modules)))"
)


#: children run as an installed ldnsim would: byte-code caches allowed (a PYTHONDONTWRITEBYTECODE in the
#: environment would make every run compile ldnsim's sources, ~0.15 s, which no installed copy pays)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _wall_ms(cmd: list[str], repeats: int) -> float:
    subprocess.run(cmd, capture_output=True, check=False, cwd=ROOT, env=ENV)  # warm-up (.pyc, data caches)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False, cwd=ROOT, env=ENV)
        ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args(argv)
    py = sys.executable
    out: dict = {
        "python_bare_ms": _wall_ms([py, "-c", "pass"], a.repeats),
        "typer_floor_ms": _wall_ms([py, "-c", "import typer, pydantic"], a.repeats),
        "cli_check_ms": _wall_ms([py, "-m", "ldnsim", "check", "oxycodone 5 mg", "--json"], a.repeats),
        "cli_help_ms": _wall_ms([py, "-m", "ldnsim", "--help"], a.repeats),
        "cli_hold_ms": _wall_ms([py, "-m", "ldnsim", "hold", "--procedure-time", "2030-01-15T08:00", "--dose",
                                 "4.5mg", "--json"], a.repeats),
        "cli_version_ms": _wall_ms([py, "-m", "ldnsim", "version", "--json"], a.repeats),
    }
    cases = ROOT / "tests" / "clinical" / "check_cases.csv"
    runs = []
    for _ in range(max(3, a.repeats // 2)):
        res = subprocess.run([py, "-c", _CHECK100, str(cases)], capture_output=True, text=True, cwd=ROOT,
                             env=ENV)
        runs.append(json.loads(res.stdout))
    out["check100_n"] = runs[0]["n"]
    out["check100_cold_ms"] = statistics.median(r["cold_ms"] for r in runs)
    out["check100_warm_ms"] = statistics.median(r["warm_ms"] for r in runs)
    out["check100_import_ms"] = statistics.median(r["import_ms"] for r in runs)
    res = subprocess.run([py, "-c", _HEAVY], capture_output=True, text=True, cwd=ROOT)
    out["heavy_modules"] = res.stderr.split()[-5:] if res.stderr.strip() else []
    out["cli_check_over_bare"] = out["cli_check_ms"] / out["python_bare_ms"]
    out["cli_hold_over_bare"] = out["cli_hold_ms"] / out["python_bare_ms"]
    out["cli_check_over_typer_floor"] = out["cli_check_ms"] / out["typer_floor_ms"]
    out["cli_check_minus_typer_floor_ms"] = out["cli_check_ms"] - out["typer_floor_ms"]
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}, indent=1))
    return out


if __name__ == "__main__":
    main()
