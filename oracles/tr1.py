"""The TR-1 coopetitive equilibrium from its first-order conditions, for many configurations at once.

U_i = pi_i + sum_{j != i} W_ij pi_j with pi_j = e_j - a_j + f(a_j) + alpha_j gamma g(a) (TR-1 Eq 11, 13), so

    dU_i/da_i = -1 + f'(a_i) + gamma (alpha_i + sum_{j != i} W_ij alpha_j) dg/da_i,   dg/da_i = g / (n a_i).

With the others fixed, dg/da_i = c_i a_i^(1/n - 1), c_i = (prod_{j != i} a_j)^(1/n) / n, so the
marginal h_i(x) = -1 + f'(x) + gamma w_i c_i x^(1/n - 1) is convex and decreasing on (0, e_i]:
U_i is concave in a_i and its best response is the root of h_i (or a bound). Newton's method
on a convex decreasing function converges monotonically after its first step, so each best
response takes a few Newton steps; best responses are iterated (Jacobi) to a fixed point.
W = 0 gives the Nash equilibrium of the private payoffs; W_ij = 1 for all i != j gives the
social optimum (the gradient of sum_j pi_j). Every array carries a leading batch axis.

The reward layer at any mutuality m is linear in the payoffs, r = M pi (``reward_matrix``), so
its equilibrium and its optimum are TR-1 problems too (``effective_weights``): agent i's
reward sum_j M_ij pi_j has the best responses of pi_i + sum_{j != i} (M_ij / M_ii) pi_j, and the
welfare sum_j c_j pi_j (c = 1^T M) has the coordinate maxima of the TR-1 problem with
W_ij = c_j / c_i (its a_i-gradient divided by c_i > 0).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from coopgym.mechanisms import value as tv
from coopgym.rewards import rewards

TINY = 1e-12


@dataclass
class TR1Solution:
    actions: np.ndarray     # (B, n)
    residual: np.ndarray    # (B, n) projected first-order-condition residual
    iterations: int
    converged: np.ndarray   # (B,)


def _param(x, ndim: int):
    """A number, or a (B,) array reshaped to broadcast against arrays of ``ndim`` dimensions."""
    x = np.asarray(x, dtype=float)
    return x.reshape((-1,) + (1,) * (ndim - 1)) if x.ndim else x


def reward_matrix(W, m: float, own: bool = False, active=None) -> np.ndarray:
    """M (..., n, n) with r = M pi: the reward layer at mutuality m (``coopgym.rewards``, own terms 0)
    for weights W (..., n, n); ``own=True``: the matrix N with r = N own (payoffs 0). Read off the
    reward layer itself (column j is the rewards when pi = e_j; r is linear in pi and own), so the
    two cannot disagree. ``active`` (..., n): the agents in the game."""
    W = np.asarray(W, dtype=float)
    n = W.shape[-1]
    basis = np.broadcast_to(np.eye(n), W.shape[:-2] + (n, n))     # row j: pi = e_j
    mask = None if active is None else np.asarray(active, dtype=bool)[..., None, :]
    R = (rewards(np.zeros_like(basis), None, basis, m, mask) if own
         else rewards(basis, W[..., None, :, :], None, m, mask))
    return np.swapaxes(R, -1, -2)                                   # M[..., i, j] = r_i(pi = e_j)


def effective_weights(M, kind: str = "nash") -> np.ndarray:
    """TR-1 weights (zero diagonal) with the same best responses ("nash": W_ij = M_ij / M_ii) or the
    same coordinate maxima of the summed rewards ("welfare": W_ij = c_j / c_i, c = 1^T M) as r = M pi."""
    M = np.asarray(M, dtype=float)
    n = M.shape[-1]
    if kind == "nash":
        W = M / np.diagonal(M, axis1=-2, axis2=-1)[..., :, None]
    elif kind == "welfare":
        c = M.sum(axis=-2)
        W = c[..., None, :] / c[..., :, None]
    else:
        raise ValueError(f"kind must be 'nash' or 'welfare', got {kind!r}")
    return np.where(np.eye(n, dtype=bool), 0.0, W)


def marginal_value(a, value_spec, theta, beta):
    return tv.log_value_grad(a, theta) if value_spec == "log" else tv.power_value_grad(a, beta)


def _curvature(a, value_spec, theta, beta):
    """f''(a): -theta / (1 + a)^2 (log) or beta (beta - 1) a^(beta - 2) (power)."""
    if value_spec == "log":
        return -theta / (1.0 + a) ** 2
    return beta * (beta - 1.0) * np.power(np.maximum(a, TINY), beta - 2.0)


def weights(W, alpha):
    """w_i = alpha_i + sum_{j != i} W_ij alpha_j: agent i's share of the marginal surplus."""
    return alpha + (W @ alpha[..., None])[..., 0]


def gradient(a, e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75):
    """dU_i/da_i for every agent, shape (B, n); theta, beta numbers or (B,) arrays."""
    theta, beta = _param(theta, a.ndim), _param(beta, a.ndim)
    return (-1.0 + marginal_value(a, value_spec, theta, beta)
            + _param(gamma, a.ndim) * weights(W, alpha) * tv.synergy_grad(a))


def foc_residual(a, e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75):
    """0 at an equilibrium: |dU_i/da_i| inside (0, e_i), the outward part at a bound."""
    g = gradient(a, e, W, alpha, gamma, value_spec, theta, beta)
    return np.where(a <= 0, np.maximum(g, 0), np.where(a >= e, np.maximum(-g, 0), np.abs(g)))


def best_responses(a, e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75, steps: int = 60,
                   rtol: float = 1e-14) -> np.ndarray:
    """Every agent's best response to the others in a (B, n), by safeguarded Newton on h_i."""
    B, n = a.shape
    theta, beta, gamma = _param(theta, 2), _param(beta, 2), _param(gamma, 2)
    others = np.where(np.eye(n, dtype=bool)[None], 1.0, a[:, None, :]).prod(axis=2)   # prod_{j != i} a_j
    c = gamma * weights(W, alpha) * np.power(np.maximum(others, 0.0), 1.0 / n) / n
    c = np.where((a > tv.SYNERGY_FLOOR).sum(axis=1, keepdims=True) - (a > tv.SYNERGY_FLOOR) == n - 1, c, 0.0)
    p = 1.0 / n - 1.0

    def h(x):
        return -1.0 + marginal_value(x, value_spec, theta, beta) + c * np.power(x, p)

    def dh(x):
        return _curvature(x, value_spec, theta, beta) + c * p * np.power(x, p - 1.0)

    lo = np.full_like(a, TINY)
    x = np.clip(a, lo, e)
    for _ in range(steps):
        nxt = x - h(x) / dh(x)
        nxt = np.where(nxt <= lo, 0.1 * x, np.minimum(nxt, e))   # left of 0: approach 0 geometrically
        done = np.abs(nxt - x) <= rtol * e
        x = np.maximum(nxt, lo)
        if done.all():
            break
    return np.where(h(e) >= 0, e, np.where(h(lo) <= 0, 0.0, x))


def equilibrium(e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75, max_iter=500, tol=1e-12,
                a0=None) -> TR1Solution:
    """Fixed point of the best responses, batched: e (B, n), W (B, n, n), alpha (B, n), gamma (B,);
    theta and beta numbers or (B,) arrays; start a0 (default e / 2)."""
    e, W, alpha, gamma = (np.asarray(x, dtype=float) for x in (e, W, alpha, gamma))
    a = 0.5 * e if a0 is None else np.clip(np.asarray(a0, dtype=float), 0.0, e)
    converged = np.zeros(len(e), dtype=bool)
    it = 0
    for it in range(1, max_iter + 1):
        br = best_responses(a, e, W, alpha, gamma, value_spec, theta, beta)
        converged = np.abs(br - a).max(axis=1) <= tol * e.max(axis=1)
        a = br
        if converged.all():
            break
    return TR1Solution(a, foc_residual(a, e, W, alpha, gamma, value_spec, theta, beta), it, converged)


def utility(a, e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75):
    """U_i = pi_i + sum_j W_ij pi_j for profiles a (..., n) (TR-1 Eq 13); parameters broadcast."""
    f = tv.log_value(a, theta) if value_spec == "log" else tv.power_value(a, beta)
    pi = tv.private_payoff(a, e, f, tv.synergy(a), alpha, gamma)
    return tv.integrated_utility(pi, W)


def grid_check(sol: TR1Solution, e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75,
               points: int = 201) -> np.ndarray:
    """Largest gain (B,) any agent finds on a grid of ``points`` deviations over [0, e_i] from
    the solution: an independent check of the first-order conditions (<= 0 up to rounding)."""
    a = sol.actions
    B, n = a.shape
    grid = np.linspace(0.0, 1.0, points)
    gain = np.full(B, -np.inf)
    th, be, ga = _param(theta, 3), _param(beta, 3), _param(gamma, 2)
    for i in range(n):
        P = np.repeat(a[:, None, :], points, axis=1)
        P[:, :, i] = grid[None, :] * e[:, i:i + 1]
        U = utility(P, e[:, None, :], W[:, None], alpha[:, None, :], ga, value_spec, th, be)[:, :, i]
        now = utility(a, e, W, alpha, _param(gamma, 1), value_spec, _param(theta, 2), _param(beta, 2))[:, i]
        gain = np.maximum(gain, U.max(axis=1) - now)
    return gain


def bench_equilibrium(n_configs: int = 10_000, seed: int = 0) -> dict:
    """Solve n_configs random two-agent S-LCD-like configurations (D, alpha, gamma drawn) at once."""
    gen = np.random.default_rng(seed)
    e = np.full((n_configs, 2), 100.0)
    D = gen.uniform(0, 1, (n_configs, 2, 2)) * (1 - np.eye(2))
    alpha = gen.dirichlet([2, 2], n_configs)
    gamma = gen.uniform(0.2, 0.9, n_configs)
    t = time.perf_counter()
    sol = equilibrium(e, D, alpha, gamma)
    seconds = time.perf_counter() - t
    return {"configurations": n_configs, "seconds": seconds, "converged_fraction": float(sol.converged.mean()),
            "max_foc_residual": float(sol.residual.max()), "iterations": sol.iterations}
