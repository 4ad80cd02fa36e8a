"""ESR covariate, the osteoarthritis negative control, dextromethorphan (CYP2D6) and (+)-naltrexone.

The TLR4-dependent covariates are tested on the hypothesis in which glial TLR4 block acts at LDN
concentrations (``full-potent-tlr4``, system/variants.yaml); the shipped model's posterior-median IC50 (µM)
leaves them without effect (tests/system/test_ldn.py)."""

import numpy as np
import pandas as pd

from ldnsim.receptors import ligand_table
from ldnsim.simulate import simulate

LDN = "naltrexone 4.5 mg nightly for 12 weeks"
TLR4 = "full-potent-tlr4"


def test_higher_esr_gives_larger_ldn_response():
    pts = pd.DataFrame({"esr_mm_h": [5.0, 15.0, 30.0, 60.0]})
    base = simulate(None, days=84, patients=pts, variant=TLR4).pain_nrs.values[:, -1]
    ldn = simulate(LDN, days=84, patients=pts, variant=TLR4).pain_nrs.values[:, -1]
    resp = base - ldn
    assert np.all(np.diff(resp) > 0.05)


def test_osteoarthritis_gives_little_ldn_response(sim):
    oa = sim(None, "osteoarthritis", days=90, variant=TLR4).pain_nrs.values[0]
    oa_ldn = sim(LDN, "osteoarthritis", days=90, variant=TLR4).pain_nrs.values[0]
    fm = (sim(None, days=90, variant=TLR4).pain_nrs.values[0]
          - sim(LDN, days=90, variant=TLR4).pain_nrs.values[0])
    assert abs(oa[83] - oa_ldn[83]) < 0.5
    assert abs(oa[83] - oa_ldn[83]) < 0.3 * fm[83]


DXM = "dextromethorphan 30 mg every 8 hours for 4 weeks"


def test_dextromethorphan_lowers_nmda_drive_and_cyp2d6_phenotypes_differ():
    base = simulate(None, days=28)
    ds = simulate(DXM, days=28, patients=pd.DataFrame({"cyp2d6": ["em", "pm"]}))
    assert np.all(ds.nmda_drive.values[:, 20] < base.nmda_drive.values[0, 20] - 0.05)
    block = ds.nmda_block.values[:, 7:].mean(axis=1)
    assert max(block) > 2.0 * min(block)  # PM and EM differ several-fold


def test_cyp2d6_difference_follows_dextrorphan_exposure():
    """PM and EM differ, and the dextrorphan-borne part of the NMDA block differs between them as their
    dextrorphan exposure does. The total block is not asserted to follow dextrorphan: with the drug file's
    constants PM parent DXM (~70x EM exposure) out-blocks EM dextrorphan (docs/model.md, DXM and CYP2D6)."""
    from ldnsim.receptors import ligand_table

    ds = simulate(DXM, days=28, patients=pd.DataFrame({"cyp2d6": ["em", "pm"]}), output="hourly")
    names = list(ds.analyte.values)
    table = ligand_table()
    steady = ds.time_h.values >= 7 * 24
    conc = ds.effect_nM.values[:, steady, :]
    dxo, dxm = conc[..., names.index("dextrorphan")], conc[..., names.index("dextromethorphan")]
    x_o = dxo / table["dextrorphan"].nmda_ic50_nM
    x_m = dxm / table["dextromethorphan"].nmda_ic50_nM
    block = ds.nmda_block.values[:, steady]
    # the receptor layer's block is the two channel blockers' joint share (checked, not assumed)
    np.testing.assert_allclose(block, (x_o + x_m) / (1.0 + x_o + x_m), rtol=1e-6, atol=1e-9)
    exposure = dxo.mean(axis=1)  # mean unbound effect-site dextrorphan, proportional to its AUC
    borne = (block * x_o / np.maximum(x_o + x_m, 1e-30)).mean(axis=1)  # dextrorphan's part of the block
    em, pm = 0, 1
    assert exposure[em] > 3.0 * exposure[pm]  # EMs form dextrorphan, PMs hardly
    assert np.sign(borne[em] - borne[pm]) == np.sign(exposure[em] - exposure[pm])
    assert borne[em] / borne[pm] >= 0.5 * exposure[em] / exposure[pm]  # follows exposure, not diluted away
    assert abs(block[em].mean() - block[pm].mean()) > 0.05  # the phenotypes differ


def test_plus_naltrexone_acts_through_tlr4_without_mu_blockade():
    lig = ligand_table()["plus_naltrexone"]
    assert lig.tlr4_role == "antagonist" and lig.mu_role is None  # TLR4 only, no μ affinity
    regimen = "plus_naltrexone 4.5 mg nightly for 12 weeks"
    ds = simulate(regimen, days=84, variant=TLR4)
    base = simulate(None, days=84)
    assert float(ds.mu_antagonist.max()) < 1e-6  # no μ blockade
    assert float(ds.tlr4_inhibition.values[0, 7:].mean()) > 0.05
    assert ds.pain_nrs.values[0, -1] < base.pain_nrs.values[0, -1] - 0.3
    mu = simulate(regimen, days=84, variant="mu-only")
    assert abs(mu.pain_nrs.values[0, -1] - base.pain_nrs.values[0, -1]) < 0.05  # nothing without TLR4
