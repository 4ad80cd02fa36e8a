"""``run_hypotheses``: what each model hypothesis predicts for a design (point-value runs, same patients).

Published differences are checked against the trial papers' numbers (Younger 2013: 28.8 − 18.0 = 10.8
percentage points, CI 2.2–19.4; Younger & Mackey 2009: 32.5 − 2.3 = 30.2); the drug part against the
variants' mechanisms."""

import pytest

from ldnsim.trials.hypotheses import HYPOTHESES, run_hypotheses


@pytest.mark.parametrize(
    ("design", "published", "ci"),
    [("younger2013", 10.8, (2.2, 19.4)), ("younger2009", 32.5 - 2.3, None)],
)
def test_published_difference_is_the_papers(fake_model, design, published, ci):
    tab = run_hypotheses(design, variants=("full",), replicates=2, seed=1)
    assert tab is not None and (tab.a, tab.b) == ("ldn", "placebo")
    assert tab.published == pytest.approx(published)
    if ci is not None:
        assert tab.published_ci95 == pytest.approx(ci)


def test_rows_follow_the_variant_and_the_same_patients(fake_model):
    """The TEST DOUBLE cuts the drug effect to 30 % for mu-only: its LDN − placebo difference must be the
    smaller one on the same patients; every row records its range over the trials and the LOO record."""
    tab = run_hypotheses("younger2013", variants=("full", "mu-only"), replicates=3, seed=2)
    assert tab is not None and [r.variant for r in tab.rows] == ["full", "mu-only"]
    full, mu = tab.rows
    assert full.difference is not None and mu.difference is not None
    assert mu.difference < full.difference
    for r in tab.rows:
        lo, hi = r.difference_range
        assert lo <= r.difference <= hi
        assert r.elpd_diff is not None  # both were compared by PSIS-LOO (system/posterior.yaml)
    assert tab.to_json()["rows"][1]["variant"] == "mu-only"


def test_default_hypotheses_are_the_four_and_mu_only():
    assert {"null", "full", "full-potent-tlr4", "mu-rebound"} <= set(HYPOTHESES)


@pytest.mark.parametrize("design", ["smith2011", "bruun-plesner2020"])
def test_no_table_without_a_pain_reduction_contrast(design):
    """Crohn's designs (immune module) and dose finding (no LDN − placebo % reduction) get none."""
    assert run_hypotheses(design, replicates=1) is None


def test_potent_tlr4_predicts_a_drug_effect_the_null_model_cannot():
    """REAL model, same patients: the sub-nM TLR4 hypothesis adds to the LDN − placebo difference over the
    no-drug model (docs/credibility.md: +1.31 NRS system effect at 0.24 nM)."""
    tab = run_hypotheses("younger2009", variants=("null", "full-potent-tlr4"), replicates=2, seed=3)
    assert tab is not None
    null, potent = tab.rows
    assert null.tlr4_ic50_nM is None and potent.tlr4_ic50_nM == pytest.approx(0.23942)
    assert potent.difference - null.difference > 3.0
