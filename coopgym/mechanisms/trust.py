"""TR-2 trust and reputation dynamics (SPEC section 2), batch-first.

State per ordered pair (i, j): trust T_ij (i's trust in j) and reputation
damage R_ij, both in [0, 1]; the trust ceiling is Theta_ij = 1 - R_ij.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrustParams:
    """(lambda_plus, lambda_minus, mu_R, delta_R, xi, kappa, T0, R0); TR-2 section 8 canon."""

    lambda_plus: float = 0.10
    lambda_minus: float = 0.30
    mu_R: float = 0.60
    delta_R: float = 0.03
    xi: float = 0.50
    kappa: float = 1.0
    T0: float = 0.50
    R0: float = 0.0

    def __post_init__(self):
        for name in ("lambda_plus", "lambda_minus", "mu_R", "delta_R", "T0", "R0"):
            v = getattr(self, name)
            if not (np.isfinite(v) and 0.0 <= v <= 1.0):
                raise ValueError(f"trust parameter {name} must be in [0, 1], got {v}")
        for name in ("xi", "kappa"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0.0):
                raise ValueError(f"trust parameter {name} must be >= 0, got {v}")

    @classmethod
    def of(cls, lp, lm, mu_R, delta_R, xi, kappa, T0=0.5, R0=0.0) -> "TrustParams":
        """Build from the catalogue's tuple order (lambda_plus, lambda_minus, mu_R, delta_R, xi, kappa, T0)."""
        return cls(lp, lm, mu_R, delta_R, xi, kappa, T0, R0)


def trust_signal(a: np.ndarray, baseline: np.ndarray, sigma: np.ndarray, kappa: float) -> np.ndarray:
    """s_j = tanh(kappa * (a_j - b_j) / sigma_j): what agent j's action says to every partner.

    The signal depends only on the observed agent j, so it is returned per agent
    (shape (..., n)) and broadcast over observers i by ``trust_update``.
    """
    return np.tanh(kappa * (a - baseline) / sigma)


def erosion_gain(D: np.ndarray, p: TrustParams) -> np.ndarray:
    """lambda_minus * (1 + xi * D_ij): the per-pair rate of trust erosion."""
    return p.lambda_minus * (1.0 + p.xi * D)


def trust_update(T, R, s, D, p: TrustParams, mask=None, gain=None):
    """One TR-2 step for every ordered pair, from the pre-step T and R.

    s > 0:  dT = lambda_plus * s * max(0, min(1 - T, Theta - T))
    s < 0:  dT = lambda_minus * s * T * (1 + xi * D_ij)
    T <- clip(T + dT, 0, Theta) with Theta = 1 - R (pre-step)
    s < 0:  dR = mu_R * |s| * (1 - R);  s >= 0: dR = -delta_R * R;  R <- clip(R + dR, 0, 1)

    ``s`` is the per-agent signal (..., n) (observed agent j on the last axis) or
    a full (..., n, n) pair signal. ``mask`` (..., n, n) limits the update to the
    pairs that interacted this step; ``gain`` is ``erosion_gain(D, p)`` when the
    caller has it precomputed. The diagonal stays at 0.
    Returns the new (T, R).
    """
    n = T.shape[-1]
    if s.ndim == T.ndim - 1:
        s = s[..., None, :]
    # a zero signal on the diagonal (and T_ii = R_ii = 0) keeps the diagonal at 0 without a mask
    s = s * _off_diagonal(n) if mask is None else s * (_off_diagonal(n) * mask)
    ceiling = 1.0 - R
    negative = s < 0.0
    gain = erosion_gain(D, p) if gain is None else gain
    dT = np.where(negative, s * T * gain,
                  (p.lambda_plus * s) * np.maximum(ceiling - T, 0.0))
    T_new = np.minimum(np.maximum(T + dT, 0.0), ceiling)
    # with rates in [0, 1] and |s| <= 1, R + dR stays in [0, 1]: R + mu|s|(1 - R) <= 1, R(1 - delta) >= 0
    R_new = R + np.where(negative, (-p.mu_R * s) * ceiling, -p.delta_R * R)
    if mask is None:
        return T_new, R_new
    # pairs that did not interact keep their trust and damage (no signal is not a good signal)
    return np.where(mask, T_new, T), np.where(mask, R_new, R)


@functools.lru_cache(maxsize=64)
def _off_diagonal(n: int) -> np.ndarray:
    return 1.0 - np.eye(n)


def mean_trust(T: np.ndarray) -> np.ndarray:
    """Mean of the off-diagonal trust entries, shape (...,); the diagonal of T is kept at 0."""
    n = T.shape[-1]
    return T.sum(axis=(-2, -1)) / (n * (n - 1))
