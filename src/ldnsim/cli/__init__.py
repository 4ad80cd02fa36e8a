"""ldnsim command line (typer).

Each command lives in its own module under ``ldnsim.cli`` and registers itself on :data:`app`.
Contract (docs/architecture.md): every command takes ``--json`` and then prints exactly one JSON
document on stdout; errors go to stderr with exit code 2 for bad input, never a traceback.
"""

from __future__ import annotations

import sys

from ._app import app, emit_json, fail  # noqa: F401
from ._commands import _COMMAND_MODULES, _register  # noqa: F401


def main() -> None:
    """Console entry point."""
    _register()
    from ._app import run

    sys.exit(run())
