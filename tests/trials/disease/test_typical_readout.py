"""``ldnsim simulate --condition crohns|ms``: the immune module's course with the disease readout of a typical
patient, checked against the readout's own formula on the module's inflammation."""

import json

import numpy as np

from ldnsim.cli._app import run
from ldnsim.trials.disease.params import readout_parameters


def test_crohns_readout_follows_the_mucosa(capsys):
    rc = run(["simulate", "--condition", "crohns", "--regimen", "naltrexone 4.5 mg nightly", "--days", "30",
              "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["disclaimer"] == "For research and education only; not medical advice."
    p = readout_parameters("crohns")
    m = np.asarray(doc["states"]["mucosal_inflammation"])
    want = p["cdai.floor"] + (p["cdai.baseline_mean"] - p["cdai.floor"]) * m ** p["inflammation.elasticity"]
    np.testing.assert_allclose(doc["readout_typical_patient"]["cdai"], want, rtol=1e-12)
    assert doc["readout_typical_patient"]["cdai"][-1] < doc["readout_typical_patient"]["cdai"][0]


def test_ms_untreated_readout_stays_at_baseline(capsys):
    assert run(["simulate", "--condition", "ms", "--days", "10", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    p = readout_parameters("ms")
    mcs = doc["readout_typical_patient"]["sf36_mcs"]
    np.testing.assert_allclose(mcs, p["measures.sf36_mcs.baseline_mean"])
