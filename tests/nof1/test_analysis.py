"""The N-of-1 analysis recovers known truth, handles missing days, and is calibrated on model patients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ldnsim.nof1 import block_weeks_for, fit, load_priors, make_plan, more_weeks, pool, summarise
from ldnsim.nof1.analysis import DECISION_NO, first_order
from ldnsim.nof1.characteristics import operating_characteristics
from ldnsim.trials.measurement import ar1_noise, ou_process
from ldnsim.trials.placebo import expectation_course

P = load_priors()


def _series(beta, on, expect, *, level=6.0, placebo=1.0, tau=30.0, seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    T = on.size
    g = first_order(expect, P.placebo_onset_days, P.placebo_offset_days)
    y = (
        level
        - beta * first_order(on, tau)
        - placebo * g
        + ou_process(rng, 1, T, P.fluct_sd_nrs, 21)[0]
        + ar1_noise(rng, 1, T, P.diary_sd_nrs, P.diary_ar1)[0]
    )
    y = np.round(np.clip(y, 0, 10))
    y[rng.random(T) < missing] = np.nan
    return y


def test_first_order_matches_the_trial_layers_expectation_course():
    target = np.r_[np.zeros(10), np.ones(40), np.zeros(30)]
    phases = [(0, 10), (10, 50), (50, 80)]
    ref = expectation_course(phases, [False, True, False], 21.0, 10.0)
    assert np.allclose(first_order(target, 21.0, 10.0), ref)


@pytest.mark.parametrize("seed", [3, 4])
def test_blinded_design_separates_ldn_from_placebo(seed):
    """A true non-responder (benefit 0) is called "no clinically important benefit" and its interval holds 0;
    a strong responder (3 NRS) is never called that, its interval holds 3, and the data pull the estimate
    far from the prior mean.

    The benefit prior N(0.068, 2.03²) (data/nof1/priors.yaml) is centred on the model's posterior-predictive
    benefit (~0) and is weakly informative, so the diary decides: with seeds 3–6 the 3 NRS responder's
    estimate is 2.3–2.7 NRS with 90 % intervals of about 1–4.2 (these series rise with one 30-day time
    constant, not the analysis's two-phase onset). Not asserted: that it is called "works" in one 46-week
    series (seeds 3–6: three times; otherwise "undecided"); bench/nof1_validation.py measures sensitivity
    and specificity over the prior, and coverage is the simulation-based calibration's job, not a single
    seed's.
    """
    plan = make_plan("blinded", start="2025-01-01", pattern="ABAB", seed=1)
    on, ex = plan.on_ldn(), plan.expectation()
    y0 = _series(0.0, on, ex, placebo=1.3, seed=seed)
    s0 = summarise(fit(y0, on, ex, blinded=True))
    assert s0["decision"] == DECISION_NO
    assert s0["benefit_nrs"]["lo"] <= 0.0 <= s0["benefit_nrs"]["hi"]
    y3 = _series(3.0, on, ex, placebo=1.3, seed=seed)
    s3 = summarise(fit(y3, on, ex, blinded=True))
    assert s3["decision"] != DECISION_NO
    assert s3["benefit_nrs"]["median"] > P.beta_mean_nrs + 1.5
    assert 0.5 < s3["benefit_nrs"]["lo"] and s3["benefit_nrs"]["lo"] <= 3.0 <= s3["benefit_nrs"]["hi"]
    assert s0["rated_days"] == int(np.isfinite(y0).sum())


def test_missing_days_are_absent_not_imputed():
    plan = make_plan("open", start="2025-01-01", ldn_weeks=16)
    on, ex = plan.on_ldn(), plan.expectation()
    y = _series(2.0, on, ex, seed=5, missing=0.0)
    f_full = fit(y, on, ex)
    y_gap = y.copy()
    y_gap[40:60] = np.nan  # a three-week gap
    f_gap = fit(y_gap, on, ex)
    # the gap widens the interval but keeps the estimate near the full-data one
    s_full, s_gap = summarise(f_full), summarise(f_gap)
    assert abs(s_gap["benefit_nrs"]["median"] - s_full["benefit_nrs"]["median"]) < 0.6
    w = lambda s: s["benefit_nrs"]["hi"] - s["benefit_nrs"]["lo"]  # noqa: E731
    assert w(s_gap) >= w(s_full) - 0.05


def test_exact_probabilities_agree_with_draws():
    plan = make_plan("open", start="2025-01-01", ldn_weeks=12)
    on, ex = plan.on_ldn(), plan.expectation()
    f = fit(_series(1.5, on, ex, seed=9), on, ex)
    d = f.draws(n=20000, seed=1)
    assert f.p_any_benefit() == pytest.approx((d["beta"] > 0).mean(), abs=0.01)
    assert f.p_fraction_at_least(0.3) == pytest.approx((d["beta"] >= 0.3 * d["level"]).mean(), abs=0.01)


def test_block_length_follows_the_onset_prior():
    """The default block is the fewest whole weeks in which the model's two-phase onset reaches 80 % of the
    steady state at the prior median of the slow time constant."""
    tau_med, w, tf = math.exp(P.tau_log_mean), P.onset_fast_fraction, P.onset_fast_tau_days

    def reach(days):
        return w * (1 - math.exp(-days / tf)) + (1 - w) * (1 - math.exp(-days / tau_med))

    weeks = block_weeks_for(P)
    assert reach(7 * weeks) >= 0.8 > reach(7 * (weeks - 1))
    on = np.r_[np.zeros(7), np.ones(7 * weeks)]
    assert P.onset(on, tau_med)[-1] == pytest.approx(reach(7 * weeks), abs=0.02)  # same form as the analysis
    short = make_plan("blinded", start="2025-01-01", block_weeks=1, seed=0)
    assert any("only" in n for n in short.notes)  # a 1-week block is flagged as too short for LDN


def test_reduced_sbc_coverage_and_comparators():
    """Virtual patients from the calibrated model (reduced version of bench/nof1_validation.py)."""
    plan = make_plan("open", start="2025-01-01", baseline_weeks=2, ldn_weeks=12)
    oc = operating_characteristics(
        plan.on_ldn(), plan.expectation(), analysis_days=[98], n=80, n_shapes=12, seed=21, comparators=True
    )
    row = oc["by_day"][0]
    n = row["analysed"]
    assert n >= 60
    # 90% intervals: binomial 3-SE band around 0.9
    se = math.sqrt(0.09 / n)
    assert 0.9 - 3 * se <= row["model"]["coverage90"] <= min(1.0, 0.9 + 3 * se)
    # the t-test estimates the total change (placebo included): its interval misses the LDN effect more often
    assert row["ttest"]["coverage90"] < row["model"]["coverage90"]
    assert row["model"]["specificity"] >= row["ttest"]["specificity"]


def test_more_weeks_and_clinic_pooling():
    plan = make_plan("blinded", start="2025-01-01", pattern="ABAB", seed=1)
    on, ex = plan.on_ldn(), plan.expectation()
    short = 7 * 8
    fits = [fit(_series(2.0, on, ex, seed=s)[:short], on[:short], ex[:short], blinded=True) for s in range(8)]
    res = more_weeks(fits[0], (4, 12), n_sim=8, on_ldn_future=on[short:], expect_future=ex[short:])
    assert [r["weeks"] for r in res] == [4, 12] and all(0 <= r["p_decided"] <= 1 for r in res)
    pooled, hyper = pool(fits)
    assert hyper["pooled"] and abs(hyper["mean_nrs"] - 2.0) < 1.0 and hyper["sd_nrs"] < P.beta_sd_nrs
    # partial pooling moves every estimate towards the clinic mean
    before = np.array([summarise(f)["benefit_nrs"]["median"] for f in fits])
    after = np.array([summarise(f)["benefit_nrs"]["median"] for f in pooled])
    assert np.std(after) < np.std(before)


def test_virtual_patients_truth_is_the_steady_state_benefit():
    """The virtual patients' true benefit is the steady-state benefit the analysis estimates: the glial onset
    shape after 12 weeks of LDN is a fraction of it, inside the interquartile range of what the analysis's
    two-phase onset prior says 12 weeks reach (model: median 0.79; prior: IQR 0.75-0.91). Dividing by the
    amplitude fitted over the 12-week window itself (the generator until 2026-12-06) made every shape reach
    ~1.0 by week 12 (median 1.01) and the open-label intervals over-covered (93.8 %). The μ-blockade/OGF
    course stays at the model's own size."""
    from ldnsim.nof1.virtual import model_shapes

    plan = make_plan("open", start="2025-01-01", baseline_weeks=2, ldn_weeks=12)
    levels, shape, course, a0 = model_shapes(plan.on_ldn(), 40, seed=3)
    reached = np.median(shape[:, -1])  # benefit on the last LDN day / steady-state benefit
    taus = np.exp(P.tau_log_mean + P.tau_log_sd * np.random.default_rng(0).standard_normal(20000))
    w = np.array([P.fast_fraction_at(t) for t in taus])
    prior_reach = w * (1 - np.exp(-84 / P.onset_fast_tau_days)) + (1 - w) * (1 - np.exp(-84 / taus))
    prior_q25, prior_q75 = np.quantile(prior_reach, [0.25, 0.75])
    assert prior_q25 <= reached <= prior_q75
    assert reached < 0.97
    assert np.abs(shape[:, :14]).max() < 1e-6 and levels.size >= 35  # no benefit before LDN starts
    assert np.abs(course[:, :14]).max() < 1e-6
    # the μ/OGF course is the model's own (tenths of a point at most), not scaled up to the benefit prior
    assert np.abs(course).max() < 0.5 and np.abs(a0).max() < 0.5 and np.abs(course).max() > 0.01
