"""The Crohn's placebo arm (untreated mucosa) against the meta-analyses: response ~32% (Sedano/Jairath 2022),
remission 18% (95% CI 14-24%, Su 2004), and Su's two qualitative findings, which were NOT calibrated:
placebo remission is higher in longer trials and lower with higher baseline CDAI. Also the kept-aside placebo
arm of Smith 2011 (CDAI-70 40%). The immune module is replaced by a test double, which returns exactly 1
(untreated) for a placebo arm, like the real module."""

import pytest

from ldnsim.trials.run import run_trial


def _placebo(fake_immune, design="crohns-placebo-reference", **kw):
    res = run_trial(design, seed=11, **kw)
    return res.arms["placebo"].endpoints


def test_reference_trial_reproduces_the_meta_analytic_placebo_rates(fake_immune):
    e = _placebo(fake_immune, patients=3000, replicates=1)
    assert 0.14 <= e["cdai_remission"] <= 0.24  # Su 2004 95% CI
    assert e["cdai70"] == pytest.approx(0.32, abs=0.06)  # Sedano 2022


def test_longer_trials_have_more_placebo_remission(fake_immune):
    from ldnsim.trials.design import load_design

    d = load_design("crohns-placebo-reference")
    short = d.model_copy(
        update={
            "sequences": [
                d.sequences[0].model_copy(
                    update={"phases": [d.sequences[0].phases[0].model_copy(update={"weeks": 4})]}
                )
            ]
        }
    )
    long_ = d.model_copy(
        update={
            "sequences": [
                d.sequences[0].model_copy(
                    update={"phases": [d.sequences[0].phases[0].model_copy(update={"weeks": 16})]}
                )
            ]
        }
    )
    r4 = run_trial(short, patients=3000, replicates=1, seed=2).arms["placebo"].endpoints["cdai_remission"]
    r16 = run_trial(long_, patients=3000, replicates=1, seed=2).arms["placebo"].endpoints["cdai_remission"]
    assert r16 > r4 + 0.03


def test_higher_baseline_cdai_lowers_placebo_remission(fake_immune):
    lo = _placebo(fake_immune, patients=5000, replicates=1, realism={"cdai.baseline_mean": 260})
    hi = _placebo(fake_immune, patients=5000, replicates=1, realism={"cdai.baseline_mean": 360})
    assert hi["cdai_remission"] < lo["cdai_remission"] - 0.01  # direction only (Su 2004 gives no size)


def test_smith2011_placebo_arm_is_predicted_not_fitted(fake_immune):
    res = run_trial("smith2011", patients=40, replicates=100, seed=5)
    cmp = {c.quantity: c for c in res.comparison}
    assert cmp["placebo.cdai70"].within  # 40% +- 0.21 (binomial CI at 20 per arm)
    assert cmp["placebo.endoscopic_response"].within
