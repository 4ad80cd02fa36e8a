"""Shared pieces of the standing fuzz suite (issue 16): edge values, the per-example time limit."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from hypothesis import strategies as st

#: numbers as a careless user or an attacker types them
NUMBERS = [
    "0",
    "-1",
    "1",
    "2.5",
    "3",
    "7",
    "70",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e-320",
    "9" * 40,
    "0x10",
    "1_000",
    " 5 ",
    "",
    "abc",
    "½",
]
MASSES = [
    "4.5mg",
    "4.5 mg",
    "0 mg",
    "-1 mg",
    "250 mcg",
    "1e9 g",
    "inf mg",
    "nan mg",
    "4.5",
    "mg",
    "4,5 mg",
    "4.5 kg",
    "4.5 µg",
    "1 mg/0 ml",
    "",
]
CONCENTRATIONS = [
    "1 mg/mL",
    "1mg/0mL",
    "0 mg/mL",
    "1 mg/ -1 mL",
    "inf mg/mL",
    "garbage",
    "5 mg/5 mL",
    "/",
    "",
]
DATES = [
    "2026-12-01T08:00",
    "2026-12-01",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "1899-12-31T23:00",
    "2200-01-01T00:00",
    "2026-02-30T08:00",
    "2026-12-01T25:00",
    "2026-12-01T08:00+14:00",
    "2026-12-01T08:00Z",
    "yesterday",
    "",
    "2026-12-01T08:00:00.123456789",
]
WORDS = [
    "none",
    "mild",
    "moderate",
    "severe",
    "acute",
    "cirrhosis",
    "pm",
    "im",
    "em",
    "um",
    "capsule",
    "liquid",
    "topical",
    "sr",
    "ir",
    "full",
    "mu-only",
    "numpy",
    "",
    "NONE",
    "ldnrt-standard",
    "ldnrt-sensitive",
]
MEDS = [
    "oxycodone 5 mg q6h",
    "naltrexone 4.5 mg nightly",
    "Percocet 5/325 q6h prn",
    "tramadol",
    "q0h",
    "naltrexone 4.5 mg q0h",
    "morphine 30 mg q12h and naltrexone 4.5 mg nightly",
    "+",
    ";;;",
    "then then",
    "oxy\u202ecodone",
    "<script>alert(1)</script>",
    "![x](http://e/x.png)",
    "a" * 3000,
    " " * 5000,
    "naltrexone 1 mg then 2 mg then 3 mg",
    "fentanyl 25 mcg/h patch",
    "💊",
    "\t\n",
]


def text() -> st.SearchStrategy[str]:
    """Edge strings plus generated Unicode (no NUL or surrogates: argv cannot carry those)."""
    return st.one_of(
        st.sampled_from(MEDS + NUMBERS + WORDS + DATES),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60),
    )


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (never hang) when one example runs longer than ``seconds`` (main thread: SIGALRM)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):  # noqa: ARG001
        raise Hang(f"example ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
