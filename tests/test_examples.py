"""The notebooks in examples/ run top to bottom (executed with nbclient in a fresh kernel, as a reader would).

Each notebook asserts what it shows (LDN lowers model pain, the trial's direction, codeine in Tylenol #3 is
critical, libRoadRunner reproduces the exported PK within 1e-4), so a broken example fails here."""

import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


def test_the_four_examples_are_there():
    names = [p.stem for p in NOTEBOOKS]
    assert len(names) >= 4 and any("simulate" in n for n in names) and any("trial" in n for n in names)
    assert any("medication" in n for n in names) and any("sbml" in n for n in names)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    outputs = [c.get("outputs") for c in nb.cells if c.cell_type == "code"]
    assert not any(outputs), "commit notebooks without outputs"
    # the kernel runs this interpreter with this checkout's package first on its path
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    resources = {"metadata": {"path": str(tmp_path)}}
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources=resources)
    t0 = time.perf_counter()
    client.execute()
    sys.stderr.write(f"{path.name}: {time.perf_counter() - t0:.1f} s\n")
