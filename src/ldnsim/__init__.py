"""ldnsim: low-dose naltrexone and related morphinans on the neuroimmune pain system.

For research and education only; not medical advice.

The public API is re-exported here explicitly as the layers land (see docs/architecture.md).
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._disclaimer import DISCLAIMER  # noqa: E402
from .simulate import simulate  # noqa: E402  (the system layer's one-call API)

__all__ = ["__version__", "DISCLAIMER", "simulate"]
