"""ldnsim command line (typer).

Each command lives in its own module under ``ldnsim.cli`` and registers itself on :data:`app`; a run
imports only the module of the command it invokes (``_commands.COMMANDS``).
Contract (docs/architecture.md): every command takes ``--json`` and then prints exactly one JSON
document on stdout; errors go to stderr with exit code 2 for bad input, never a traceback.
"""

from __future__ import annotations

import sys

from ._app import app, emit_json, fail  # noqa: F401
from ._commands import _COMMAND_MODULES, _register  # noqa: F401


def main() -> None:
    """Console entry point (``run`` imports only the invoked command's module)."""
    from ._app import run

    sys.exit(run())
