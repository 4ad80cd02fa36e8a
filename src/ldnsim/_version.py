"""The package version (lowest layer: anything may import it)."""

__version__ = "0.1.0"
