"""The one disclaimer every clinical, trial and simulation output carries (defined once, imported)."""

from __future__ import annotations

__all__ = ["DISCLAIMER"]

DISCLAIMER = "For research and education only; not medical advice."
