"""Rate coding of pixel intensities into Poisson spike trains (Diehl & Cook 2015).

The Brian2 input group evaluates `RATE_EQUATION`; `poisson_rates` is the same formula in numpy,
so tests and analysis can say what rate each input was driven at.
"""

from __future__ import annotations

import numpy as np

RATE_EQUATION = "rate = images(row * ms, i) * max_rate * intensity / 2 * presenting : Hz"


def poisson_rates(x: np.ndarray, max_rate_hz: float, intensity: float = 2.0) -> np.ndarray:
    """Input rates (Hz) for pixels `x` in [0, 1]: full intensity 2 maps a white pixel to
    `max_rate_hz`; each re-presentation of a silent image raises the intensity by one."""
    return np.asarray(x, dtype=np.float64) * max_rate_hz * intensity / 2.0
