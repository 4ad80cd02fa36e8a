"""Trial mechanics with a TEST DOUBLE of the model (fake_model.py): allocation, placebo, regression to the
mean, noise, dropout, endpoints, reproducibility, report. The calibrated results against the published
trials use the real model (test_calibrated.py)."""

from html.parser import HTMLParser

import numpy as np
import pytest

from ldnsim.trials.hypotheses import run_hypotheses
from ldnsim.trials.measurement import ar1_noise, dropout_days
from ldnsim.trials.placebo import expectation_course
from ldnsim.trials.report import SECTIONS, render_report
from ldnsim.trials.run import _allocate, run_trial


def test_counterbalanced_allocation_exact():
    rng = np.random.default_rng(0)
    lab = _allocate([16, 15], 31, rng)
    assert np.bincount(lab).tolist() == [16, 15]


def test_ar1_noise_autocorrelation_and_sd():
    x = ar1_noise(np.random.default_rng(1), 400, 200, 0.8, 0.5)
    assert x.std() == pytest.approx(0.8, rel=0.03)
    r = np.mean([np.corrcoef(row[1:], row[:-1])[0, 1] for row in x])
    assert r == pytest.approx(0.5, abs=0.03)


def test_expectation_course_rises_and_falls():
    g = expectation_course([(0, 14), (14, 42), (42, 70)], [False, True, False], 7, 10)
    assert g[:14].max() == 0
    assert 0.95 < g[41] <= 1.0
    assert g[69] < 0.1


def test_dropout_rate():
    d = dropout_days(np.random.default_rng(2), 20000, 154, 0.005)
    assert np.mean(d < 154) == pytest.approx(1 - 0.995**22, abs=0.01)


def test_same_seed_same_numbers(fake_model):
    a = run_trial("younger2013", replicates=2, seed=5, use_calibrated=False).summary
    b = run_trial("younger2013", replicates=2, seed=5, use_calibrated=False).summary
    a.pop("timing_s"), b.pop("timing_s")
    assert a == b
    c = run_trial("younger2013", replicates=2, seed=6, use_calibrated=False).summary
    assert c["arms"]["ldn"]["pct_reduction_mean"] != a["arms"]["ldn"]["pct_reduction_mean"]


def test_regression_to_the_mean_and_placebo(fake_model):
    no_placebo = {"placebo.expectation.double": 0.0}
    strict = run_trial("younger2013", replicates=4, seed=1, realism=no_placebo, use_calibrated=False)
    # with no expectation effect, the placebo arm still improves through regression to the mean...
    rtm = strict.summary["arms"]["placebo"]["pct_reduction_mean"]
    assert rtm > 0.5
    # ...and an expectation effect adds to it
    withp = run_trial(
        "younger2013", replicates=4, seed=1, realism={"placebo.expectation.double": 0.2}, use_calibrated=False
    )
    assert withp.summary["arms"]["placebo"]["pct_reduction_mean"] > rtm + 10


def test_json_contract_and_contrasts(fake_model):
    s = run_trial("younger2013", replicates=3, seed=2, use_calibrated=False).summary
    for arm in ("ldn", "placebo"):
        assert {"n", "pct_reduction_mean", "nrs_change_mean", "responder_rate"} <= set(s["arms"][arm])
    c = s["contrasts"][0]
    assert c["a"] == "ldn" and c["b"] == "placebo" and c["endpoint"] == "pct_reduction"
    assert c["ci95"][0] < c["difference"] < c["ci95"][1]
    assert "mixed_model" in c
    assert s["replicates"]["n"] == 3 and 0 <= s["replicates"]["power"] <= 1
    assert s["disclaimer"].startswith("For research")
    assert s["published"]["arms"]["ldn"]["pct_reduction_mean"] == 28.8


def test_parallel_open_label_design(fake_model):
    from ldnsim.trials.design import design_from_dict

    d = design_from_dict(
        {
            "name": "par",
            "type": "parallel",
            "blinding": "double",
            "patients": 40,
            "replicates": 2,
            "treatments": {
                "ldn": {"regimen": "naltrexone 1.5 mg nightly for 2 weeks, then 4.5 mg nightly"},
                "placebo": {"placebo": True},
            },
            "sequences": [
                {
                    "name": "ldn",
                    "phases": [
                        {"name": "baseline", "weeks": 1},
                        {"name": "treat", "weeks": 8, "treatment": "ldn"},
                    ],
                },
                {
                    "name": "placebo",
                    "phases": [
                        {"name": "baseline", "weeks": 1},
                        {"name": "treat", "weeks": 8, "treatment": "placebo"},
                    ],
                },
            ],
            "endpoints": [
                {"name": "pct", "kind": "pct_reduction", "last_days": 7},
                {"name": "resp", "kind": "responder", "threshold_pct": 30},
            ],
            "primary": "pct",
            "contrasts": [
                {"a": "ldn", "b": "placebo", "endpoint": "pct"},
                {"a": "ldn", "b": "placebo", "endpoint": "resp"},
            ],
        }
    )
    s = run_trial(d, seed=3, use_calibrated=False).summary
    assert s["contrasts"][0]["test"] == "Welch t-test"
    assert s["contrasts"][1]["test"] == "Fisher exact"
    assert s["arms"]["ldn"]["n"] + s["arms"]["placebo"]["n"] <= 40


def test_up_and_down_walk(fake_model):
    r = run_trial("bruun-plesner2020", replicates=2, seed=4, use_calibrated=False)
    df = r.summary["dose_finding"]
    doses = df["first_trial"]["doses"]
    resp = df["first_trial"]["responses"]
    assert doses[0] == 4.5
    for i in range(1, len(doses)):
        step = -0.75 if resp[i - 1] else 0.75
        assert doses[i] == pytest.approx(min(max(doses[i - 1] + step, 0.75), 6.0))
    assert df["ed50_mg_median"] is not None


class _Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.urls, self.imgs = [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.ids.append(a.get("id"))
        if tag == "img":
            self.imgs += 1
            assert a["src"].startswith("data:image/png;base64,")
        for k in ("src", "href"):
            if k in a and not str(a[k]).startswith(("data:", "#")):
                self.urls.append(a[k])
        if tag in ("link", "script") and a.get("src"):
            self.urls.append(a["src"])


def test_report_self_contained_with_all_sections(fake_model):
    r = run_trial("younger2013", replicates=2, seed=1, use_calibrated=False)
    hyp = run_hypotheses("younger2013", replicates=2, seed=1)
    html = render_report(r, {"hypotheses": hyp})
    p = _Sections()
    p.feed(html)
    assert set(SECTIONS) <= set(p.ids)
    assert p.urls == []  # nothing fetched from the network
    assert p.imgs >= 4  # design, trajectories, waterfall, mechanism
    assert "What each hypothesis predicts for this design" in html and "28.8" in html
    assert "point-value runs of each hypothesis" in html.lower()
    for v in ("null", "full", "full-potent-tlr4", "mu-rebound"):
        assert f"<tr><td><code>{v}</code></td>" in html


def test_report_ic50_is_the_posterior_median_with_its_credible_interval(fake_model):
    """The Uncertainty bullet states the shipped IC50 as the posterior median with the 95 % CrI of the
    record (system/posterior.yaml), and the superseded maximum-likelihood fit is collapsed and labelled."""
    from ldnsim.data.posterior import posterior_record
    from ldnsim.trials.provenance import _nm, model_info

    r = run_trial("younger2013", replicates=2, seed=1, use_calibrated=False)
    html = render_report(r)
    q = posterior_record()["variants"]["full"]["diagnostics"]["log10_tlr4_ic50_nM"]
    start = html.index('<section id="uncertainty">')
    unc = html[start:html.index("</section>", start)]
    assert f"the shipped value, {_nm(model_info('full').tlr4_ic50_nM)} nM, is the posterior median" in unc
    assert f"95% credible interval {_nm(10 ** q['q2.5'])}–{_nm(10 ** q['q97.5'])} nM" in unc
    assert "profile-likelihood interval are below" not in html
    ml = unc.index("Maximum-likelihood record of")
    assert unc.rfind("<details", 0, ml) > unc.rfind("</details>", 0, ml)  # inside a collapsed block
    assert "full-potent-tlr4" in unc[unc.rfind("<summary>", 0, ml):ml]
    # no hypotheses table was passed: the report says it was not run, it does not silently drop it
    assert "was not run for this report" in unc and '<h3 id="hypotheses">' not in unc
