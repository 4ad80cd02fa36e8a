"""SBML export of the immune module: libRoadRunner runs the same equations and trajectory as ldnsim."""

from __future__ import annotations

import numpy as np
import pytest

roadrunner = pytest.importorskip("roadrunner")
libsbml = pytest.importorskip("libsbml")

from ldnsim.engines import Problem  # noqa: E402
from ldnsim.immune import ALGEBRAIC_NAMES, STATE_NAMES, ImmuneModel, algebra, rhs  # noqa: E402
from ldnsim.immune._run import run  # noqa: E402
from ldnsim.regimen import DoseEvent  # noqa: E402
from ldnsim.sbml import immune_model_spec, sbml_string  # noqa: E402


@pytest.mark.parametrize("condition", ["crohns", "ms"])
def test_roadrunner_runs_the_same_equations_and_trajectory(condition, tmp_path):
    """Equations: at points of the libRoadRunner trajectory, ldnsim.immune.rhs / algebra on the SBML's own
    states and driver equal its rates and rules (1e-9). Trajectory: ldnsim's production–loss scheme at
    15-minute steps stays within 1e-3 of CVODE (rtol 1e-10) over five days of nightly LDN."""
    days = 5
    events = [DoseEvent(24.0 * k + 22.0, "naltrexone", 4.5) for k in range(days)]
    spec, info = immune_model_spec(events, days=days, condition=condition)
    xml = sbml_string(spec)
    doc = libsbml.readSBMLFromString(xml)
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    m = doc.getModel()
    for pid in info["immune_params"]:
        notes = m.getParameter(pid).getNotesString()
        assert "source:" in notes or "derived:" in notes or "assumed:" in notes, pid
    r = roadrunner.RoadRunner(xml)
    r.integrator.relative_tolerance = 1e-10
    r.integrator.absolute_tolerance = 1e-13
    pv = {p.id: np.array([p.value]) for p in spec.params if p.id in info["immune_params"]}
    blocked = 0.0
    for t_stop in (1.5, 23.5, 30.0, 70.0):
        r.resetAll()
        r.simulate(0.0, t_stop, 3)
        y = np.array([[r[n] for n in STATE_NAMES]])
        d = {"ogfr_drug": np.array([r["ogfr_drug"]])}
        np.testing.assert_allclose([r[f"{n}'"] for n in STATE_NAMES], rhs(y, d, pv, np)[0], rtol=1e-9,
                                   atol=1e-14)
        alg = algebra(y, d, pv, np)
        for k in ALGEBRAIC_NAMES:
            assert abs(float(alg[k][0]) - r[k]) < 1e-9, k
        blocked = max(blocked, r["ogfr_occupancy"])
    assert blocked > 0.3  # the comparison covered blocked hours
    r.resetAll()
    res = np.asarray(r.simulate(0.0, 24.0 * days, 3, ["time", *STATE_NAMES]))
    assert np.allclose(res[0, 1:], info["y0"])
    model = ImmuneModel(events, condition, days, dt_h=0.25, n_sub=1)
    out = run(Problem(model, n_patients=1, rtol=0.5, max_level=0, endpoint_days=(0,)), "numpy")
    y_rr = res[-1, 1:]
    rel = np.abs(out["final_state"][0] - y_rr) / np.maximum(np.abs(y_rr), 1e-3)
    assert np.max(rel) < 1e-3, rel
    assert np.max(np.abs(y_rr[:3] - 1.0)) > 0.05  # the states moved: the test compares a response


def test_cli_export_immune(tmp_path):
    import contextlib
    import io
    import json

    import ldnsim.cli.sbml_cmd  # noqa: F401  (registers the command)
    from ldnsim.cli._app import run

    out = tmp_path / "imm.xml"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = run(["export-sbml", str(out), "--model", "immune", "--condition", "ms", "--days", "3",
                    "--json"])
    assert code == 0
    doc = json.loads(buf.getvalue())
    assert {f"state:{n}" for n in STATE_NAMES} <= set(doc["outputs"]) and doc["states"] > len(STATE_NAMES)
    assert libsbml.readSBMLFromFile(str(out)).getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert run(["export-sbml", str(out), "--model", "immune", "--condition", "fibromyalgia"]) == 2
    assert "crohns" in err.getvalue()
