"""The command modules of the CLI and which command each one registers (lazy registration).

Each module registers its commands on :data:`ldnsim.cli._app.app` when imported. A run imports only the
module of the command it invokes (:func:`_register` with the argument list): ``ldnsim check`` imports
``ldnsim.cli.clinical`` and none of the other command modules, so no command module can slow down the
start-up of another (issue 11: a clinical command starts in under 0.3 s; ``bench/clinical.py``).
``ldnsim --help``, no command, or a name that is not a command (click then prints its usage error with
close matches) import every module, so help lists every command with its help text.

:data:`COMMANDS` is checked against what the modules actually register by
``tests/cli/test_lazy_commands.py``. Missing optional extras are reported by the command itself when it
runs (command modules import them lazily). Kept apart from the package ``__init__`` so that
``_app.run`` can register the commands without importing its own package back (no import cycle).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

_COMMAND_MODULES = ["pk", "simulate", "trial", "population_trial", "clinical", "sbml_cmd", "docs_cmd",
                    "diary", "nof1", "calibrate_cmd"]

#: top-level command (or command group) name -> the module under ``ldnsim.cli`` that registers it;
#: ``None``: defined in ``_app`` itself (always present). A new command module goes into
#: ``_COMMAND_MODULES`` *and* here (``tests/cli/test_lazy_commands.py`` fails until both agree)
COMMANDS: dict[str, str | None] = {
    "version": None,
    "pk": "pk", "drugs": "pk",
    "simulate": "simulate",
    "trial": "trial", "demo": "trial",
    "population-trial": "population_trial",
    "check": "clinical", "hold": "clinical", "restart": "clinical", "acute-pain": "clinical",
    "titrate": "clinical", "compound": "clinical", "serve": "clinical", "web-user": "clinical",
    "export-sbml": "sbml_cmd",
    "docs": "docs_cmd",
    "diary": "diary",
    "nof1": "nof1",
    "calibrate": "calibrate_cmd",
}

#: options of the root command that take a value (their value is not the command name)
_ROOT_OPTIONS_WITH_VALUE = ("--json-file",)


def invoked_command(argv: Sequence[str]) -> str | None:
    """The command name in ``argv`` (the first argument that is not a root option), or ``None``."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in _ROOT_OPTIONS_WITH_VALUE:
            skip = True
            continue
        if arg.startswith("-"):
            continue  # --help, --json-file=PATH, or a misplaced option: click reports it
        return arg
    return None


def _register(argv: Sequence[str] | None = None) -> None:
    """Import the command modules: only the invoked command's for a known command in ``argv``, else all.

    ``argv=None`` (tests, API users building the click group) imports every module.
    """
    name = None if argv is None else invoked_command(argv)
    if name in COMMANDS:
        module = COMMANDS[name]
        if module is not None:
            importlib.import_module(f"ldnsim.cli.{module}")
        return
    for module in _COMMAND_MODULES:
        importlib.import_module(f"ldnsim.cli.{module}")
