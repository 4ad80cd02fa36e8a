"""Condition presets: healthy pain ~0; chronic presets stable on the high-pain branch at their typical NRS."""

import numpy as np
import pytest

from ldnsim.errors import UnknownNameError
from ldnsim.system import STATE_NAMES, STATE_RANGES, condition_names, condition_params


def test_healthy_is_pain_free(sim):
    ds = sim(None, "healthy", days=60)
    assert float(ds.pain_nrs.max()) < 0.1
    assert abs(float(ds.microglia.max())) < 1e-9


@pytest.mark.parametrize("condition", ["fibromyalgia", "crps"])
def test_untreated_fm_and_crps_stable_between_5_and_8(sim, condition):
    ds = sim(None, condition, days=180)
    p = ds.pain_nrs.values[0]
    assert 5.0 <= p.min() and p.max() <= 8.0
    assert np.ptp(p) < 0.05  # stable: the untreated steady state of the high branch


@pytest.mark.parametrize("condition", [c for c in condition_names() if c != "healthy"])
def test_every_preset_sits_at_its_typical_pain(sim, condition):
    ds = sim(None, condition, days=30)
    typical = condition_params(condition)["typical_pain_nrs"]
    assert float(ds.pain_nrs.values[0, -1]) == pytest.approx(typical, abs=0.5)


def test_osteoarthritis_has_little_glial_component(sim):
    oa, fm = sim(None, "osteoarthritis", days=5), sim(None, "fibromyalgia", days=5)
    assert float(oa.microglia[0, 0]) < 0.5 * float(fm.microglia[0, 0])


def test_states_in_range_for_every_preset(sim):
    for c in condition_names():
        ds = sim(None, c, days=30)
        for s in STATE_NAMES:
            lo, hi = STATE_RANGES[s]
            assert lo - 1e-9 <= float(ds[s].min()) and float(ds[s].max()) <= hi + 1e-9, (c, s)


def test_unknown_condition_names_the_field():
    with pytest.raises(UnknownNameError, match="condition"):
        condition_params("fibromyalga")
