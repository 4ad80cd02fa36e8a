"""The command modules of the CLI; each registers its commands on :data:`ldnsim.cli._app.app` at import.

Missing optional extras are reported by the command itself when it runs, not at import (command modules
import them lazily). Kept apart from the package ``__init__`` so that ``_app.run`` can register the
commands without importing its own package back (no import cycle).
"""

from __future__ import annotations

import importlib

_COMMAND_MODULES = ["pk", "simulate", "trial", "population_trial", "clinical", "sbml_cmd", "docs_cmd",
                    "diary", "nof1"]


def _register() -> None:
    """Import every command module (each registers itself on ``app``)."""
    for name in _COMMAND_MODULES:
        importlib.import_module(f"ldnsim.cli.{name}")
