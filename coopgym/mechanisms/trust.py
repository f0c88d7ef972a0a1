"""TR-2 trust and reputation dynamics (SPEC section 2), batch-first.

State per ordered pair (i, j): trust T_ij (i's trust in j) and reputation
damage R_ij, both in [0, 1]; the trust ceiling is Theta_ij = 1 - R_ij.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopgym.compiled import compiled


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


def trust_signal(a: np.ndarray, baseline: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """s_j = tanh(kappa (a_j - b_j) / sigma_j): what agent j's action says to every partner, with
    ``gain`` = kappa / sigma_j (``signal_gain``), computed as tanh((a_j - b_j) * gain_j).

    The one place the signal is computed (the games, the oracles and the validation suites
    call it), so it rounds the same everywhere. It depends only on the observed agent j,
    so it is returned per agent (shape (..., n)) and broadcast over observers i by
    ``trust_update``.
    """
    return np.tanh((a - baseline) * gain)


def signal_gain(kappa: float, sigma: np.ndarray) -> np.ndarray:
    """kappa / sigma_j, the factor of ``trust_signal`` (a game computes it once)."""
    return kappa / sigma


def pair_rates(D: np.ndarray, p: TrustParams) -> np.ndarray:
    """The per-pair rates of a game, precomputed once: shape (..., 4, n, n) for D (..., n, n), (1, 4, n, n) for one D.

    rates[..., 0, :, :] = lambda_plus, [..., 1, :, :] = lambda_minus (1 + xi D_ij), [..., 2, :, :] = mu_R,
    [..., 3, :, :] = 1 - delta_R (one array, so the compiled rule takes one argument for all four).
    The first three are zero on the diagonal, so T_ii stays 0.
    """
    D = np.asarray(D, dtype=np.float64)
    D = D[None] if D.ndim == 2 else D
    off = np.broadcast_to(1.0 - np.eye(D.shape[-1]), D.shape)
    return np.stack([p.lambda_plus * off, p.lambda_minus * (1.0 + p.xi * D) * off, p.mu_R * off,
                     np.full(D.shape, 1.0 - p.delta_R)], axis=-3)


def trust_update(T, R, s, D, p: TrustParams, mask=None, rates: np.ndarray | None = None):
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
    r = pair_rates(D, p) if rates is None else rates
    if s.ndim == T.ndim - 1:   # per-agent signal: one row, read by every observer i
        s = s[..., None, :]
    shape = T.shape
    if T.ndim != 3:   # no batch axis, or several: flatten to one
        T, R, s = (np.asarray(x, dtype=np.float64).reshape((-1,) + x.shape[-2:]) for x in (T, R, s))
        if r.ndim != 4 or r.shape[0] != 1:   # rates that vary over the leading axes, broadcast as numpy would
            r = np.broadcast_to(r, shape[:-2] + r.shape[-3:]).reshape((-1,) + r.shape[-3:])
    B, n = T.shape[0], T.shape[-1]
    # the compiled rule does not check its indices, so the shapes are checked here
    if R.shape != T.shape or s.shape[0] != B or s.shape[-1] != n or s.shape[-2] not in (1, n) \
            or r.shape[0] not in (1, B) or r.shape[1:] != (4, n, n):
        raise ValueError(f"trust_update: T {shape}, R {R.shape}, signal {s.shape} and rates {r.shape} do not fit together")
    T_new, R_new = np.empty(T.shape), np.empty(T.shape)
    _pair_rule(T, R, s, r, T_new, R_new)
    if T_new.shape != shape:
        T_new, R_new = T_new.reshape(shape), R_new.reshape(shape)
    if mask is None:
        return T_new, R_new
    # pairs that did not interact keep their trust and damage (no signal is not a good signal)
    return np.where(mask, T_new, T.reshape(shape)), np.where(mask, R_new, R.reshape(shape))


@compiled
def _pair_rule(T, R, s, rates, T_new, R_new):
    """The rule of ``trust_update`` pair by pair, in one compiled pass.

    T, R (B, n, n); s (B, 1 or n, n); rates (1 or B, 4, n, n) from ``pair_rates``; writes
    T_new and R_new (B, n, n), allocated by the caller (cheaper than returning new arrays).

    A single game's step is a few dozen tiny arrays, where numpy spends ~0.4 us of call
    overhead on each of the twenty operations this rule takes; compiled, the whole rule
    is one call (and one pass over memory for large batches). The arithmetic is numpy's
    expression ``s * where(s < 0, T * erode, build * max(Theta - T, 0))`` and so on,
    operation for operation, so the bits are the same.
    """
    B, n = T.shape[0], T.shape[-1]
    per_pair, batched_rates = s.shape[1] > 1, rates.shape[0] > 1
    for b in range(B):
        q = b if batched_rates else 0
        for i in range(n):
            row = i if per_pair else 0
            for j in range(n):
                sig, t, d = s[b, row, j], T[b, i, j], R[b, i, j]
                ceiling = 1.0 - d   # Theta = 1 - R
                if sig < 0.0:
                    dT = sig * (t * rates[q, 1, i, j])
                    # mu |s| (1 - R) with rates in [0, 1] and |s| <= 1 keeps R in [0, 1] unclipped
                    R_new[b, i, j] = d - (sig * rates[q, 2, i, j]) * ceiling
                else:
                    # min(1 - T, Theta - T) = Theta - T since Theta <= 1
                    dT = sig * (rates[q, 0, i, j] * max(ceiling - t, 0.0))
                    R_new[b, i, j] = d * rates[q, 3, i, j]
                # the floor binds only for erosion rates above 1
                T_new[b, i, j] = max(min(t + dT, ceiling), 0.0)


def mean_trust(T: np.ndarray) -> np.ndarray:
    """Mean of the off-diagonal trust entries, shape (...,); the diagonal of T is kept at 0."""
    n = T.shape[-1]
    return T.sum(axis=(-2, -1)) / (n * (n - 1))
