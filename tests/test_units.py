"""Unit parsing: a table of inputs and the canonical values they must give (mg, h, mg/mL, mg/h)."""

import pytest

from ldnsim.errors import InputError, UnknownNameError
from ldnsim.units import parse_concentration, parse_duration, parse_mass, parse_rate

MASS_CASES = [
    ("4.5 mg", 4.5),
    ("4.5mg", 4.5),
    ("250 mcg", 0.25),
    ("250 ug", 0.25),
    ("250 µg", 0.25),
    ("1 g", 1000.0),
    ("0,5 mg", 0.5),
    ("1e-3 mg", 0.001),
    ("1 ug", 0.001),
]


@pytest.mark.parametrize("text,mg", MASS_CASES)
def test_parse_mass(text, mg):
    assert parse_mass(text) == pytest.approx(mg, rel=1e-12)


DURATION_CASES = [("72 h", 72.0), ("2 weeks", 336.0), ("3 d", 72.0), ("90 min", 1.5), ("1 year", 8766.0)]


@pytest.mark.parametrize("text,h", DURATION_CASES)
def test_parse_duration(text, h):
    assert parse_duration(text) == pytest.approx(h)


@pytest.mark.parametrize("text,mg_ml", [("1 mg/mL", 1.0), ("500 mcg/ml", 0.5), ("4.5 mg/5 mL", 0.9)])
def test_parse_concentration(text, mg_ml):
    assert parse_concentration(text) == pytest.approx(mg_ml)


@pytest.mark.parametrize("text,mg_h", [("25 mcg/h", 0.025), ("1.2 mg/day", 0.05)])
def test_parse_rate(text, mg_h):
    assert parse_rate(text) == pytest.approx(mg_h)


BAD = [
    (parse_mass, "-1 mg", "out of range"),
    (parse_mass, "0 mg", "out of range"),
    (parse_mass, "5000 mg", "out of range"),
    (parse_mass, "4.5 kg", "unknown mass unit"),
    (parse_mass, "four mg", "cannot be parsed"),
    (parse_mass, "4.5", "needs a unit"),
    (parse_mass, "nan mg", "cannot be parsed"),
    (parse_duration, "2 fortnights", "unknown time unit"),
    (parse_concentration, "1 mg", "mass per volume"),
    (parse_rate, "25 mcg/parsec", "unknown time unit"),
]


@pytest.mark.parametrize("fn,text,problem", BAD)
def test_bad_input_names_field_and_range(fn, text, problem):
    with pytest.raises(InputError) as exc:
        fn(text, "dose")
    msg = str(exc.value)
    assert msg.startswith("dose:")
    assert problem in msg
    assert "accepted:" in msg


def test_unknown_name_suggests_nearest():
    err = UnknownNameError("drug", "naltrexon", ["naltrexone", "naloxone", "morphine"])
    assert "did you mean naltrexone" in str(err)
    assert err.exit_code == 2


@pytest.mark.parametrize(
    "typed, suggested",
    [
        ("fibro", ["fibromyalgia"]),
        ("CRPS", ["crps"]),  # case does not hide the match
        ("Crohns disease", ["crohns"]),
        ("lupus", []),  # not a near-miss of "ms": no suggestion rather than a wrong one
        ("migraine", []),
        ("multiple sclerosis", []),  # not "crohns"
    ],
)
def test_unknown_name_suggests_only_near_misses(typed, suggested):
    known = ["crohns", "ms", "fibromyalgia", "crps", "healthy", "osteoarthritis",
             "painful_diabetic_neuropathy", "chronic_low_back_pain"]
    err = UnknownNameError("condition", typed, known)
    assert err.suggestions[: len(suggested)] == suggested and (suggested or not err.suggestions)
