"""Disease trials end to end with the TEST DOUBLE of the immune module: schema, refusals, reproducibility,
JSON contract (disclaimer), report sections, and the Cree 2010 crossover's precision against the published
confidence intervals (the assessment noise was derived from Cree's p values; this checks the derivation)."""

import json

import numpy as np
import pytest

from ldnsim.errors import InputError
from ldnsim.trials.design import design_from_dict, load_design, preset_path
from ldnsim.trials.run import run_trial


def _doc(name):
    import yaml

    return yaml.safe_load(preset_path(name).read_text())


@pytest.mark.parametrize("condition", ["lupus", "asthma", ""])
def test_uncovered_condition_is_refused_by_the_schema(condition):
    d = _doc("smith2011")
    d["condition"] = condition
    with pytest.raises(InputError) as e:
        design_from_dict(d)
    assert "condition" in str(e.value)


def test_aliases_resolve():
    d = _doc("smith2011")
    d["condition"] = "Crohn's disease"
    assert design_from_dict(d).condition == "crohns"


@pytest.mark.parametrize(
    "preset, mutate, field",
    [
        (
            "smith2011",
            lambda d: d["endpoints"].append({"name": "p", "kind": "pct_reduction"}),
            "endpoints.5.kind",
        ),
        (
            "younger2013",
            lambda d: d["endpoints"].append({"name": "c", "kind": "cdai_response"}),
            "endpoints.4.kind",
        ),
        ("cree2010", lambda d: d["endpoints"][0].pop("measure"), "endpoints.0.measure"),
        ("cree2010", lambda d: d["endpoints"][0].update(measure="edss"), "endpoints.0.measure"),
        ("smith2011", lambda d: d["endpoints"][2].update(threshold_points=3), "endpoints.2.threshold_points"),
    ],
)
def test_endpoints_belong_to_their_condition(preset, mutate, field):
    d = _doc(preset)
    mutate(d)
    with pytest.raises(InputError) as e:
        design_from_dict(d)
    assert field in str(e.value)


def test_pain_model_options_are_refused(fake_immune):
    with pytest.raises(InputError, match="variant"):
        run_trial("smith2011", replicates=1, variant="mu-only")


def test_same_seed_same_numbers_and_json_carries_the_disclaimer(fake_immune):
    a = run_trial("smith2011", replicates=3, seed=4).to_json()
    b = run_trial("smith2011", replicates=3, seed=4).to_json()
    a.pop("timing_s"), b.pop("timing_s")
    assert json.dumps(a, default=str) == json.dumps(b, default=str)
    assert a["disclaimer"] == "For research and education only; not medical advice."
    assert set(a["arms"]["ldn"]["endpoints"]) == {
        "cdai70",
        "cdai_remission",
        "cdai_change",
        "endoscopic_response",
        "endoscopic_remission",
    }
    assert a["design"]["condition"] == "crohns" and a["design"]["variant"] == "immune"


def test_ldn_effect_follows_the_immune_module(fake_immune):
    none = run_trial("smith2011", patients=400, replicates=1, seed=1, params={"fake_emax": 0.0})
    some = run_trial("smith2011", patients=400, replicates=1, seed=1, params={"fake_emax": 0.6})
    d0 = none.arms["ldn"].endpoints["cdai70"] - none.arms["placebo"].endpoints["cdai70"]
    d1 = some.arms["ldn"].endpoints["cdai70"] - some.arms["placebo"].endpoints["cdai70"]
    assert abs(d0) < 0.08 and d1 > 0.15  # no immune effect -> no difference (blinded: same expectation)


def test_report_shows_the_new_endpoints_and_disclaimer(fake_immune, tmp_path):
    from ldnsim.trials.report import write_report

    res = run_trial("smith2011", replicates=2, seed=0)
    html = open(write_report(res, tmp_path / "s.html")).read()
    for ep in ("cdai70", "endoscopic_response", "cdai_remission", "CDAI (points)"):
        assert ep in html
    assert "For research and education only; not medical advice." in html
    assert "TLR4 IC50" not in html  # the pain model's calibration is not shown for a Crohn's trial


def test_cree2010_precision_matches_the_published_intervals(fake_immune):
    """With each measure's effect set to its published difference per unit relief, the simulated trials of
    Cree's size have 95% CIs as wide as the ones derived from the published p values (within x/÷1.5)."""
    res = run_trial("cree2010", replicates=60, seed=3)
    widths = [c for c in res.comparison if c.kind == "ci_width"]
    assert len(widths) == 4 and all(c.within for c in widths)


def test_cree2010_physical_component_is_kept_aside_and_not_significant(fake_immune):
    res = run_trial("cree2010", replicates=60, seed=3)
    pcs = next(c for c in res.replicates.contrasts if c.endpoint == "sf36_pcs")
    assert pcs.power < 0.15  # Cree 2010: physical measures not significant


def test_gironi_direction_only(fake_immune):
    res = run_trial("gironi2008", replicates=5, seed=0)
    c = next(c for c in res.comparison if c.quantity == "ldn.spasticity_change")
    assert c.kind == "direction" and c.within is True and c.simulated < 0


def test_lie2018_is_context_without_a_verdict(fake_immune):
    res = run_trial("lie2018", replicates=2, seed=0)
    assert load_design("lie2018").role == "context"
    assert all(c.within is None for c in res.comparison)


def test_itt_counts_dropouts_as_non_responders(fake_immune):
    d = load_design("smith2011").model_copy(
        update={
            "analysis": "itt-bocf",
            "realism": load_design("smith2011").realism.model_copy(update={"dropout_per_week": 0.05}),
        }
    )
    itt = run_trial(d, patients=200, replicates=1, seed=2).arms["ldn"]
    comp = run_trial(
        d.model_copy(update={"analysis": "completers"}), patients=200, replicates=1, seed=2
    ).arms["ldn"]
    assert itt.n > comp.n
    assert itt.endpoints["cdai70"] < comp.endpoints["cdai70"]
    assert np.isfinite(itt.endpoints["cdai_change"])


def test_calibration_targets_are_readable_by_the_bayesian_calibration(fake_immune):
    """The hook: each arm target's ``quantity`` reads the simulated value from a trial summary the way the
    Bayesian calibration reads its targets, and carries a sampling SE (binomial at the effective n)."""
    from ldnsim.trials.calibrate import summary_quantity
    from ldnsim.trials.disease.calibrate import binomial_deviance, targets

    summary = run_trial("smith2011", replicates=2, seed=0).summary
    for t in targets()["crohns_ldn"]:
        v = summary_quantity(summary, t["quantity"])
        assert v == summary["arms"][t["arm"]]["endpoints"][t["endpoint"]]
        assert t["se"] == pytest.approx((t["published"] * (1 - t["published"]) / t["n_eff"]) ** 0.5, abs=1e-4)
    assert binomial_deviance(0.88, 0.88, 20) == pytest.approx(0.0)
    assert binomial_deviance(0.5, 0.88, 20) > 3.84  # a rate outside the published 95% range


def test_paediatric_design_enrols_on_pcdai(fake_immune):
    """A design with PCDAI endpoints screens on PCDAI (entry >= 30 by default, or the design's window) and
    reads PCDAI response (>= 12.5-point fall) and remission (<= 10)."""
    d = _doc("smith2011")
    d["name"] = "paediatric"
    d["endpoints"] = [{"name": "pcdai_response", "kind": "pcdai_response"},
                      {"name": "pcdai_remission", "kind": "pcdai_remission"},
                      {"name": "pcdai_change", "kind": "pcdai_change"}]
    d["primary"] = "pcdai_response"
    d["contrasts"] = [{"a": "ldn", "b": "placebo", "endpoint": "pcdai_response"}]
    d.pop("published")
    design = design_from_dict(d)
    res = run_trial(design, patients=300, replicates=1, seed=1, params={"fake_emax": 0.6})
    ldn, pl = res.arms["ldn"].endpoints, res.arms["placebo"].endpoints
    assert ldn["pcdai_response"] > pl["pcdai_response"] and ldn["pcdai_change"] < pl["pcdai_change"] < 0
    d["inclusion"] = {"score_min": 45, "score_max": 100}
    high = run_trial(design_from_dict(d), patients=300, replicates=1, seed=1, params={"fake_emax": 0.6})
    # a higher entry window: fewer patients reach PCDAI <= 10 on placebo
    assert high.arms["placebo"].endpoints["pcdai_remission"] < pl["pcdai_remission"]
    assert high.screened_per_enrolled > res.screened_per_enrolled


def test_model_block_names_the_immune_model_and_its_readout_record(fake_immune):
    m = run_trial("smith2011", replicates=1, seed=0).to_json()["model"]
    assert m["variant"] == "immune" and m["occupancy"] is None and m["shipped_default"] is True
    assert m["tlr4_ic50_nM"] is None and m["parameter_set"]["draws"] is None  # no pain-model IC50, no draws
    assert m["parameter_set"]["calibration"]["record"] == "disease/calibrated.yaml"
    assert "disease/crohns.yaml" in m["parameter_set"]["files"]
    u = run_trial("smith2011", replicates=1, seed=0, use_calibrated=False).to_json()["model"]
    assert u["shipped_default"] is False and u["parameter_set"]["calibration"] is None
