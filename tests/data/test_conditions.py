"""Which model covers which condition, and the refusal of every other one (never run on the pain model)."""

import pytest

from ldnsim.data.conditions import check_condition, covered_conditions, disease_condition
from ldnsim.errors import InputError


@pytest.mark.parametrize(
    "name, want",
    [
        ("crohns", "crohns"),
        ("Crohn's disease", "crohns"),
        ("crohn", "crohns"),
        ("MS", "ms"),
        ("multiple sclerosis", "ms"),
        ("fibromyalgia", None),
        ("lupus", None),
    ],
)
def test_disease_condition(name, want):
    assert disease_condition(name) == want


def test_covered_lists_both_models():
    cov = covered_conditions()
    assert "fibromyalgia" in cov["pain model"] and cov["immune model"] == ["crohns", "ms"]


def test_pain_only_tools_refuse_disease_conditions_with_the_reason():
    with pytest.raises(InputError) as e:
        check_condition("crohns", allow=("pain",))
    assert "immune module" in str(e.value) and "pain model" in str(e.value)


@pytest.mark.parametrize("name", ["lupus", "rheumatoid arthritis", "  "])
def test_uncovered_names_are_refused_naming_the_accepted(name):
    with pytest.raises(InputError) as e:
        check_condition(name)
    msg = str(e.value)
    assert msg.startswith("condition:") and "fibromyalgia" in msg and "crohns" in msg


def test_pain_facade_refuses_disease_conditions():
    from ldnsim.simulate import simulate

    with pytest.raises(InputError, match="immune module"):
        simulate("naltrexone 4.5 mg nightly", condition="crohns", days=3)
    with pytest.raises(InputError, match="immune module"):
        simulate(None, condition="multiple sclerosis", days=3)
