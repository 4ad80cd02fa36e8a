"""ldnsim command line (typer).

Each command lives in its own module under ``ldnsim.cli`` and registers itself on :data:`app`.
Contract (docs/architecture.md): every command takes ``--json`` and then prints exactly one JSON
document on stdout; errors go to stderr with exit code 2 for bad input, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

from ._app import app, emit_json, fail  # noqa: F401

# Command modules; each registers its commands on `app` at import. Missing optional extras are
# reported by the command itself when it runs, not at import (command modules import them lazily).
_COMMAND_MODULES = ["pk", "simulate", "trial", "population_trial", "clinical", "sbml_cmd", "docs_cmd",
                    "diary", "nof1"]


def _register() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def main() -> None:
    """Console entry point."""
    _register()
    from ._app import run

    sys.exit(run())
