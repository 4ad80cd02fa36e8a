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


def test_published_model_numbers_are_current():
    """README's model numbers and docs/credibility.md's tables are generated from the shipped set
    (`ldnsim docs`); a stale number (like the old -1.81 NRS) fails here."""
    from pathlib import Path

    from ldnsim.validation import render_face_table, render_headline, render_variant_table
    from ldnsim.validation.face_validity import render_preset_table

    root = Path(__file__).resolve().parents[2]
    assert render_headline() in (root / "README.md").read_text(encoding="utf-8"), "run `ldnsim docs`"
    cred = (root / "docs" / "credibility.md").read_text(encoding="utf-8")
    assert render_face_table() in cred, "run `ldnsim docs`"
    assert render_variant_table() in cred, "run `ldnsim docs`"
    model_md = (root / "docs" / "model.md").read_text(encoding="utf-8")
    assert render_preset_table() in model_md, "run `ldnsim docs`"
