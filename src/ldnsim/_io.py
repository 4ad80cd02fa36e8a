"""Safe input and output: bounded reads of regular files, bounded JSON/YAML, atomic writes.

Every file ldnsim reads on behalf of a user goes through :func:`read_text_bounded` (a regular file
only — never a FIFO, a device such as ``/dev/zero`` or a directory — and at most ``max_bytes``), and
every structured document through :func:`loads_json` / :func:`loads_yaml`, which bound the nesting
depth and refuse YAML aliases (self-referencing or exponentially expanding documents) and strings
that are not valid Unicode. Anything outside raises :class:`~ldnsim.errors.InputError` naming the
field.

Every file ldnsim writes goes through :func:`atomic_path` / :func:`atomic_write_text`: the data go
to a temporary file in the same folder, are flushed and ``fsync``-ed, then ``os.replace``-d over the
target, so a killed run leaves either the previous good file or the new complete one, never a
truncated one. :func:`check_output_path` is called before any long computation: the folder must
exist (ldnsim never creates folders the user did not ask for) and the suffix must be one accepted.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_DEPTH",
    "read_text_bounded",
    "loads_json",
    "load_json_file",
    "loads_yaml",
    "load_yaml_file",
    "check_tree",
    "check_text",
    "check_output_path",
    "atomic_path",
    "atomic_write_text",
    "atomic_write_bytes",
]

MAX_INPUT_BYTES = 16 * 1024 * 1024  # 16 MiB: a FHIR bundle or design file is kilobytes
MAX_DEPTH = 64  # FHIR resources nest < 15 deep; trial designs < 8
MAX_NODES = 1_000_000


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB"


def read_text_bounded(path: str | Path, field: str, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """UTF-8 text of a *regular* file of at most ``max_bytes`` bytes.

    FIFOs, sockets, devices (``/dev/zero``) and directories are refused before they are opened, so a
    read can neither block forever nor grow without bound.
    """
    p = Path(path)
    if "\x00" in str(p):
        raise InputError(field, "file name contains a NUL character", value=str(path))
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(field, "file not found", value=str(path)) from None
    except OSError as exc:
        raise InputError(field, f"cannot read file: {exc.strerror}", value=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (FIFO, socket or device)"
        raise InputError(field, f"is {kind}", accepted="a regular file", value=str(path))
    if st.st_size > max_bytes:
        raise InputError(field, "file too large", accepted=f"at most {_mib(max_bytes)}", value=str(path))
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, open does not block
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(field, "is not a regular file", accepted="a regular file", value=str(path))
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(field, f"cannot read file: {exc.strerror}", value=str(path)) from None
    if len(data) > max_bytes:
        raise InputError(field, "file too large", accepted=f"at most {_mib(max_bytes)}", value=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            field, f"is not valid UTF-8 text (byte {exc.start})", accepted="UTF-8 text", value=str(path)
        ) from None


def check_text(s: str, field: str) -> str:
    """Refuse strings that cannot be encoded as UTF-8 (lone surrogates from invalid bytes)."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            field, f"is not valid UTF-8 text (position {exc.start})", accepted="UTF-8 text"
        ) from None
    return s


def check_tree(doc: Any, field: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> Any:
    """Iteratively check a parsed document: depth ≤ ``max_depth`` (a self-referencing document is
    infinitely deep, so it is refused too), ≤ ``max_nodes`` nodes, finite numbers only, valid Unicode
    strings. Returns ``doc``."""
    stack: list[tuple[Any, int, str]] = [(doc, 1, field)]
    nodes = 0
    while stack:
        obj, depth, where = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise InputError(field, "document too large", accepted=f"at most {max_nodes} values")
        if isinstance(obj, dict | list):
            if depth > max_depth:
                raise InputError(
                    field, "nested too deeply (or refers to itself)", accepted=f"at most {max_depth} levels"
                )
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            for k, v in items:
                if isinstance(k, str):
                    check_text(k, where)
                stack.append((v, depth + 1, f"{where}.{k}" if isinstance(obj, dict) else f"{where}[{k}]"))
        elif isinstance(obj, str):
            check_text(obj, where)
        elif isinstance(obj, float) and not math.isfinite(obj):
            raise InputError(where, "must be a finite number", value=obj)
    return doc


def _no_nonfinite(s: str) -> float:
    raise ValueError(f"non-finite number {s}")


def loads_json(text: str | bytes, field: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON with bounded depth, finite numbers only (``NaN``/``Infinity`` refused)."""
    try:
        doc = json.loads(text, parse_constant=_no_nonfinite)
    except RecursionError:
        raise InputError(field, "nested too deeply", accepted=f"at most {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise InputError(field, f"not valid JSON ({exc.msg} at line {exc.lineno})", accepted="JSON") from None
    except UnicodeDecodeError:
        raise InputError(field, "is not valid UTF-8 text", accepted="UTF-8 JSON") from None
    except ValueError as exc:  # parse_constant
        raise InputError(field, str(exc), accepted="finite numbers only") from None
    return check_tree(doc, field, max_depth=max_depth)


def load_json_file(path: str | Path, field: str, *, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    return loads_json(read_text_bounded(path, field, max_bytes=max_bytes), field)


def _safe_loader() -> type:
    import yaml

    class _NoAliasLoader(yaml.SafeLoader):
        """SafeLoader without anchors/aliases: no self-reference, no exponential expansion."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.events.AliasEvent):
                ev = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.constructor.ConstructorError(
                    None, None, "YAML aliases (*name) are not accepted", ev.start_mark
                )
            return super().compose_node(parent, index)

    return _NoAliasLoader


def loads_yaml(text: str, field: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse YAML (safe subset, no aliases) with bounded depth and finite numbers."""
    import yaml

    if len(text) > MAX_INPUT_BYTES:
        raise InputError(field, "document too large", accepted=f"at most {_mib(MAX_INPUT_BYTES)}")
    try:
        doc = yaml.load(text, Loader=_safe_loader())  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise InputError(field, "nested too deeply", accepted=f"at most {max_depth} levels") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(field, f"not valid YAML{where}: {problem}") from None
    return check_tree(doc, field, max_depth=max_depth)


def load_yaml_file(path: str | Path, field: str, *, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    return loads_yaml(read_text_bounded(path, field, max_bytes=max_bytes), field)


def check_output_path(path: str | Path, field: str, suffixes: Iterable[str] | None = None) -> Path:
    """Validate an output path before any work: accepted suffix, existing folder, not a folder itself.

    ldnsim never creates a missing folder: a typo should not silently make ``/wrong/place``.
    """
    p = Path(path)
    check_text(str(p), field)
    if "\x00" in str(p):
        raise InputError(field, "file name contains a NUL character", value=str(path))
    if suffixes is not None:
        suffixes = [s.lower() for s in suffixes]
        if p.suffix.lower() not in suffixes:
            raise InputError(field, "unsupported file type", accepted=", ".join(suffixes), value=str(path))
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(field, "folder does not exist (ldnsim does not create it)", value=str(parent))
    if p.is_dir():
        raise InputError(field, "is a folder, not a file", value=str(path))
    if p.exists() and not p.is_file():
        raise InputError(field, "exists and is not a regular file", value=str(path))
    if not os.access(parent, os.W_OK):
        raise InputError(field, "folder is not writable", value=str(parent))
    return p


def _target_mode(p: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(p).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder (same suffix); on success fsync and replace.

    For writers that want a file name (``savefig``, ``to_netcdf``, ``to_parquet``). On any error (or
    ``KeyboardInterrupt``) the temporary file is removed and the target is left untouched.
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("output", "folder does not exist (ldnsim does not create it)", value=str(folder))
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=f".tmp{p.suffix}", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, _target_mode(p))
        os.replace(tmp_path, p)
        _remove_stale_temps(folder, p)
        with contextlib.suppress(OSError):  # make the rename durable
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


#: a temporary file of an earlier, killed write is removed once it is this old (s); younger ones may belong
#: to a writer still running
STALE_TEMP_S = 3600.0


def _remove_stale_temps(folder: Path, p: Path) -> None:
    """Remove temporary files that killed writes of ``p`` left behind (SIGKILL runs no clean-up)."""
    import time

    cutoff = time.time() - STALE_TEMP_S
    for old in folder.glob(f".{glob_escape(p.name)}.*.tmp{glob_escape(p.suffix)}"):
        with contextlib.suppress(OSError):
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()


def glob_escape(s: str) -> str:
    """``s`` with glob metacharacters escaped (``glob.escape`` without importing glob)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in s)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
