"""Shared, cached simulations for the system behaviour tests (each simulate call is ~0.1-0.5 s)."""

from functools import cache

import pytest

from ldnsim.simulate import simulate

LDN = "naltrexone 4.5 mg nightly for 12 weeks"


@cache
def run(regimen=None, condition="fibromyalgia", days=140, variant="full", output="daily", esr=None):
    return simulate(regimen, condition=condition, days=days, variant=variant, output=output, esr_mm_h=esr)


@pytest.fixture(scope="session")
def sim():
    return run
