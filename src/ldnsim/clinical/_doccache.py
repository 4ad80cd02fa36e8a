"""A JSON copy of a large validated data file, so a clinical command does not re-parse YAML at every start.

``vocabulary.yaml`` (≈2,700 names) takes 0.1–0.7 s to parse and validate on a loaded machine — most of
``ldnsim check``'s start-up beyond typer. :func:`cached_doc` returns the document from a JSON file keyed by
the SHA-256 of the YAML bytes (a changed data file is never read from a stale copy), written after the
normal validated :func:`ldnsim.data.load_yaml`. JSON, not pickle: reading the cache cannot run code. The
folder is ``$LDNSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/ldnsim``, else ``~/.cache/ldnsim``;
``LDNSIM_CACHE_DIR=off`` (or an unwritable folder) disables it, and every failure falls back to the YAML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from ..data import data_path, load_yaml
from ..errors import LdnsimError

__all__ = ["cached_doc", "cache_dir"]


def cache_dir() -> Path | None:
    env = os.environ.get("LDNSIM_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ldnsim"


@cache
def cached_doc(relative: str) -> Any:
    """The shipped data file ``relative`` ("clinical/vocabulary.yaml"), via its JSON copy when current."""
    folder = cache_dir()
    try:
        raw = data_path(relative).read_bytes()
    except OSError:
        return load_yaml(relative)
    digest = hashlib.sha256(raw).hexdigest()[:24]
    target = None if folder is None else folder / f"{relative.replace('/', '_')}.{digest}.json"
    if target is not None:
        with contextlib.suppress(OSError, ValueError):  # no copy yet, or unreadable: read the YAML below
            with open(target, encoding="utf-8") as fh:
                return json.load(fh)
    doc = load_yaml(relative)  # parsed and validated against its schema
    if target is not None:
        # the copy is only a speed-up: if it cannot be written, the next start reads the YAML again
        with contextlib.suppress(OSError, TypeError, ValueError, LdnsimError):
            text = json.dumps(doc, ensure_ascii=False)
            if json.loads(text) == doc:  # only documents JSON represents exactly
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(target, text)
    return doc
