"""Benchmark of the full Bayesian calibration (issue 10 done-means; not a timed test).

Runs ``ldnsim calibrate`` from clean in a fresh process (no compiled-jax cache, no emulator cache) with the
shipped settings of ``system/calibration.yaml`` and writes its posterior, record and figures into ``--out``
(default: a new temporary folder; copy them into ``src/ldnsim/data/system/`` and ``docs/`` to ship that
run). The variants are ``ldnsim calibrate``'s default (``ldnsim.calibration.DEFAULT_VARIANTS``: the seven
mechanism variants with the default occupancy plus ``full/parent-transient`` and
``mu-rebound/parent-transient``); pass ``--extra "--variants ..."`` for others. Prints one JSON document:

* ``seconds``: wall time of the whole command (target: < 3600 s on the project's 2-core machine);
* ``reference_trial_seconds``: one virtual Younger 2013 trial (8 replicates) in the same environment, and
  ``ratio``: the calibration in units of that trial (comparable across machines);
* ``max_r_hat`` / ``min_ess_bulk`` over every sampled parameter of every variant (target: R-hat < 1.01);
* ``pass``: both targets met.

Run: ``python bench/calibrate.py [--out DIR] [--extra ARGS]`` (one full run: minutes to tens of minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TARGET_SECONDS = 3600.0


def _reference_trial_seconds() -> float:
    code = (
        "import time; from ldnsim.trials.run import run_trial; "
        "run_trial('younger2013', replicates=1, seed=0); "
        "t=time.perf_counter(); run_trial('younger2013', replicates=8, seed=1, "
        "realism={'adherence.patterns': 1}); print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=None, help="folder for posterior.npz/.yaml and figures")
    ap.add_argument("--extra", default="", help="extra arguments for ldnsim calibrate (e.g. '--smoke')")
    a = ap.parse_args(argv)
    out = a.out or Path(tempfile.mkdtemp(prefix="ldnsim-calibrate-"))
    out.mkdir(parents=True, exist_ok=True)
    ref = _reference_trial_seconds()
    cmd = [
        sys.executable,
        "-m",
        "ldnsim",
        "calibrate",
        "--out",
        str(out),
        "--figures",
        str(out / "figures"),
        "--json",
        *shlex.split(a.extra),
    ]
    env = {**os.environ, "JAX_ENABLE_COMPILATION_CACHE": "false"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    (out / "calibrate_stdout.json").write_text(proc.stdout)
    (out / "calibrate_stderr.txt").write_text(proc.stderr)
    doc = {
        "command": " ".join(shlex.quote(c) for c in cmd[1:]),
        "returncode": proc.returncode,
        "seconds": round(seconds, 1),
        "target_seconds": TARGET_SECONDS,
        "reference_trial_seconds": round(ref, 3),
        "ratio": round(seconds / ref, 1),
        "out": str(out),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
    }
    if proc.returncode == 0:
        rec = yaml.safe_load((out / "posterior.yaml").read_text())
        diags = [d for v in rec["variants"].values() for d in v["diagnostics"].values()]
        doc["max_r_hat"] = max(d["r_hat"] for d in diags)
        doc["min_ess_bulk"] = min(d["ess_bulk"] for d in diags)
        doc["pass"] = bool(seconds < TARGET_SECONDS and doc["max_r_hat"] < 1.01)
    else:
        doc["pass"] = False
        doc["stderr_tail"] = proc.stderr[-2000:]
    print(json.dumps(doc, indent=2))
    return doc


if __name__ == "__main__":
    main()
