"""Population trials on the engines: streamed endpoints equal the per-patient computation, memory does not
grow with the population, the CLI follows the contract."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from ldnsim.engines import BLOCK, LdnModel, Problem, get_engine
from ldnsim.errors import InputError
from ldnsim.trials.population import ChangeReducer, _quantile, parse_arm, run_population_trial

LDN = "naltrexone 4.5 mg nightly"


def test_streamed_endpoints_equal_the_per_patient_computation():
    """Two chunks reduced on the fly give the statistics numpy computes from every patient's numbers."""
    days = 6
    m = LdnModel(LDN, "fibromyalgia", days=days, n_sub=8)
    n = BLOCK + 300
    red = get_engine("numpy").run(Problem(m, n_patients=n, seed=2, endpoint_days=(days - 1,),
                                          keep_patients=False, reducer=ChangeReducer()))
    full = get_engine("numpy").run(Problem(m, n_patients=n, seed=2, endpoint_days=(days - 1,)))
    # baseline: each patient's pain at the untreated steady state, computed here independently
    from ldnsim.engines import patient_blocks
    from ldnsim.system import algebra

    base = []
    for a, b in ((0, BLOCK), (BLOCK, n)):
        ch = m.setup(patient_blocks(m, 2, a, b))
        d = {k: np.asarray(v, float)[None, :] for k, v in ch.baseline.items()}
        base.append(algebra(ch.y0[None], d, ch.p, np)["pain_nrs"][0])
    base = np.concatenate(base)
    end = full.pain_endpoints[:, -1]
    change = end - base
    pct = change / base
    r = red.reduced
    assert r["n"] == n
    assert r["sum_change"] == pytest.approx(change.sum(), rel=1e-12)
    assert r["sumsq_change"] == pytest.approx(change @ change, rel=1e-12)
    assert r["responders_30"] == np.sum(pct <= -0.30)
    assert r["hist_end"].sum() == n
    # the streamed median is within one 0.05-NRS bin of the exact one
    assert abs(_quantile(r["hist_end"], 0.5) - np.median(end)) <= 0.05
    assert red.pain_endpoints is None and red.final_state is None


def test_population_trial_summary_and_comparison():
    res = run_population_trial(patients=400, days=21, seed=3, paired=True)
    ctrl, ldn = res.arms["untreated"], res.arms["LDN 4.5 mg"]
    # untreated patients stay at their steady state; paired arms share baselines exactly
    assert abs(ctrl["change"]["mean"]) < 1e-4
    assert ldn["baseline_pain"]["mean"] == pytest.approx(ctrl["baseline_pain"]["mean"], rel=1e-12)
    c = res.comparisons["LDN 4.5 mg vs untreated"]["difference_in_change"]
    assert c["ci95"][0] < c["estimate"] < c["ci95"][1] < 0  # LDN lowers pain in the model by week 3
    assert res.day_mean["LDN 4.5 mg"].shape == (21,)
    doc = res.to_dict()
    json.dumps(doc, default=float, allow_nan=False)
    assert doc["disclaimer"].startswith("For research and education")
    assert res.to_dataset().pain_day_mean.dims == ("arm", "day")


def test_unpaired_arms_draw_different_patients_and_same_seed_same_numbers():
    a = run_population_trial(patients=64, days=3, seed=5)
    b = run_population_trial(patients=64, days=3, seed=5)
    assert a.arms == b.arms
    assert a.arms["untreated"]["baseline_pain"] != a.arms["LDN 4.5 mg"]["baseline_pain"]


def test_memory_does_not_grow_with_the_population():
    """Peak traced memory for 3 chunks of patients is that of 1 chunk (nothing is kept per patient)."""
    m = LdnModel(LDN, "fibromyalgia", days=3, n_sub=4)
    eng = get_engine("numpy")
    eng.run(Problem(m, n_patients=8, endpoint_days=(2,)))  # imports, data files, caches

    def peak(n):
        tracemalloc.start()
        try:
            eng.run(Problem(m, n_patients=n, endpoint_days=(2,), keep_patients=False,
                            reducer=ChangeReducer()))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one, three = peak(BLOCK), peak(3 * BLOCK)
    assert three < 1.25 * one, (one, three)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"patients": 0}, "patients"),
        ({"patients": 10**9}, "patients"),
        ({"days": 1}, "days"),
        ({"arms": []}, "arms"),
        ({"arms": [("a", None), ("a", LDN)]}, "arms"),
        ({"n_sub": 5}, "n_sub"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        run_population_trial(**{"patients": 10, "days": 3, **kwargs})
    assert exc.value.field == field


def test_parse_arm():
    assert parse_arm("placebo=") == ("placebo", "")
    assert parse_arm(" ldn = naltrexone 4.5 mg nightly") == ("ldn", "naltrexone 4.5 mg nightly")
    with pytest.raises(InputError):
        parse_arm("no equals sign")


def test_dask_engine_reduces_the_same_numbers():
    pytest.importorskip("dask.distributed")
    m_args = dict(patients=50, days=3, seed=1)
    a = run_population_trial(**m_args)
    b = run_population_trial(**m_args, engine="dask")
    for name in a.arms:
        assert a.arms[name] == b.arms[name]


def test_cli_progress_lines_off_a_terminal():
    args = ["population-trial", "--patients", "20", "--days", "3", "--pk-iiv", "--progress", "--json"]
    run = subprocess.run([sys.executable, "-m", "ldnsim", *args], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "20/20 patients (100%)" in run.stderr and json.loads(run.stdout)["cost"]["pk_iiv"] is True


def test_cli_json_and_exit_codes(tmp_path):
    png = tmp_path / "p.png"
    run = subprocess.run([sys.executable, "-m", "ldnsim", "population-trial", "--patients", "30", "--days",
                          "4", "--arm", "control=", "--arm", f"ldn={LDN}", "--plot", str(png), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert set(doc["arms"]) == {"control", "ldn"} and "ldn vs control" in doc["comparisons"]
    assert png.stat().st_size > 10_000
    bad = subprocess.run([sys.executable, "-m", "ldnsim", "population-trial", "--days", "0", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "days" in bad.stderr and "Traceback" not in bad.stderr
