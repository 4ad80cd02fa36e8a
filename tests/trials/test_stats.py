"""Statistics against textbook values and simple invariants."""

import numpy as np
import pytest
from scipy import stats as sps

from ldnsim.trials import stats as st


def test_paired_continuous_matches_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(30, 10, 25)
    b = a - 8 + rng.normal(0, 5, 25)
    r = st.paired_continuous(a, b)
    assert r["difference"] == pytest.approx(np.mean(a - b))
    assert r["p_value"] == pytest.approx(sps.ttest_rel(a, b).pvalue)
    assert r["ci95"][0] < r["difference"] < r["ci95"][1]


def test_unpaired_continuous_matches_welch():
    rng = np.random.default_rng(1)
    a, b = rng.normal(30, 10, 20), rng.normal(20, 15, 30)
    r = st.unpaired_continuous(a, b)
    assert r["p_value"] == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)


def test_binary_tests():
    a = np.array([1] * 9 + [0] * 19, float)
    b = np.array([1] * 3 + [0] * 25, float)
    r = st.unpaired_binary(a, b)
    assert r["difference"] == pytest.approx(6 / 28)
    assert r["p_value"] == pytest.approx(sps.fisher_exact([[9, 19], [3, 25]])[1])
    assert r["ci95"][0] < r["difference"] < r["ci95"][1]
    p = st.paired_binary(a, b)  # 6 discordant pairs all favouring a
    assert p["p_value"] == pytest.approx(2 * 0.5**6)
    assert -1 <= p["ci95"][0] < p["difference"] < p["ci95"][1] <= 1


def test_mixed_model_recovers_effect():
    rng = np.random.default_rng(2)
    n = 40
    pid = np.r_[np.arange(n), np.arange(n)]
    subj = rng.normal(0, 10, n)
    trt = np.r_[["a"] * n, ["b"] * n]
    seq = np.r_[np.arange(n) % 2, np.arange(n) % 2]
    period = np.where((trt == "a") == (seq == 0), 1, 2)
    y = subj[pid] + np.where(trt == "a", 10.0, 0.0) + 2.0 * (period == 2) + rng.normal(0, 3, 2 * n)
    mm = st.mixed_model_crossover(y, pid, trt, period, seq, "a", "b")
    assert mm is not None
    assert mm["ci95"][0] < 10.0 < mm["ci95"][1]


def test_logistic_ed50():
    rng = np.random.default_rng(3)
    dose = rng.uniform(0.75, 6, 400)
    p = 1 / (1 + np.exp(-(dose - 3.9) * 2))
    y = (rng.random(400) < p).astype(float)
    assert st.logistic_ed(dose, y) == pytest.approx(3.9, abs=0.25)
    assert st.logistic_ed([1, 2, 3], [1, 0, 0]) is None  # negative slope


def test_replicate_summary_power():
    r = st.replicate_summary([5, 6, 7, -1], [0.01, 0.2, 0.001, 0.01])
    assert r["power"] == pytest.approx(0.5)
    assert r["difference_ci95"][0] < r["difference_ci95"][1]
