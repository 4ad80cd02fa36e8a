"""The disclaimer is defined once (ldnsim/_disclaimer.py) and imported everywhere, never retyped."""

import re
from pathlib import Path

from ldnsim import DISCLAIMER

SRC = Path(__file__).resolve().parents[1] / "src" / "ldnsim"


def test_disclaimer_is_defined_once():
    assert DISCLAIMER == "For research and education only; not medical advice."
    literal = re.compile(r"""["']For research and education only; not medical advice\.["']""")
    offenders = [
        f"{p.relative_to(SRC)}:{i}"
        for p in SRC.rglob("*.py")
        if p.name != "_disclaimer.py"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert not offenders, "import DISCLAIMER from ldnsim._disclaimer: " + ", ".join(offenders)
