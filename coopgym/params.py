"""Params: each game family's rules as one frozen, hashable record, and how keyword options become one.

A family (``coopgym.value_game.VALUE``, ``coopgym.reciprocity_game.RECIPROCITY``,
``coopgym.team_game.TEAM``) names its record type, its keyword parameters with their
defaults (what ``make_game(..., params={...})`` accepts) and ``build``, which
validates resolved keyword values into a record of plain floats and tuples. The
numpy arrays the step reads are derived from a record once per game
(``record.arrays()``), never stored in it, so two games with equal records play
the same rules and the oracles can key their solutions on the record.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import numpy as np

from coopgym.mechanisms import trust as tr
from coopgym.mechanisms.interdependence import uniform_matrix


@dataclass(frozen=True)
class Family:
    """A game family: its params record, keyword parameters (with defaults) and builder."""

    name: str
    record: type
    defaults: Mapping[str, Any]
    build: Callable[..., Any]     # build(values: dict, n, trust_on, signal_scale) -> record
    #: record fields a phase schedule may change along an episode (stages read them from the step constants)
    phased: tuple[str, ...] = ("baseline",)


# ---- the fields every family shares: TR-2 trust and the signal scale ------------------------------------------


def trust_fields(values: Mapping[str, Any], e: np.ndarray, trust_on: bool, signal_scale) -> dict:
    """``trust`` (TR-2 parameters with T0 / R0 applied), ``trust_on`` and ``sigma`` of a record.

    sigma_j scales the trust signal: e_j / 10 by default (SPEC section 2 Decision), any positive
    number for every agent (1.0 reproduces the reference platform)."""
    if not isinstance(trust_on, (bool, np.bool_)):
        raise TypeError(f"trust must be True or False, got {trust_on!r}")
    trust = trust_with_start(values["trust"], values["T0"], values["R0"])
    if signal_scale is None or (isinstance(signal_scale, str) and signal_scale == "e/10"):
        sigma = e / 10.0
    elif isinstance(signal_scale, str) or not np.isfinite(signal_scale) or signal_scale <= 0:
        raise ValueError(f"signal_scale must be a positive number or 'e/10', got {signal_scale!r}")
    else:
        sigma = np.full(len(e), float(signal_scale))
    return {"trust": trust, "trust_on": bool(trust_on) and trust is not None, "sigma": vector(sigma)}


def trust_with_start(trust: tr.TrustParams | None, T0=None, R0=None) -> tr.TrustParams | None:
    """``trust`` with its initial trust and damage overridden where T0 / R0 are given."""
    if trust is None or (T0 is None and R0 is None):
        return trust
    return replace(trust, T0=trust.T0 if T0 is None else float(T0), R0=trust.R0 if R0 is None else float(R0))


# ---- records hold tuples; these turn validated arrays into them -------------------------------------------------


def vector(v: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in np.asarray(v, dtype=np.float64))


def matrix(v: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(vector(row) for row in np.asarray(v, dtype=np.float64))


# ---- validation of keyword values ----------------------------------------------------------------------------


def unit_interval(name, value) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return v


def positive(name, value) -> float:
    v = float(value)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return v


def nonnegative(name, value) -> float:
    v = float(value)
    if not (np.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return v


def positive_int(name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def agent_vector(name, value, n, positive=False) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    v = np.full(n, float(v)) if v.ndim == 0 else v
    if v.shape != (n,):
        raise ValueError(f"{name} must be a number or a list of {n} numbers (one per agent), got shape {v.shape}")
    if not np.isfinite(v).all() or (positive and np.any(v <= 0)):
        raise ValueError(f"{name} must be finite{' and positive' if positive else ''}, got {v.tolist()}")
    return v


def agent_matrix(name, value, n) -> np.ndarray:
    """An n x n matrix with entries in [0, 1] and a zero diagonal (a number: every off-diagonal entry)."""
    v = np.asarray(value, dtype=np.float64)
    if v.ndim == 0:
        return uniform_matrix(n, float(v))
    if v.shape != (n, n):
        raise ValueError(f"{name} must be a number or an {n}x{n} matrix, got shape {v.shape}")
    if not np.isfinite(v).all() or np.any(v < 0) or np.any(v > 1):
        raise ValueError(f"{name} entries must be in [0, 1]")
    v = v.copy()
    np.fill_diagonal(v, 0.0)
    return v
