"""Posterior-predictive trials (issue 10 item 5): pooling over parameter draws, the comparison of the
published difference with its predictive interval, the CLI, and the validation trial (Bruun 2024, FINAL),
which is not in the calibration set, on the REAL model."""

import json

import numpy as np
import pytest

from ldnsim.cli import _register
from ldnsim.cli._app import run
from ldnsim.data.parameter_set import load_parameter_set
from ldnsim.errors import InputError
from ldnsim.trials.design import load_design
from ldnsim.trials.posterior import run_posterior
from ldnsim.trials.run import run_trial

_register()


def test_predictive_distribution_pools_the_trials_of_every_draw(fake_model):
    post = run_posterior("younger2009", draws=3, replicates=2, seed=7)
    c = post.contrasts[0]
    assert c["difference"].n == 6 and post.arms["ldn"]["pct_reduction_mean"].n == 6
    # draw 0 by hand: its two trials' LDN - placebo differences are among the pooled values
    ps = load_parameter_set("full")
    d0 = ps.draws(3, 7)[0]
    sys_o = {k: v for k, v in d0.items() if k in ps.system}
    real_o = {k: v for k, v in d0.items() if k in ps.realism and k not in ps.system}
    seed0 = int(np.random.SeedSequence([7, 0]).generate_state(1)[0])
    r0 = run_trial("younger2009", replicates=2, seed=seed0, params=sys_o or None, realism=real_o or None)
    by_hand = [pc.difference for pc in r0.per_replicate_contrasts[0]]
    assert by_hand == pytest.approx(list(c["difference"].values[:2]))
    # the published difference (30.2) is checked against the predictive interval, not only arm means
    row = next(r for r in post.comparison if r["quantity"] == "ldn-placebo.pct_reduction.difference")
    lo, hi = row["pi95"]
    assert row["within_pi95"] == (lo <= 30.2 <= hi)
    assert 0.0 <= row["predictive_percentile"] <= 1.0


def test_draws_out_of_range_name_the_field(fake_model, capsys):
    with pytest.raises(InputError, match="draws"):
        run_posterior("younger2009", draws=1)
    assert run(["trial", "younger2009", "--posterior", "--draws", "1", "--json"]) == 2
    err = capsys.readouterr()
    assert err.out == "" and "--draws" in err.err


def test_cli_posterior_json_and_report(fake_model, capsys, tmp_path):
    f = tmp_path / "p.html"
    args = ["trial", "bruun2024", "--patients", "20", "--replicates", "1", "--posterior", "--draws", "3"]
    assert run([*args, "--report", str(f), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    post = doc["posterior"]
    assert post["draws"] == 3 and post["trials"] == 3 and post["kind"].startswith("POSTERIOR")
    c = post["contrasts"][0]
    assert c["endpoint"] == "nrs_change" and c["difference"]["pi95"][0] <= c["difference"]["median"]
    assert {"ldn", "placebo"} <= set(post["arms"])
    assert any(r["kind"] == "difference" for r in post["comparison"])
    html = f.read_text()
    assert '<section id="posterior">' in html and "visual predictive check" in html
    # the calibration behind the draws, and that this trial was not one of its trials
    assert "Bayesian calibration behind these draws" in html and "out-of-sample prediction" in html


def test_validation_preset_is_not_a_calibration_trial():
    d = load_design("bruun2024")
    assert d.role == "validation" and d.analysis == "itt-bocf"
    from ldnsim.data import data_path

    cal = data_path("trials/calibrated.yaml").read_text(encoding="utf-8")
    assert "bruun2024" not in cal and "Bruun KD" not in cal


def test_validation_trial_difference_inside_its_predictive_interval():
    """FINAL (Bruun 2024), real model: LDN - placebo change in NRS -0.34 (95% CI -0.95 to 0.27). The
    posterior-predictive 95% interval of that difference must cover it and must be informative: not
    narrower than half, not wider than three times the published CI (1.22 NRS)."""
    post = run_posterior("bruun2024", draws=6, replicates=2, seed=0)
    row = next(r for r in post.comparison if r["quantity"] == "ldn-placebo.nrs_change.difference")
    lo, hi = row["pi95"]
    assert row["within_pi95"] and lo <= -0.34 <= hi
    assert 0.5 * 1.22 <= hi - lo <= 3 * 1.22


def test_report_shows_the_calibration_fit_from_the_shipped_record():
    """The report's Bayesian calibration block carries the fit of the design's own published summaries
    (one row per calibrated variant and target, values from system/posterior.yaml) and the fit figure of
    every summary; a validation design gets the figure but no in-sample rows."""
    import re

    import yaml

    from ldnsim.data import data_path
    from ldnsim.trials.design import load_design
    from ldnsim.trials.report import _bayes_calibration_html

    rec = yaml.safe_load(data_path("system/posterior.yaml").read_text(encoding="utf-8"))
    own = [(v, f) for v, vr in rec["variants"].items() for f in vr["fit"] if f["study"] == "younger2013"]
    assert len(own) == 4 * len(rec["variants"])  # 4 published Younger 2013 summaries per variant
    block = _bayes_calibration_html(load_design("younger2013"))
    assert 'alt="calibration fit of every variant"' in block
    rows = re.findall(r"<tr><td>[^<]+</td><td><code>([^<]+)</code></td>", block)
    assert len(rows) == len(own)
    v, f = own[0]
    assert f"<td>{f['posterior_median']:.3f} [{f['posterior_ci95'][0]:.3f}, " in block
    val = _bayes_calibration_html(load_design("bruun2024"))
    assert 'alt="calibration fit of every variant"' in val
    assert not re.findall(r"<tr><td>[^<]+</td><td><code>", val)
