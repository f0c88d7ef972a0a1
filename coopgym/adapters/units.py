"""What an action number means at the interfaces (``action_units``).

- ``"normalized"`` (the default of the Gymnasium, PettingZoo and vector interfaces): a in [-1, 1],
  played as (a + 1) / 2 * e_i, so a zero-mean Gaussian policy (how SB3 and most continuous-action
  learners start) plays half the endowment. SB3 recommends a symmetric, normalised box for this reason.
- ``"fraction"``: a in [0, 1], played as a * e_i (what coopgym's own learners use).
- ``"endowment"``: a in [0, e_i], as the game reads it.

The game clips finite out-of-range actions to [0, e_i] and rejects NaN and infinities; here a
non-numeric action (a string, an object) is rejected before any unit conversion.
"""
from __future__ import annotations

import numpy as np

UNITS = ("normalized", "fraction", "endowment")
DEFAULT_UNITS = "normalized"


def check_units(units: str) -> str:
    if units not in UNITS:
        raise ValueError(f"unknown action_units {units!r}; choose one of {list(UNITS)}")
    return units


def bounds(e: np.ndarray, units: str) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the action box for endowments ``e`` in ``units``."""
    e = np.asarray(e, dtype=np.float64)
    low = -np.ones_like(e) if units == "normalized" else np.zeros_like(e)
    high = e.copy() if units == "endowment" else np.ones_like(e)
    return low, high


def numeric(action, who: str = "action") -> np.ndarray:
    """``action`` as a float array; a string or other non-numeric value is a TypeError naming it."""
    a = np.asarray(action)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{who} must be a number or an array of numbers, got {action!r} ({a.dtype})")
    return a.astype(np.float64)


def to_endowment(a: np.ndarray, e: np.ndarray, units: str) -> np.ndarray:
    """Actions ``a`` in ``units`` as endowment units (broadcast against ``e``)."""
    if units == "normalized":
        return (a + 1.0) * 0.5 * e
    if units == "fraction":
        return a * e
    return a
