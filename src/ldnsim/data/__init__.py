"""Shipped data files (YAML): drugs, system parameters, conditions, clinical rules, trial designs.

Every numeric parameter is a mapping ``{value, unit, source | assumed+reason, ...}``; see
``docs/architecture.md`` ("Parameter entries"). :func:`load_yaml` reads a file relative to this
package; :func:`iter_parameters` walks any loaded document and yields each parameter entry with
its dotted path, which the docs use to generate the parameter table. Every shipped file is validated
on load against its schema (:mod:`ldnsim.data.schema`): a malformed file raises
:class:`~ldnsim.errors.DataFileError` naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import DataFileError

__all__ = ["load_yaml", "data_path", "iter_parameters", "is_parameter", "value_of"]


def data_path(relative: str) -> Path:
    """Absolute path of a shipped data file, e.g. ``data_path("drugs/naltrexone.yaml")``."""
    return Path(str(resources.files(__package__).joinpath(relative)))


#: libyaml's safe loader where PyYAML has it (the same documents, ~8x faster than the pure-Python one)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _load_cached(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: data file not found") from exc
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path}: not valid YAML: {exc}") from exc
    root = data_path("").resolve()
    if Path(path).is_relative_to(root):  # a shipped file: validate it against its schema
        from .schema import validate_document

        validate_document(Path(path).relative_to(root).as_posix(), doc)
    return doc


def load_yaml(relative_or_path: str | Path) -> Any:
    """Load a YAML file shipped with ldnsim (relative path) or any path on disk. Cached; do not mutate.

    Shipped files are validated against their schema (:data:`ldnsim.data.schema.SCHEMAS`) on first load.
    """
    p = Path(relative_or_path)
    if not p.is_absolute() and not p.exists():
        p = data_path(str(relative_or_path))
    return _load_cached(str(p.resolve()))


def is_parameter(node: Any) -> bool:
    """A parameter entry is a mapping with a ``value`` and a ``unit``."""
    return isinstance(node, dict) and "value" in node and "unit" in node


def value_of(node: Any) -> Any:
    """The ``value`` of a parameter entry, or the node itself when it is a bare value."""
    return node["value"] if is_parameter(node) else node


def iter_parameters(doc: Any, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(dotted.path, entry)`` for every parameter entry in a loaded document."""
    if is_parameter(doc):
        yield prefix, doc
        return
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from iter_parameters(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from iter_parameters(v, f"{prefix}[{i}]")
