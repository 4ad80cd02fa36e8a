"""The design-feature expectation model and baseline matching, against hand-computed values."""

import numpy as np
import pytest

from ldnsim.errors import InputError
from ldnsim.trials.design import load_design
from ldnsim.trials.enrol import match_baseline, realism_for
from ldnsim.trials.placebo import design_expectation


@pytest.mark.parametrize(
    ("e_ref", "weeks", "recall", "b_len", "b_rec", "expected"),
    [
        (0.3, 12, False, 0.0, 0.0, 0.3),  # reference design: unchanged
        (0.3, 40, True, 0.0, 0.0, 0.3),  # no coefficients: unchanged whatever the design
        (0.3, 12, True, 0.0, 1.0, 0.6 / (1 + np.exp(-1.0))),  # logit(0.5) = 0, +1 -> 0.4386
        (0.3, 24, False, 1.0, 0.0, 0.4),  # z = ln 2 -> 0.6 * 2/3
        (0.3, 6, False, 1.0, 0.0, 0.2),  # z = -ln 2 -> 0.6 * 1/3
    ],
)
def test_design_expectation(e_ref, weeks, recall, b_len, b_rec, expected):
    got = design_expectation(
        e_ref, weeks=weeks, recall=recall, cap=0.6, length_logit=b_len, recall_logit=b_rec
    )
    assert got == pytest.approx(expected, rel=1e-9)


def test_trial_realism_applies_the_design_features():
    d = load_design("bruun2024")  # 13 weeks, 7-day recall, double blind
    assert d.pain_report == "recall"
    base = realism_for(d, {"placebo.expectation.double": 0.3}, True)["placebo.expectation.double"]
    shifted = realism_for(
        d,
        {
            "placebo.expectation.double": 0.3,
            "placebo.design.recall_logit": 1.0,
            "placebo.design.length_logit": 0.0,
        },
        True,
    )["placebo.expectation.double"]
    assert shifted == pytest.approx(0.6 / (1 + np.exp(-1.0)), rel=1e-9)
    shipped = realism_for(d, None, True)
    assert base == pytest.approx(
        design_expectation(
            0.3,
            weeks=13,
            recall=True,
            cap=shipped["placebo.expectation_cap"],
            length_logit=shipped["placebo.design.length_logit"],
            recall_logit=shipped["placebo.design.recall_logit"],
        )
    )


def test_baseline_matching_hits_the_reported_mean_and_sd():
    rng = np.random.default_rng(0)
    pool = rng.uniform(3.0, 9.0, 4000)  # mean 6.0
    idx = match_baseline(pool, 500, 6.8, 1.0, np.random.default_rng(1))
    assert len(set(idx.tolist())) == 500  # no patient twice
    assert pool[idx].mean() == pytest.approx(6.8, abs=0.1)
    assert pool[idx].std() == pytest.approx(1.0, abs=0.15)


def test_unreachable_baseline_names_the_field():
    pool = np.random.default_rng(0).uniform(3.0, 6.0, 400)
    with pytest.raises(InputError, match="baseline_pain.mean"):
        match_baseline(pool, 100, 9.5, None, np.random.default_rng(1))
