import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def fake_model(monkeypatch):
    """Replace the trial layer's model with the TEST DOUBLE (pure trial-mechanics tests only)."""
    from fake_model import fake_simulate

    from ldnsim.trials import model as trial_model

    monkeypatch.setattr(trial_model, "SIMULATE", fake_simulate)
    return fake_simulate
