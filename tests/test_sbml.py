"""SBML export: the exported file, simulated in libRoadRunner, reproduces ldnsim's own trajectories."""

from __future__ import annotations

import json

import numpy as np
import pytest

roadrunner = pytest.importorskip("roadrunner")
libsbml = pytest.importorskip("libsbml")

from ldnsim.pk import simulate_pk  # noqa: E402
from ldnsim.receptors import occupancy  # noqa: E402
from ldnsim.regimen import DoseEvent  # noqa: E402
from ldnsim.sbml import SYM, Sym, export_sbml, pk_model_spec, sbml_string  # noqa: E402

REL_TOL = 1e-4  # issue 2: wherever a concentration is above 1% of its peak


def _rr(xml: str, t: np.ndarray, sel: list[str]) -> np.ndarray:
    r = roadrunner.RoadRunner(xml)
    r.integrator.relative_tolerance = 1e-10
    r.integrator.absolute_tolerance = 1e-14
    r.timeCourseSelections = ["time", *sel]
    res = np.asarray(r.simulate(float(t[0]), float(t[-1]), len(t)))
    assert np.allclose(res[:, 0], t)
    return res[:, 1:]


def _check(events, days, covariates=None, points_per_h=2, variant="full"):
    from ldnsim.model import with_occupancy

    spec, info = pk_model_spec(events, days=days, covariates=covariates, variant=variant)
    xml = sbml_string(spec)
    t = np.linspace(0.0, 24.0 * days, int(24 * days * points_per_h) + 1)
    ids = list(spec.outputs.values())
    theirs = _rr(xml, t, ids)
    ds = simulate_pk(events, t, covariates, eta=with_occupancy(None, variant, [e.drug for e in events]))
    occ = occupancy({str(a): ds.effect_nM.sel(analyte=a).values[0] for a in ds.analyte.values})
    worst = {}
    for col, (key, _rid) in enumerate(spec.outputs.items()):
        kind, name = key.split(":")
        mine = occ[name] if kind == "occupancy" else ds[kind].sel(analyte=name).values[0]
        mine = np.broadcast_to(mine, t.shape)
        mask = np.abs(mine) > 0.01 * np.max(np.abs(mine))
        if not mask.any():
            assert np.max(np.abs(theirs[:, col])) < 1e-12
            continue
        worst[key] = float(np.max(np.abs(theirs[mask, col] - mine[mask]) / np.abs(mine[mask])))
    return worst, spec


def test_ldn_nightly_matches_roadrunner():
    events = [DoseEvent(24.0 * k, "naltrexone", 4.5) for k in range(7)]
    worst, spec = _check(events, 7)
    need = {"plasma_ng_ml:naltrexone", "plasma_ng_ml:6beta-naltrexol", "occupancy:mu_antagonist"}
    assert need <= set(worst)
    assert max(worst.values()) <= REL_TOL, worst
    assert len(spec.events) == 1  # a regular train is one self-rescheduling event


def test_parent_transient_occupancy_variant_matches_roadrunner():
    """The occupancy variant's effect-site values (data/occupancy.yaml) are what the exported file runs:
    libRoadRunner reproduces ldnsim, and the brain occupancy differs from the default variant's."""
    events = [DoseEvent(24.0 * k, "naltrexone", 4.5) for k in range(3)]
    worst, spec = _check(events, 3, variant="full/parent-transient")
    assert max(worst.values()) <= REL_TOL
    assert "parent-transient" in spec.notes
    t = np.linspace(0.0, 72.0, 145)
    occ = {}
    for v in ("full", "full/parent-transient"):
        s, _ = pk_model_spec(events, days=3, variant=v)
        occ[v] = _rr(sbml_string(s), t, [s.outputs["occupancy:mu_antagonist"]])[:, 0]
    assert occ["full/parent-transient"][-1] < 0.5 * occ["full"][-1]  # the metabolite's trough is gone


def test_irregular_and_zero_order_doses_match_roadrunner():
    # 50 mg then 4.5 mg at irregular times (one event per dose) plus a fentanyl patch (zero-order input)
    events = [
        DoseEvent(0.0, "naltrexone", 50.0),
        DoseEvent(30.0, "naltrexone", 4.5),
        DoseEvent(61.5, "naltrexone", 4.5, "liquid"),
        DoseEvent(0.0, "fentanyl", 2.4, "patch", 72.0),
    ]
    worst, spec = _check(events, 4)
    assert max(worst.values()) <= REL_TOL, worst
    assert any(k.startswith("plasma_ng_ml:fentanyl") for k in worst)


def test_every_parameter_has_units_and_provenance(tmp_path):
    events = [DoseEvent(24.0 * k, "naltrexone", 4.5) for k in range(3)]
    spec, _ = pk_model_spec(events, days=3)
    path = export_sbml(spec, tmp_path / "ldn.xml")
    doc = libsbml.readSBMLFromFile(str(path))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    m = doc.getModel()
    rates = [m.getParameter(i) for i in range(m.getNumParameters()) if m.getParameter(i).getId().startswith(
        "naltrexone_k_")]
    assert rates
    for p in rates:
        assert p.isSetUnits()
        notes = p.getNotesString()
        assert "source:" in notes or "derived:" in notes or "assumed:" in notes, p.getId()


def test_symbolic_namespace():
    x, y = Sym("x"), Sym("y")
    e = SYM.where(x > 1.0, SYM.exp(-x) * 2.0, SYM.maximum(y, 0.0)) + 3.0 / x
    ast = libsbml.parseL3Formula(str(e))
    assert ast is not None and libsbml.formulaToL3String(ast)
    with pytest.raises(Exception, match="xp.where"):
        bool(x > y)


def test_cli_export_sbml(tmp_path):
    import ldnsim.cli.sbml_cmd  # noqa: F401  (registers the command)
    from ldnsim.cli._app import run

    out = tmp_path / "m.xml"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = run(["export-sbml", str(out), "--drug", "naltrexone", "--dose", "4.5mg", "--interval", "24h",
                    "--days", "3", "--json"])
    assert code == 0
    doc = json.loads(buf.getvalue())
    assert doc["doses"] == 3 and out.exists()
    assert "plasma_ng_ml:naltrexone" in doc["outputs"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        args = ["export-sbml", str(out), "--model", "full", "--condition", "crps", "--days", "2", "--json"]
        assert run(args) == 0
    full = json.loads(buf.getvalue())
    assert full["outputs"]["pain_nrs"] == "pain_nrs" and full["states"] > doc["states"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert run(["export-sbml", str(out), "--model", "full", "--condition", "nosuch"]) == 2
        assert run(["export-sbml", str(out), "--dose", "-4mg", "--json"]) == 2
        assert run(["export-sbml", str(out), "--drug", "naltrexon", "--json"]) == 2


def test_population_through_exported_model():
    """Patients differ only in SBML parameter values: set them per patient and match ldnsim."""
    from ldnsim.engines.model import pk_blocks
    from ldnsim.pk import load_drug, sample_eta
    from ldnsim.sbml import pk_patient_values

    days = 3
    events = [DoseEvent(24.0 * k, "naltrexone", 4.5) for k in range(days)]
    eta = sample_eta(load_drug("naltrexone"), 3, np.random.default_rng(7))
    spec, info = pk_model_spec(events, days=days)
    blocks = pk_blocks({"naltrexone": ["ir"]}, None, eta)
    t = np.linspace(0.0, 24.0 * days, 24 * days + 1)
    ds = simulate_pk(events, t, None, eta)
    r = roadrunner.RoadRunner(sbml_string(spec))
    r.integrator.relative_tolerance = 1e-10
    r.integrator.absolute_tolerance = 1e-14
    rid = spec.outputs["plasma_ng_ml:naltrexone"]
    for p in range(3):
        r.resetAll()
        for k, v in pk_patient_values(info, blocks, p).items():
            r[k] = v
        res = r.simulate(0.0, t[-1], len(t), ["time", rid])
        mine = ds.plasma_ng_ml.sel(analyte="naltrexone").values[p]
        mask = mine > 0.01 * mine.max()
        assert np.max(np.abs(res[mask, 1] - mine[mask]) / mine[mask]) <= REL_TOL


@pytest.mark.slow  # libRoadRunner needs ~15 s to compile the whole model
def test_whole_model_exports_the_same_equations_and_trajectory():
    """PK + receptors + system + pain in libRoadRunner vs ldnsim.

    Equations: at several points of the libRoadRunner trajectory, ldnsim.system.rhs / algebra evaluated on the
    SBML's own states and drivers equal the SBML rates and pain (1e-9). Trajectory: ldnsim's exponential
    production–loss scheme converges to the ODE solution at second order; with 15-minute steps its states stay
    within 1e-3 relative of CVODE (rtol 1e-10) over three days (the default daily macro-step is within ~2%,
    about 0.5% in daily pain — docs/engines.md, "Accuracy").
    """
    from ldnsim.engines import LdnModel, Problem, get_engine
    from ldnsim.sbml import full_model_spec
    from ldnsim.system import DRIVER_NAMES, STATE_NAMES, algebra, rhs

    days = 3
    events = [DoseEvent(24.0 * k, "naltrexone", 4.5) for k in range(days)]
    spec, info = full_model_spec(events, days=days, condition="fibromyalgia")
    r = roadrunner.RoadRunner(sbml_string(spec))
    r.integrator.relative_tolerance = 1e-10
    r.integrator.absolute_tolerance = 1e-13
    pv = {p.id: np.array([p.value]) for p in spec.params if p.id in info["system_params"]}
    for t_stop in (1.5, 5.0, 30.0):
        r.resetAll()
        r.simulate(0.0, t_stop, 3)
        y = np.array([[r[n] for n in STATE_NAMES]])
        d = {k: np.array([r["occ_" + k]]) for k in DRIVER_NAMES}
        mine = rhs(y, d, pv, np)[0]
        theirs = np.array([r[f"{n}'"] for n in STATE_NAMES])
        np.testing.assert_allclose(theirs, mine, rtol=1e-9, atol=1e-14)
        assert abs(algebra(y, d, pv, np)["pain_nrs"][0] - r["pain_nrs"]) < 1e-9
    r.resetAll()
    res = np.asarray(r.simulate(0.0, 24.0 * days, 3, ["time", *STATE_NAMES]))
    model = LdnModel(events, "fibromyalgia", days=days, population=False, dt_h=0.25, n_sub=1)
    out = get_engine("numpy").run(Problem(model, n_patients=1, rtol=0.5, max_level=0))
    y_rr = res[-1, 1:]
    rel = np.abs(out.final_state[0] - y_rr) / np.maximum(np.abs(y_rr), 1e-3)
    assert np.max(rel) < 1e-3, rel
    assert np.allclose(res[0, 1:], info["y0"])
