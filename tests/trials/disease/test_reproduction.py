"""Smith 2011 and Cree 2010 reproduced from their presets on the real immune module (the calibration's
done-means), and the studies kept aside as predictive checks: the Smith placebo arm (fitted to the
meta-analyses, not to Smith), Cree's physical component (no published effect) and Gironi 2008's direction."""

import pytest

from ldnsim.trials.run import run_trial


@pytest.fixture(scope="module")
def smith():
    return run_trial("smith2011", seed=0)  # the preset: 40 patients x 200 replicate trials


@pytest.fixture(scope="module")
def cree():
    return run_trial("cree2010", replicates=100, seed=0)


def _cmp(res):
    return {c.quantity: c for c in res.comparison}


@pytest.mark.parametrize("q", ["ldn.cdai70", "ldn.endoscopic_response"])
def test_smith2011_ldn_arm_within_its_published_uncertainty(smith, q):
    c = _cmp(smith)[q]
    assert c.within, (q, c.simulated, c.published, c.tolerance)


@pytest.mark.parametrize("q", ["ldn-placebo.cdai70.difference", "ldn-placebo.endoscopic_response.difference"])
def test_smith2011_differences_inside_the_replicate_trials_range(smith, q):
    c = _cmp(smith)[q]
    lo, hi = c.simulated_ci95
    assert c.within and lo <= c.published <= hi
    assert c.published_ci95[0] <= c.simulated <= c.published_ci95[1]  # and the other way round


@pytest.mark.parametrize("q", ["placebo.cdai70", "placebo.endoscopic_response"])
def test_smith2011_placebo_arm_predicted(smith, q):
    assert _cmp(smith)[q].within


@pytest.mark.parametrize("measure", ["sf36_mcs", "mhi", "pain_effects", "perceived_deficits"])
def test_cree2010_differences_within_the_published_intervals(cree, measure):
    c = _cmp(cree)[f"ldn-placebo.{measure}.difference"]
    assert c.within
    assert c.published_ci95[0] <= c.simulated <= c.published_ci95[1]
    assert _cmp(cree)[f"ldn-placebo.{measure}.ci95_width"].within


def test_cree2010_physical_component_not_significant(cree):
    pcs = next(c for c in cree.replicates.contrasts if c.endpoint == "sf36_pcs")
    assert pcs.power <= 0.1 and pcs.difference_ci95[0] < 0 < pcs.difference_ci95[1]


def test_gironi2008_spasticity_falls():
    c = _cmp(run_trial("gironi2008", seed=0))["ldn.spasticity_change"]
    assert c.within is True
