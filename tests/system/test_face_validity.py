"""Face validity of the shipped parameter set: one parametrised test over the table in
ldnsim.validation (evidence and tolerances there; docs/credibility.md publishes it). The model was FIXED to
pass these rows (tau_mu, e_A, the OGF-OGFr term), not the rows to pass the model."""

import numpy as np
import pytest

from ldnsim.validation import ROWS


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_face_validity(row):
    value = row.measure()
    assert np.isfinite(value)
    assert row.passes(value), f"{row.name}: {value:.3f} fails '{row.criterion}' ({row.evidence})"


def test_the_table_covers_every_chronic_condition_and_the_healthy_preset():
    from ldnsim.system import condition_names

    flat = {r.name.split(":")[0] for r in ROWS if "untreated course flat" in r.name}
    assert flat == set(condition_names())
