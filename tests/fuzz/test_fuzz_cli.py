"""Standing fuzz suite over the CLI (issue 16): generated arguments for every command, run in-process
through the real entry point (``ldnsim.cli._app.run``). Every example must end with exit 0 or 2 — never
1 ("internal error ... a bug") — within its time limit; exit 0 with ``--json`` must print exactly one
JSON document; nothing may print a traceback.

Deterministic by default (``derandomize``) so that CI is stable; ``LDNSIM_FUZZ_EXAMPLES=500
LDNSIM_FUZZ_RANDOM=1 pytest tests/fuzz`` explores further.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest
from fuzz_common import CONCENTRATIONS, DATES, MASSES, MEDS, NUMBERS, WORDS, text, time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldnsim.cli._app import run

SCALE = float(os.environ.get("LDNSIM_FUZZ_EXAMPLES", "0")) / 100 or 1.0
RANDOM = bool(os.environ.get("LDNSIM_FUZZ_RANDOM"))
STATS: dict[str, int] = {}

FILES: dict[str, str] = {}
#: The input files the fixture writes (one list: the fixture and the strategy must agree).
_MADE = (
    "ok.json",
    "deep.json",
    "garbage.json",
    "nan.json",
    "alias.yaml",
    "list.yaml",
    "empty.yaml",
    "fifo.json",
)


@pytest.fixture(scope="module", autouse=True)
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    (d / "ok.json").write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "entry": [
                    {
                        "resource": {
                            "resourceType": "MedicationRequest",
                            "id": "1",
                            "medicationCodeableConcept": {"text": "oxycodone 5 mg"},
                        }
                    }
                ],
            }
        )
    )
    (d / "deep.json").write_text("[" * 3000 + "]" * 3000)
    (d / "garbage.json").write_bytes(b"\xff\xfe{{")
    (d / "nan.json").write_text('{"resourceType": "Bundle", "entry": [NaN]}')
    (d / "alias.yaml").write_text("a: &x [*x]\n")
    (d / "list.yaml").write_text("[1, 2]\n")
    (d / "empty.yaml").write_text("")
    os.mkfifo(d / "fifo.json")
    FILES.update({k: str(d / k) for k in _MADE})
    FILES.update(
        {
            "missing": str(d / "missing.json"),
            "dir": str(d),
            "devnull": "/dev/null",
            "devzero": "/dev/zero",
            "out": str(d),
            "nofolder": str(d / "no" / "x"),
        }
    )
    yield d


def _in_files():
    return st.sampled_from(
        [
            *_MADE,
            "missing",
            "dir",
            "devnull",
            "devzero",
        ]
    ).map(FILES.get)


def _out(*suffixes: str):
    """Output paths: in the folder, in a missing folder, the folder itself, a wrong suffix."""
    names = [f"x{s}" for s in suffixes] + ["x.txt", "x"]
    return st.one_of(
        st.sampled_from(names).map(lambda n: str(Path(FILES["out"]) / n)),
        st.sampled_from(names).map(lambda n: str(Path(FILES["nofolder"]).parent / n)),
        st.just("dir").map(FILES.get),
    )


def sample(values):
    return st.sampled_from(values)


# command → (positional strategies, {option: strategy}); flags map to st.just(None)
SMALL = ["3", "0", "-1", "nan", "inf", "1e308", "abc", "2", ""]
COMMANDS = {
    "check": (
        st.lists(text(), max_size=3),
        {
            "--fhir": _in_files(),
            "--hepatic": sample(WORDS),
            "--egfr": sample(NUMBERS),
            "--pregnant": st.just(None),
            "--breastfeeding": st.just(None),
        },
    ),
    "compound": (
        st.just([]),
        {
            "--dose": sample(MASSES),
            "--form": sample(WORDS),
            "--concentration": sample(CONCENTRATIONS),
            "--days": sample(NUMBERS),
        },
    ),
    "titrate": (
        st.just([]),
        {
            "--preset": sample(WORDS),
            "--start": sample(MASSES),
            "--step": sample(MASSES),
            "--every": sample(["7 days", "0 days", "-1 week", "1e9 weeks", "q0h", "nan d"]),
            "--target": sample(MASSES),
            "--form": sample(WORDS),
            "--concentration": sample(CONCENTRATIONS),
            "--start-date": sample(DATES),
            "--med": text(),
            "--hepatic": sample(WORDS),
            "--egfr": sample(NUMBERS),
        },
    ),
    "hold": (
        st.just([]),
        {
            "--procedure-time": sample(DATES),
            "--dose": sample(MASSES),
            "--weight": sample(NUMBERS),
            "--hepatic": sample(WORDS),
            "--egfr": sample(NUMBERS),
            "--cyp2d6": sample(WORDS),
            "--seed": sample(NUMBERS),
        },
    ),
    "restart": (
        st.just([]),
        {
            "--opioid": sample(MEDS),
            "--last-dose": sample(DATES),
            "--course-days": sample(NUMBERS),
            "--weight": sample(NUMBERS),
            "--hepatic": sample(WORDS),
            "--egfr": sample(NUMBERS),
            "--cyp2d6": sample(WORDS),
            "--seed": sample(NUMBERS),
        },
    ),
    "pk": (
        st.lists(sample(["naltrexone", "oxycodone", "nope", "", "methadone"]), min_size=1, max_size=1),
        {
            "--formulation": sample(WORDS),
            "--hours": sample(SMALL + ["48"]),
            "--weight": sample(NUMBERS),
            "--hepatic": sample(WORDS),
            "--egfr": sample(NUMBERS),
            "--cyp2d6": sample(WORDS),
            "--plot": _out(".png", ".svg", ".pdf"),
        },
    ),
    "simulate": (
        st.just([]),
        {
            "--condition": sample(["fibromyalgia", "crps", "nope", ""]),
            "--regimen": sample(MEDS),
            "--days": sample(SMALL),
            "--variant": sample(WORDS),
            "--esr": sample(NUMBERS),
            "--plot": _out(".png"),
        },
    ),
    "export-sbml": (
        st.lists(_out(".xml", ".sbml"), min_size=1, max_size=1),
        {
            "--drug": sample(["naltrexone", "nope", ""]),
            "--dose": sample(MASSES),
            "--interval": sample(["24h", "0h", "-1h", "inf h", "q0h", "1 week"]),
            "--days": sample(SMALL),
            "--regimen": sample(MEDS),
            "--model": sample(["pk", "full", "x"]),
        },
    ),
    "trial": (
        st.lists(
            st.one_of(sample(["younger2013", "younger2009", "nope", ""]), _in_files()), min_size=1, max_size=1
        ),
        {
            "--patients": sample(["4", "0", "-1", "nan", "1e9", "x"]),
            "--replicates": sample(["1", "0", "-3"]),
            "--seed": sample(NUMBERS),
            "--variant": sample(WORDS),
            "--report": _out(".html"),
        },
    ),
    "population-trial": (
        st.just([]),
        {
            "--patients": sample(["4", "0", "-1", "1e12", "x"]),
            "--days": sample(["3", "0", "1", "1e9", "nan"]),
            "--arm": sample(["a=naltrexone 4.5 mg nightly", "b=", "=x", "x", "a=q0h"]),
            "--seed": sample(NUMBERS),
            "--n-sub": sample(["2", "0", "3", "1e9"]),
            "--plot": _out(".png"),
        },
    ),
    "drugs": (st.just([]), {}),
    "version": (st.just([]), {}),
}
# examples per command: cheap commands more; the ones that run a model when the input is valid, fewer
EXAMPLES = {
    "check": 60,
    "compound": 60,
    "titrate": 60,
    "hold": 25,
    "restart": 25,
    "pk": 25,
    "simulate": 20,
    "export-sbml": 20,
    "trial": 15,
    "population-trial": 15,
    "drugs": 2,
    "version": 2,
}
# options present most of the time, so that examples get past the first check
REQUIRED = {
    "hold": ["--procedure-time", "--dose"],
    "restart": ["--opioid", "--last-dose"],
    "compound": ["--dose", "--form"],
    "simulate": ["--days"],
}
# options always present: the defaults are valid but slow (31 patients x 20 trials; 10,000 patients)
FORCED = {"trial": ["--patients", "--replicates"], "population-trial": ["--patients", "--days"]}


@st.composite
def argv_for(draw, cmd: str) -> list[str]:
    pos, opts = COMMANDS[cmd]
    args = [cmd, *draw(pos)]
    names = list(opts)
    chosen = draw(st.lists(sample(names), unique=True, max_size=len(names))) if names else []
    chosen += [r for r in REQUIRED.get(cmd, []) if r not in chosen and draw(st.integers(0, 9)) > 0]
    chosen += [r for r in FORCED.get(cmd, []) if r not in chosen]
    for name in chosen:
        value = draw(opts[name])
        args += [name] if value is None else [name, value]
    if draw(st.integers(0, 3)):
        args.append("--json")
    if cmd == "simulate" and "--days" not in chosen:
        args += ["--days", "3"]  # the default is 180 days: valid, but slow for a fuzz example
    return args


def check_one(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with time_limit(60), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(argv)
    STATS[argv[0]] = STATS.get(argv[0], 0) + 1
    msg = f"argv={argv!r}\nexit={code}\nstderr={err.getvalue()[-2000:]}"
    assert code in (0, 2), msg  # never 1 (internal error); never anything else
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), msg
    if code == 2:
        assert err.getvalue().strip(), msg  # a message naming the field
    if code == 0 and "--json" in argv:
        doc = json.loads(out.getvalue())  # exactly one JSON document
        assert isinstance(doc, dict), msg


@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_cli_fuzz(cmd, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # relative output paths land in a scratch folder

    @settings(
        max_examples=max(1, int(EXAMPLES[cmd] * SCALE)),
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(argv_for(cmd))
    def fuzz(argv):
        check_one(argv)

    fuzz()
