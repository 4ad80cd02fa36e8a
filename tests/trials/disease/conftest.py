import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def fake_immune(monkeypatch):
    """Replace the immune module with the TEST DOUBLE (pure trial-mechanics tests only)."""
    from fake_immune import fake_simulate_immune

    from ldnsim.trials.disease import immune_link

    monkeypatch.setattr(immune_link, "SIMULATE_IMMUNE", fake_simulate_immune)
    return fake_simulate_immune
