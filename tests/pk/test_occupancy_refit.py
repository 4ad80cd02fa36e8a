"""Joint PK/occupancy refit (data/occupancy.yaml, ldnsim.model._occupancy_fit) checked against the human
data it rests on: Lee 1988's 50 mg blockade half-time, the label's 48-h trough, Rabiner's peaks and
Yancey-Wrona 2011's null for IV 6β-naltrexol — per occupancy variant."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from ldnsim.data import load_yaml
from ldnsim.data.parameter_set import default_occupancy, load_parameter_set, occupancy_variant_names
from ldnsim.model import _occupancy_fit as fit

MS, PT = "metabolite-sustained", "parent-transient"
DOC = load_yaml("occupancy.yaml")
TG = DOC["targets"]


@cache
def values(variant: str) -> dict[str, float]:
    return {k.split("/", 1)[1]: v for k, v in load_parameter_set(f"full/{variant}").pk.items()}


def test_both_variants_are_declared_and_the_drug_file_holds_the_default():
    assert set(occupancy_variant_names()) == {MS, PT}
    assert values(default_occupancy()) == pytest.approx(fit.file_values(), rel=1e-12)


def test_default_reproduces_lee_1988_blockade_half_time():
    """Lee 1988 (J Nucl Med 29:1207): 50 mg, blockade half-time 72-108 h over scans at 1-168 h."""
    lo, hi = TG["lee_1988"]["half_time_h"]["range"]
    assert lo <= fit.blockade_half_time(values(default_occupancy())) <= hi


def test_parent_transient_cannot_reproduce_the_50mg_blockade():
    """The parent-transient hypothesis leaves the 72-168 h blockade unexplained: its half-time is far below
    Lee's and the label's 48-h trough on 50 mg every other day (0.70-0.80) is not reached."""
    p = values(PT)
    assert fit.blockade_half_time(p) < 0.6 * TG["lee_1988"]["half_time_h"]["range"][0]
    assert fit.label_trough(p) < 0.3


def test_default_reproduces_the_label_every_other_day_trough():
    """Swiss label: 50 mg every other day leaves 70-80 % blocked at 48 h."""
    lo, hi = TG["label_q48h"]["trough"]["range"]
    assert lo <= fit.label_trough(values(default_occupancy())) <= hi


@pytest.mark.parametrize("variant", [MS, PT])
def test_yancey_wrona_null_bounds_central_metabolite_occupancy(variant):
    """IV 6β-naltrexol ≤ 20 mg changed neither morphine analgesia nor pupil size (Yancey-Wrona 2011): central
    occupancy by the metabolite stays under the bound in the test window; under parent-transient at any time.
    (Before the refit the model gave 0.79 in that window.)"""
    bound = TG["yancey_wrona_2011"]["bound"]["value"]
    p = values(variant)
    assert fit.yancey_wrona_max(p) <= bound + 1e-3
    if variant == PT:
        assert fit.yancey_wrona_max(p, end_h=240.0) <= bound + 1e-3
    old = {"naltrexone.ke0": 38.0, "naltrexone.kp_uu": 0.282, "6beta-naltrexol.ke0": 0.0885,
           "6beta-naltrexol.kp_uu": 0.187}
    assert fit.yancey_wrona_max(old) > 0.6  # the check can fail: the pre-refit values violate it


@pytest.mark.parametrize("variant", [MS, PT])
@pytest.mark.parametrize("dose, lo, hi", [(2.0, 0.12, 0.42), (5.0, 0.28, 0.73), (15.0, 0.46, 0.85),
                                          (50.0, 0.85, 1.0)])
def test_peak_occupancy_matches_rabiner_pet(variant, dose, lo, hi):
    """Rabiner 2011 [11C]carfentanil peaks < 8 h (2 mg 0.27, 5 mg 0.43-0.58, 15 mg 0.61, 50 mg 0.92-0.98)
    ± 0.15, under both variants (they differ in the slow component, not the peak)."""
    occ = fit.occupancy_oral(dose, np.linspace(0, 8, 81), values(variant)).max()
    assert lo <= occ <= hi


@pytest.mark.parametrize("variant", [MS, PT])
def test_recorded_fit_quality_is_reproduced_at_the_shipped_values(variant):
    """The rms in data/occupancy.yaml is what the residuals give at the shipped values (the fit record is
    the fit of these numbers), and no free parameter moved ±10 % improves it by more than 2 %."""
    spec = DOC["variants"][variant]
    exclude = ("late",) if variant == PT else ()
    p = values(variant)
    rms = float(np.sqrt(np.mean(fit.residuals(p, exclude) ** 2)))
    assert rms == pytest.approx(spec["fit"]["rms"], abs=2e-3)
    for k in spec["fitted"]:
        for f in (0.9, 1.1):
            q = {**p, k: p[k] * f}
            assert np.sqrt(np.mean(fit.residuals(q, exclude) ** 2)) > 0.98 * rms, (k, f)


def test_ldn_nightly_occupancy_differs_in_shape_between_variants():
    """4.5 mg nightly, day 28: parent-transient gives a few hours of blockade > 30 % and a near-free trough;
    metabolite-sustained keeps > 30 % all day."""
    t = np.arange(24.0 * 27, 24.0 * 28, 0.25)
    pt = fit.occupancy_oral(4.5, t, values(PT), 24.0, 28)
    ms = fit.occupancy_oral(4.5, t, values(MS), 24.0, 28)
    assert 1.0 <= 0.25 * np.sum(pt > 0.3) <= 10.0 and pt.min() < 0.1
    assert ms.min() > 0.3
