"""TR-1 value creation, private payoff and integrated utility (SPEC section 1)."""
from __future__ import annotations

import numpy as np

from coopgym.compiled import compiled

SYNERGY_FLOOR = 1e-10
_FLOOR = np.array(SYNERGY_FLOOR)  # a 0-d array compares ~3x faster than a Python float on small arrays
_ONE = np.array(1.0)


def log_value(a: np.ndarray, theta: float | np.ndarray = 20.0) -> np.ndarray:
    """Individual value, log spec: f(a) = theta * ln(1 + a)."""
    return theta * np.log1p(a)


def log_value_grad(a: np.ndarray, theta: float | np.ndarray = 20.0) -> np.ndarray:
    """f'(a) = theta / (1 + a)."""
    return theta / (1.0 + a)


def power_value(a: np.ndarray, beta: float | np.ndarray = 0.75) -> np.ndarray:
    """Individual value, power spec: f(a) = a ** beta, beta in (0, 1]."""
    return np.power(np.maximum(a, 0.0), beta)


def power_value_grad(a: np.ndarray, beta: float | np.ndarray = 0.75) -> np.ndarray:
    """f'(a) = beta * a ** (beta - 1) (infinite at a = 0 when beta < 1)."""
    with np.errstate(divide="ignore"):
        return beta * np.power(np.maximum(a, 0.0), beta - 1.0)


def synergy(a: np.ndarray) -> np.ndarray:
    """Synergy g(a) = (prod_i a_i) ** (1/n); 0 if any a_i <= 1e-10. Shape (...,)."""
    n = a.shape[-1]
    if n <= 8:  # the product of a few bounded actions cannot overflow
        return _floored_product(a) ** (1.0 / n)
    # the geometric mean through logs avoids overflow of the product for large n
    a = a * (a > _FLOOR)  # an action at or below the floor zeroes the synergy
    with np.errstate(divide="ignore"):
        return np.exp(np.log(a).mean(axis=-1))


def _floored_product(a: np.ndarray) -> np.ndarray:
    """prod_i a_i over the last axis, with actions at or below the floor counted as 0."""
    if a.ndim == 2 and a.dtype == np.float64:
        out = np.empty(a.shape[0])
        _floored_product_rows(a, out)
        return out
    a = np.asarray(a, dtype=np.float64)
    out = np.empty(a.shape[:-1])
    _floored_product_rows(a.reshape(-1, a.shape[-1]), out.reshape(-1))
    return out if a.ndim > 1 else out[()]


def synergy_grad(a: np.ndarray) -> np.ndarray:
    """dg/da_i = g / (n a_i); 0 where g = 0. Shape (..., n)."""
    n = a.shape[-1]
    g = synergy(a)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(g > 0, g / (n * np.maximum(a, SYNERGY_FLOOR)), 0.0)


def total_value(f: np.ndarray, g: np.ndarray, gamma: float | np.ndarray) -> np.ndarray:
    """V(a | gamma) = sum_i f(a_i) + gamma * g(a)."""
    return f.sum(axis=-1) + gamma * g


def private_payoff(a, e, f, g, alpha, gamma) -> np.ndarray:
    """pi_i = e_i - a_i + f(a_i) + alpha_i * gamma * g(a)   (TR-1, surplus S = gamma g).

    a, e, f, alpha (..., n) and gamma * g (...,) broadcast as numpy would."""
    surplus = gamma * g
    if _rows_alike(a, e, f, alpha) and np.shape(surplus) == a.shape[:1]:
        out = np.empty(a.shape)   # a batch with every operand shaped like it: the step's case
        _payoff_rows(a, e, f, alpha, surplus, out)
        return out
    shape = np.broadcast_shapes(np.shape(a), np.shape(e), np.shape(f), np.shape(alpha), np.shape(surplus) + (1,))
    rows = lambda x: np.broadcast_to(np.asarray(x, dtype=np.float64), shape).reshape(-1, shape[-1])
    out = np.empty(shape)
    _payoff_rows(rows(a), rows(e), rows(f), rows(alpha),
                 np.broadcast_to(np.asarray(surplus, dtype=np.float64), shape[:-1]).reshape(-1), out.reshape(-1, shape[-1]))
    return out


def _rows_alike(a, *others) -> bool:
    """Whether a is a (B, n) float64 array and every other operand an array of its shape."""
    return (isinstance(a, np.ndarray) and a.ndim == 2 and a.dtype == np.float64
            and all(isinstance(x, np.ndarray) and x.shape == a.shape for x in others))


def normalise_shares(alpha) -> np.ndarray:
    """Surplus shares that sum to one; negative shares are rejected."""
    alpha = np.asarray(alpha, dtype=float)
    if np.any(~np.isfinite(alpha)) or np.any(alpha < 0):
        raise ValueError(f"surplus shares alpha must be finite and non-negative, got {alpha.tolist()}")
    total = alpha.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("surplus shares alpha must not all be zero")
    return alpha / total


def trust_weights(D: np.ndarray, T: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Trust-weighted interdependence W_ij = D_ij * min(T_ij, 1 - R_ij) (TR-2)."""
    return D * np.minimum(T, _ONE - R)


def integrated_utility(pi: np.ndarray, W: np.ndarray) -> np.ndarray:
    """U_i = pi_i + sum_{j != i} W_ij pi_j (TR-1 Eq 13); W has a zero diagonal."""
    return pi + (W @ pi[..., None])[..., 0]


# ---- compiled arithmetic ---------------------------------------------------------------------
#
# A single game's step is a few dozen numpy calls on arrays of two numbers, each paying
# ~0.4 us of call overhead; these loops do a formula's arithmetic in one call. They repeat
# numpy's operations in numpy's order, so the bits are the same; transcendental functions
# (log1p, power, tanh) stay in numpy, whose SIMD versions round differently from libm's.


@compiled
def _floored_product_rows(a, out):
    """out[b] = prod_i a[b, i] * (a[b, i] > floor), multiplied left to right as numpy's reduce does."""
    for b in range(a.shape[0]):
        p = 1.0
        for i in range(a.shape[1]):
            x = a[b, i]
            p *= x * (1.0 if x > SYNERGY_FLOOR else 0.0)
        out[b] = p


@compiled
def _payoff_rows(a, e, f, alpha, surplus, out):
    """out[b, i] = e - a + f + alpha * surplus[b], all (B, n) but surplus (B,)."""
    for b in range(a.shape[0]):
        for i in range(a.shape[1]):
            out[b, i] = e[b, i] - a[b, i] + f[b, i] + alpha[b, i] * surplus[b]
