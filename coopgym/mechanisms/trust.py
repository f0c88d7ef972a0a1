"""TR-2 trust and reputation dynamics (SPEC section 2), batch-first.

State per ordered pair (i, j): trust T_ij (i's trust in j) and reputation
damage R_ij, both in [0, 1]; the trust ceiling is Theta_ij = 1 - R_ij.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# 0-d arrays, not Python floats, as the step's constants: numpy converts a Python scalar on
# every call, which makes `x < 0.0` on a small array three times slower than `x < _ZERO`
_ZERO, _ONE = np.array(0.0), np.array(1.0)


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


@dataclass(frozen=True)
class PairRates:
    """The per-pair rates of one game, precomputed once (zero on the diagonal)."""

    build: np.ndarray    # lambda_plus
    erode: np.ndarray    # lambda_minus * (1 + xi * D_ij)
    damage: np.ndarray   # mu_R
    keep: float | np.ndarray   # 1 - delta_R (a number, or an array of the pairs' shape)
    may_undershoot: bool  # erosion rate above 1 can push T below 0: clip at 0


def pair_rates(D: np.ndarray, p: TrustParams) -> PairRates:
    off = 1.0 - np.eye(np.shape(D)[-1])
    erode = p.lambda_minus * (1.0 + p.xi * np.asarray(D)) * off
    return PairRates(p.lambda_plus * off, erode, p.mu_R * off, 1.0 - p.delta_R, bool(np.max(erode) > 1.0))


def trust_update(T, R, s, D, p: TrustParams, mask=None, rates: PairRates | None = None):
    """One TR-2 step for every ordered pair, from the pre-step T and R.

    s > 0:  dT = lambda_plus * s * max(0, min(1 - T, Theta - T))
    s < 0:  dT = lambda_minus * s * T * (1 + xi * D_ij)
    T <- clip(T + dT, 0, Theta) with Theta = 1 - R (pre-step)
    s < 0:  dR = mu_R * |s| * (1 - R);  s >= 0: dR = -delta_R * R;  R <- clip(R + dR, 0, 1)

    ``s`` is the per-agent signal (..., n) (observed agent j on the last axis) or
    a full (..., n, n) pair signal. ``mask`` (..., n, n) limits the update to the
    pairs that interacted this step; ``rates`` is ``pair_rates(D, p)`` when the
    caller has it precomputed. The diagonal stays at 0 (the rates are 0 there).
    Returns the new (T, R).
    """
    if s.ndim == T.ndim - 1:
        s = s[..., None, :]
    r = pair_rates(D, p) if rates is None else rates
    ceiling = _ONE - R
    negative = s < _ZERO
    # min(1 - T, Theta - T) = Theta - T since Theta <= 1
    dT = s * np.where(negative, T * r.erode, r.build * np.maximum(ceiling - T, _ZERO))
    T_new = np.minimum(T + dT, ceiling)
    if r.may_undershoot:
        T_new = np.maximum(T_new, _ZERO)
    # with rates in [0, 1] and |s| <= 1 the damage stays in [0, 1] without clipping:
    # R + mu|s|(1 - R) <= 1 and R(1 - delta) >= 0
    R_new = np.where(negative, R - (s * r.damage) * ceiling, R * r.keep)
    if mask is None:
        return T_new, R_new
    # pairs that did not interact keep their trust and damage (no signal is not a good signal)
    return np.where(mask, T_new, T), np.where(mask, R_new, R)


def mean_trust(T: np.ndarray) -> np.ndarray:
    """Mean of the off-diagonal trust entries, shape (...,); the diagonal of T is kept at 0."""
    n = T.shape[-1]
    return T.sum(axis=(-2, -1)) / (n * (n - 1))
