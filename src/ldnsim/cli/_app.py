"""The typer application and the shared output/error conventions of every command."""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, NoReturn

import typer

from .._disclaimer import DISCLAIMER as DISCLAIMER  # re-exported for the command modules
from ..errors import LdnsimError

app = typer.Typer(
    name="ldnsim",
    help="Low-dose naltrexone and the neuroimmune pain system: PK, model, virtual trials, clinical tools. "
    + DISCLAIMER,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_to_jsonable(v) for v in obj]
    if type(obj).__module__.partition(".")[0] == "numpy":  # numpy imported only for numpy values (start-up)
        import numpy as np

        if isinstance(obj, np.ndarray):
            return _to_jsonable(obj.tolist())
        if isinstance(obj, np.generic):
            return _to_jsonable(obj.item())
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise LdnsimError("internal error: a non-finite number reached the output")
        return obj
    return obj


def emit_json(doc: Any) -> None:
    """Print one JSON document on stdout. Refuses NaN/inf (never a silent NaN in output)."""
    sys.stdout.write(json.dumps(_to_jsonable(doc), ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code`` (2 = bad input)."""
    sys.stderr.write(f"ldnsim: error: {message}\n")
    raise SystemExit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the app, turning ldnsim errors into messages and exit codes (no tracebacks).

    Usage errors are handled by typer/click in standalone mode (exit 2); ldnsim's own errors
    (``InputError`` → 2, ``SolverError`` → 1) are printed as one line on stderr.
    """
    from . import _register  # every command module registers itself on `app`

    _register()
    try:
        app(args=argv, standalone_mode=True)
    except LdnsimError as exc:
        sys.stderr.write(f"ldnsim: error: {exc}\n")
        return exc.exit_code
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:  # a bug, not bad input: one line for the user, the traceback on request
        if os.environ.get("LDNSIM_DEBUG"):
            raise
        sys.stderr.write(
            f"ldnsim: internal error: {type(exc).__name__}: {exc} "
            "(a bug in ldnsim; rerun with LDNSIM_DEBUG=1 for the traceback and please report it)\n"
        )
        return 1
    return 0


@app.callback()
def _root() -> None:
    """Low-dose naltrexone and the neuroimmune pain system (research and education; not medical advice)."""


@app.command("version")
def version(json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """Print the ldnsim version."""
    from .. import __version__

    if json_out:
        emit_json({"ldnsim": __version__, "disclaimer": DISCLAIMER})
    else:
        typer.echo(f"ldnsim {__version__} — {DISCLAIMER}")
