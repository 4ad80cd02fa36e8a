"""The typer application and the shared output/error conventions of every command."""

from __future__ import annotations

import contextlib
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


def _can_encode(stream: Any, sample: str = "μ—≤→") -> bool:
    try:
        sample.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def emit_json(doc: Any) -> None:
    """Print one JSON document on stdout. Refuses NaN/inf (never a silent NaN in output).

    The whole document is built first and written with one call, so a failure while building it leaves
    stdout empty rather than half a document. On a stream that cannot encode Unicode (``LANG=C``,
    ``PYTHONIOENCODING=ascii``) non-ASCII characters are written as JSON ``\\u`` escapes: the same
    document, still valid JSON.
    """
    if _JSON_FILE is not None:  # ``ldnsim --json-file PATH …``: the document goes to PATH, atomically
        from .._io import atomic_write_text

        text = json.dumps(_to_jsonable(doc), ensure_ascii=False, allow_nan=False) + "\n"
        atomic_write_text(_JSON_FILE, text)
        _JSON_WRITTEN[0] = True
        return
    text = json.dumps(
        _to_jsonable(doc), ensure_ascii=not _can_encode(sys.stdout), allow_nan=False
    ) + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()


#: set by the root option ``--json-file``: where :func:`emit_json` writes (temp file + rename), not stdout
_JSON_FILE: str | None = None
_JSON_WRITTEN = [False]


def progress_bar(*, transient: bool) -> Any:
    """The rich progress bar the long commands draw on stderr (stdout stays free for ``--json``):
    description, bar, done/total, elapsed time. rich is imported here, not at start-up."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=transient,
    )


def _prepare_streams() -> None:
    """On an ASCII-only locale, write what cannot be encoded as ``\\uXXXX`` instead of failing.

    A stream that refuses ``reconfigure`` (closed, or not a text wrapper of a file) is left as it is: JSON
    still comes out as ``\\u`` escapes (:func:`emit_json` checks the stream's encoding itself), and a text
    line it cannot encode reaches :func:`run`'s error handling instead of a traceback.
    """
    for stream in (sys.stdout, sys.stderr):
        if not _can_encode(stream) and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


def _check_argv(argv: list[str]) -> None:
    """Arguments that are not valid UTF-8 (decoded by Python as lone surrogates) are refused, never
    echoed raw into the output."""
    from ..errors import InputError

    for i, a in enumerate(argv):
        try:
            a.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"argument {i + 1}", f"is not valid UTF-8 text (position {exc.start})",
                accepted="UTF-8 text", value=ascii(a)[1:-1][:60],
            ) from None


def _stdout_closed() -> int:
    """The reader went away (``ldnsim ... | head -c1``): stop quietly, exit like a SIGPIPE'd program."""
    # the interpreter's final flush must not fail again; if stdout cannot be pointed at /dev/null (no file
    # descriptor), that flush's error is the interpreter's last word and the exit status stays 141
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 141


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code`` (2 = bad input)."""
    sys.stderr.write(f"ldnsim: error: {message}\n")
    raise SystemExit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the app, turning ldnsim errors into messages and exit codes (no tracebacks).

    Usage errors are handled by typer/click in standalone mode (exit 2); ldnsim's own errors
    (``InputError`` → 2, ``SolverError`` → 1) are printed as one line on stderr.
    """
    import click

    from ._commands import _register  # command modules register themselves on `app` when imported

    args = list(sys.argv[1:] if argv is None else argv)
    _register(args)  # only the invoked command's module (every module for --help or an unknown name)
    _prepare_streams()
    try:
        _check_argv(args)
        app(args=argv, standalone_mode=True)
    except LdnsimError as exc:
        sys.stderr.write(f"ldnsim: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        sys.stderr.write("ldnsim: interrupted\n")
        return 130
    except SystemExit as exc:
        ctx = exc.__context__
        if isinstance(ctx, click.exceptions.Abort) and isinstance(ctx.__context__, KeyboardInterrupt):
            sys.stderr.write("ldnsim: interrupted\n")  # click printed "Aborted!"; the shell convention is 130
            return 130
        if exc.code == 130:  # typer turns Ctrl-C into a silent exit 130
            sys.stderr.write("ldnsim: interrupted\n")
            return 130
        if isinstance(ctx, BrokenPipeError):  # click turns EPIPE into exit 1
            return _stdout_closed()
        if exc.code is None or exc.code == 0:
            return _json_file_written()
        return exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:  # a bug, not bad input: one line for the user, the traceback on request
        if os.environ.get("LDNSIM_DEBUG"):
            raise
        sys.stderr.write(
            f"ldnsim: internal error: {type(exc).__name__}: {exc} "
            "(a bug in ldnsim; rerun with LDNSIM_DEBUG=1 for the traceback and please report it)\n"
        )
        return 1
    return _json_file_written()


def _json_file_written() -> int:
    """Exit status of a successful command: 2 if ``--json-file`` was given but no JSON was produced."""
    if _JSON_FILE is not None and not _JSON_WRITTEN[0]:
        sys.stderr.write("ldnsim: error: --json-file: the command printed no JSON document (add --json)\n")
        return 2
    return 0


@app.callback()
def _root(
    json_file: str | None = typer.Option(
        None,
        "--json-file",
        help="Write the --json document to this .json file, atomically (temp file + rename), instead of "
        "stdout: a killed run never leaves it empty or half-written (a shell's '> file' empties the file "
        "before ldnsim starts). Give it before the command: ldnsim --json-file out.json check … --json",
    ),
) -> None:
    """Low-dose naltrexone and the neuroimmune pain system (research and education; not medical advice)."""
    global _JSON_FILE
    if json_file is not None:
        from .._io import check_output_path

        _JSON_FILE = str(check_output_path(json_file, "--json-file", suffixes=[".json"]))
    else:
        _JSON_FILE = None
    _JSON_WRITTEN[0] = False


@app.command("version")
def version(json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """Print the ldnsim version."""
    from .._version import __version__

    if json_out:
        emit_json({"ldnsim": __version__, "disclaimer": DISCLAIMER})
    else:
        typer.echo(f"ldnsim {__version__} — {DISCLAIMER}")
