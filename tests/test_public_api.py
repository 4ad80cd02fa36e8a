"""The public API: every name in ``ldnsim.__all__`` resolves, and ``import ldnsim`` stays light."""

import subprocess
import sys

import pytest

import ldnsim


def test_every_lazy_name_is_public():
    assert set(ldnsim._LAZY) <= set(ldnsim.__all__)


@pytest.mark.parametrize("name", ldnsim.__all__)
def test_every_public_name_resolves(name):
    assert getattr(ldnsim, name) is not None
    assert name in dir(ldnsim)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = ldnsim.no_such_thing


def test_simulate_stays_the_function_after_its_submodule_is_imported():
    import ldnsim.simulate  # noqa: F401 - binds the submodule on the package, which must not win
    from ldnsim.simulate import simulate

    assert ldnsim.simulate is simulate and callable(ldnsim.simulate)


def test_public_names_are_the_layers_functions():
    from ldnsim.clinical.hold import plan_hold
    from ldnsim.clinical.screen import screen
    from ldnsim.regimen import Regimen
    from ldnsim.trials.run import run_trial

    got = (ldnsim.trial, ldnsim.check, ldnsim.hold, ldnsim.Regimen)
    assert got == (run_trial, screen, plan_hold, Regimen)


def test_import_ldnsim_does_not_load_the_heavy_libraries():
    """Clinical commands start fast: the package import loads no xarray, pandas, scipy or layer."""
    code = (
        "import sys, ldnsim; ldnsim.Regimen; ldnsim.DISCLAIMER; "
        "heavy = ('xarray', 'pandas', 'scipy', 'ldnsim.simulate', 'ldnsim.pk'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
