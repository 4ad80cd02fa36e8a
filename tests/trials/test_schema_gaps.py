"""Trial-design schema features of issue 10 item 6, with the TEST DOUBLE of the model (fast): a baseline per
period, titration text, completers vs ITT, mixed-condition populations, standardised effect sizes, a too-small
``--patients`` and an ED50 that the data cannot identify."""

import copy
import json
import math

import numpy as np
import pytest
from scipy import stats

from ldnsim.cli import _register
from ldnsim.cli._app import run
from ldnsim.errors import InputError
from ldnsim.regimen import Regimen
from ldnsim.trials import stats as st
from ldnsim.trials.design import design_from_dict
from ldnsim.trials.run import run_trial

_register()

NO_PLACEBO = {"placebo.expectation.double": 0.0, "placebo.expectation.single": 0.0}


def _phases(*spec):
    return [{"name": n, "weeks": w, **({"treatment": t} if t else {})} for n, w, t in spec]


def _crossover(**over):
    doc = {
        "name": "x",
        "type": "crossover",
        "blinding": "double",
        "patients": 24,
        "replicates": 2,
        "treatments": {"ldn": {"regimen": "naltrexone 4.5 mg nightly"}, "placebo": {"placebo": True}},
        "sequences": [
            {
                "name": "ldn-first",
                "phases": _phases(
                    ("baseline", 2, None), ("p1", 6, "ldn"), ("washout", 1, None), ("p2", 6, "placebo")
                ),
            },
            {
                "name": "placebo-first",
                "phases": _phases(
                    ("baseline", 2, None), ("p1", 6, "placebo"), ("washout", 1, None), ("p2", 6, "ldn")
                ),
            },
        ],
        "endpoints": [{"name": "pct", "kind": "pct_reduction", "last_days": 7}],
        "primary": "pct",
        "contrasts": [{"a": "ldn", "b": "placebo", "endpoint": "pct"}],
        "realism": {"dropout_per_week": 0.0},
    }
    doc.update(over)
    return doc


# --------------------------------------------------------------------------------- baseline per period


def test_per_period_baseline_removes_carry_over_from_the_second_period(fake_model):
    """The test double's benefit decays slowly (k_Sd), so after 8 weeks of LDN and a 1-week washout, pain
    is still low during a 1-week placebo period. Against the trial's first baseline, placebo after LDN looks
    like a large reduction (carry-over); against the washout just before it (per period), it is small."""
    only_ldn_first = _crossover()
    only_ldn_first["type"] = "fixed-order"
    only_ldn_first["sequences"] = [
        {
            "name": "ldn-first",
            "phases": _phases(
                ("baseline", 2, None), ("p1", 8, "ldn"), ("washout", 1, None), ("p2", 1, "placebo")
            ),
        }
    ]
    per_period = copy.deepcopy(only_ldn_first)
    per_period["endpoints"] = [
        {"name": "pct", "kind": "pct_reduction", "last_days": 7, "baseline": "per_period"}
    ]
    a = run_trial(design_from_dict(only_ldn_first), seed=1, realism=NO_PLACEBO, use_calibrated=False).summary
    b = run_trial(design_from_dict(per_period), seed=1, realism=NO_PLACEBO, use_calibrated=False).summary
    carry = a["arms"]["placebo"]["pct_reduction_mean"]
    fresh = b["arms"]["placebo"]["pct_reduction_mean"]
    assert carry > 8.0  # the first baseline credits placebo with LDN's lingering benefit
    assert abs(fresh) < carry / 2  # a new baseline each period removes most of it
    # the first period's baseline is the run-in either way: LDN's values are identical
    assert b["arms"]["ldn"]["pct_reduction_mean"] == pytest.approx(a["arms"]["ldn"]["pct_reduction_mean"])


def test_per_period_baseline_needs_an_untreated_phase_before_each_treatment():
    doc = _crossover()
    doc["sequences"][0]["phases"] = _phases(("baseline", 2, None), ("p1", 6, "ldn"), ("p2", 6, "placebo"))
    doc["endpoints"] = [{"name": "pct", "kind": "pct_reduction", "baseline": "per_period"}]
    with pytest.raises(InputError, match="endpoints.0.baseline"):
        design_from_dict(doc)


# ------------------------------------------------------------------------------------------- titration


@pytest.mark.parametrize(
    ("text", "start", "step", "every", "target"),
    [
        (
            "naltrexone 1.5 mg nightly, increase by 1.5 mg weekly to 6 mg",
            "1.5 mg",
            "1.5 mg",
            "1 week",
            "6 mg",
        ),
        (
            "naltrexone 1 mg nightly increasing by 1.5 mg every 2 weeks to 4.5 mg",
            "1 mg",
            "1.5 mg",
            "2 weeks",
            "4.5 mg",
        ),
        (
            "naltrexone 0.5 mg daily, titrate up by 0.5 mg each week to 3 mg",
            "0.5 mg",
            "0.5 mg",
            "1 week",
            "3 mg",
        ),
    ],
)
def test_titration_text_matches_the_titration_constructor(text, start, step, every, target):
    got = Regimen.parse(text)
    freq = "daily" if " daily" in text else "nightly"
    want = Regimen.titration("naltrexone", start=start, step=step, every=every, target=target, frequency=freq)
    horizon = 24.0 * 120
    assert [(e.time_h, e.dose_mg) for e in got.events(horizon)] == [
        (e.time_h, e.dose_mg) for e in want.events(horizon)
    ]


def test_titration_text_by_hand_and_in_a_trial():
    doses = [
        e.dose_mg
        for e in Regimen.parse("naltrexone 1.5 mg nightly, increase by 1.5 mg weekly to 6 mg").events(
            24.0 * 35
        )
    ]
    assert doses == [1.5] * 7 + [3.0] * 7 + [4.5] * 7 + [6.0] * 14
    # the last step is cut to the target, a hold duration ends the regimen, 'then' continues after it
    r = Regimen.parse(
        "naltrexone 1 mg nightly, increase by 1.5 mg weekly to 3 mg for 2 weeks, then 2 mg nightly"
    )
    steps = [(i.dose_mg, i.start_h / 24, None if i.stop_h is None else i.stop_h / 24) for i in r.items]
    assert steps == [(1.0, 0, 7), (2.5, 7, 14), (3.0, 14, 28), (2.0, 28, None)]
    with pytest.raises(InputError, match="regimen"):
        Regimen.parse("naltrexone 6 mg nightly, increase by 1.5 mg weekly to 3 mg")


# ---------------------------------------------------------------------------------- completers vs ITT


def _parallel(**over):
    doc = {
        "name": "par",
        "type": "parallel",
        "blinding": "double",
        "patients": 60,
        "replicates": 1,
        "treatments": {"ldn": {"regimen": "naltrexone 4.5 mg nightly"}, "placebo": {"placebo": True}},
        "sequences": [
            {"name": "ldn", "phases": _phases(("baseline", 1, None), ("treat", 10, "ldn"))},
            {"name": "placebo", "phases": _phases(("baseline", 1, None), ("treat", 10, "placebo"))},
        ],
        "endpoints": [
            {"name": "pct", "kind": "pct_reduction", "last_days": 7},
            {"name": "d", "kind": "cohens_d", "of": "pct"},
        ],
        "primary": "pct",
        "contrasts": [
            {"a": "ldn", "b": "placebo", "endpoint": "pct"},
            {"a": "ldn", "b": "placebo", "endpoint": "d"},
        ],
        "realism": {"dropout_per_week": 0.06},
    }
    doc.update(over)
    return doc


def test_itt_analyses_everyone_and_bocf_credits_dropouts_no_benefit(fake_model):
    res = {
        a: run_trial(
            design_from_dict(_parallel(analysis=a)), seed=4, realism=NO_PLACEBO, use_calibrated=False
        )
        for a in ("completers", "itt-bocf", "itt-locf")
    }
    pts = res["completers"].patients
    completers = int(pts["completer"].sum())
    assert completers < 60  # 6 %/week over 11 weeks: about half drop out
    n = {a: r.arms["ldn"].n + r.arms["placebo"].n for a, r in res.items()}
    assert n["completers"] == completers and n["itt-bocf"] == n["itt-locf"] == 60
    ldn = {a: r.arms["ldn"].pct_reduction_mean for a, r in res.items()}
    # the double's benefit grows over the treatment phase: completers > LOCF (partial benefit) > BOCF (none)
    assert ldn["completers"] > ldn["itt-locf"] > ldn["itt-bocf"] > 0
    # BOCF: a patient who left before the endpoint window has exactly no change
    wf = res["itt-bocf"].waterfall["ldn"]
    end = 7 * 11
    early = int(((pts["sequence"] == "ldn") & (pts["dropout_day"] <= end - 7)).sum())
    assert int(np.sum(np.abs(wf) < 1e-9)) >= early > 0
    assert res["itt-bocf"].to_json()["design"]["analysis"] == "itt-bocf"


# --------------------------------------------------------------------------- mixed-condition population


def test_mixed_condition_population_simulates_each_patient_with_their_condition(fake_model, monkeypatch):
    from ldnsim.trials import model as trial_model

    calls = []

    def spy(**kw):
        calls.append((kw["condition"], len(kw["patients"])))
        return fake_model(**kw)

    monkeypatch.setattr(trial_model, "SIMULATE", spy)
    doc = _parallel(population={"conditions": {"fibromyalgia": 2, "chronic_low_back_pain": 1}})
    r = run_trial(design_from_dict(doc), seed=2, use_calibrated=False)
    share = (r.patients["condition"] == "fibromyalgia").mean()
    assert share == pytest.approx(2 / 3, abs=0.15)
    assert {c for c, _ in calls} == {"fibromyalgia", "chronic_low_back_pain"}
    assert all(isinstance(c, str) for c, _ in calls)  # one condition per model call
    with pytest.raises(InputError, match="population.conditions.gout"):
        design_from_dict(_parallel(population={"conditions": {"gout": 1}}))


# ------------------------------------------------------------------------------- standardised effects


def test_cohens_d_and_dz_against_the_t_statistics():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 2.0, 40), rng.normal(0.0, 2.0, 35)
    t = stats.ttest_ind(a, b).statistic
    d = st.cohens_d(a, b)
    assert d["difference"] == pytest.approx(t * math.sqrt(1 / 40 + 1 / 35))  # d = t sqrt(1/na + 1/nb)
    assert d["ci95"][0] < d["difference"] < d["ci95"][1]
    x, y = rng.normal(1.0, 1.0, 30), rng.normal(0.5, 1.0, 30)
    tz = stats.ttest_rel(x, y).statistic
    dz = st.cohens_dz(x, y)
    assert dz["difference"] == pytest.approx(tz / math.sqrt(30))  # d_z = t / sqrt(n)
    assert dz["p_value"] == pytest.approx(stats.ttest_rel(x, y).pvalue)


def test_effect_size_endpoints_in_a_crossover(fake_model):
    doc = _crossover(
        endpoints=[
            {"name": "pct", "kind": "pct_reduction", "last_days": 7},
            {"name": "dz", "kind": "cohens_dz", "of": "pct"},
        ],
        contrasts=[
            {"a": "ldn", "b": "placebo", "endpoint": "pct"},
            {"a": "ldn", "b": "placebo", "endpoint": "dz"},
        ],
        replicates=1,
    )
    r = run_trial(design_from_dict(doc), seed=3, use_calibrated=False)
    pct, dz = r.contrasts
    # from the paired contrast: SD of the differences = CI half-width / t_crit * sqrt(n)
    sd = (pct.ci95[1] - pct.difference) / stats.t.ppf(0.975, pct.n - 1) * math.sqrt(pct.n)
    assert dz.test.startswith("Cohen's d_z") and dz.difference == pytest.approx(pct.difference / sd)
    assert "dz" not in r.arms["ldn"].endpoints  # a contrast endpoint, not a per-patient value
    with pytest.raises(InputError, match="endpoints.1.kind"):  # d_z needs paired data
        design_from_dict(
            _parallel(
                endpoints=[
                    {"name": "pct", "kind": "pct_reduction"},
                    {"name": "d", "kind": "cohens_dz", "of": "pct"},
                ],
                contrasts=[],
            )
        )


# ---------------------------------------------------------------------------------- too few patients


@pytest.mark.parametrize(("design", "patients"), [("younger2013", "1"), ("younger2009", "0")])
def test_too_few_patients_for_the_arms_exits_2_naming_the_field(fake_model, capsys, design, patients):
    assert run(["trial", design, "--patients", patients, "--json"]) == 2
    err = capsys.readouterr()
    assert err.out == "" and "patients" in err.err


def test_three_arms_need_three_patients(fake_model):
    doc = _parallel()
    doc["treatments"]["ldn6"] = {"regimen": "naltrexone 6 mg nightly"}
    doc["sequences"].append({"name": "ldn6", "phases": _phases(("baseline", 1, None), ("treat", 10, "ldn6"))})
    with pytest.raises(InputError, match=r"patients.*>= 3"):
        run_trial(design_from_dict(doc), patients=2, use_calibrated=False)
    r = run_trial(design_from_dict(doc), patients=3, use_calibrated=False, realism={"dropout.per_week": 0})
    assert all(a.n == 1 for a in r.arms.values())


# ------------------------------------------------------------------------------ ED50 not identifiable


def test_flat_dose_response_is_not_identifiable():
    rng = np.random.default_rng(5)
    doses = np.repeat(np.arange(0.75, 6.01, 0.75), 40)
    flat = rng.random(doses.size) < 0.5
    out = st.dose_for_response(doses, flat, 0.5, (0.75, 6.0))
    assert out["value"] is None and not out["identifiable"] and "not identifiable" in out["reason"]
    p = 1 / (1 + np.exp(-(doses - 3.0) * 2.0))  # true ED50 3 mg
    steep = rng.random(doses.size) < p
    ok = st.dose_for_response(doses, steep, 0.5, (0.75, 6.0))
    assert ok["identifiable"] and ok["value"] == pytest.approx(3.0, abs=0.4)


def test_up_and_down_on_a_flat_model_reports_no_population_ed50(fake_model, capsys):
    r = run_trial("bruun-plesner2020", replicates=2, seed=4, params={"fake_emax": 0.0}, use_calibrated=False)
    df = r.dose_finding
    assert df is not None and df.ed50_mg_population is None and not df.ed50_identifiable
    assert "not identifiable" in df.ed50_note
    doc = json.loads(json.dumps(r.to_json(), default=float))
    assert doc["dose_finding"]["ed50_identifiable"] is False
