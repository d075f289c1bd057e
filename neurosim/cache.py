"""Where neurosim keeps what it builds once per machine: $NEUROSIM_CACHE or ~/.cache/neurosim.

Compiled Brian2 code, derived integrators, engine worker slots and parsed corpora all live under
this one root, so a user moves or clears them with one variable.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The cache root, created if missing."""
    root = Path(os.environ.get("NEUROSIM_CACHE") or Path.home() / ".cache" / "neurosim")
    root.mkdir(parents=True, exist_ok=True)
    return root
