import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def fake_model(monkeypatch):
    """Replace ldnsim.simulate with the TEST DOUBLE (pure trial-mechanics tests only)."""
    from fake_model import fake_simulate

    import ldnsim

    monkeypatch.setattr(ldnsim, "simulate", fake_simulate, raising=False)
    return fake_simulate
