"""The TR-1 coopetitive equilibrium in closed-form gradients, for many configurations at once.

U_i = pi_i + sum_{j != i} W_ij pi_j with pi_j = e_j - a_j + f(a_j) + alpha_j gamma g(a), so

    dU_i/da_i = -1 + f'(a_i) + gamma (alpha_i + sum_{j != i} W_ij alpha_j) dg/da_i,   dg/da_i = g / (n a_i).

U_i is concave in a_i (f and g concave), so each best response is the root of
this decreasing function on [0, e_i], found by bisection; best responses are
iterated (Jacobi) to a fixed point. W = 0 gives the Nash equilibrium of the
private payoffs. Every array carries a leading batch axis of configurations.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopgym.mechanisms import value as tv


@dataclass
class TR1Solution:
    actions: np.ndarray     # (B, n)
    residual: np.ndarray    # (B, n) projected first-order-condition residual
    iterations: int
    converged: np.ndarray   # (B,)


def marginal_value(a, value_spec, theta, beta):
    return tv.log_value_grad(a, theta) if value_spec == "log" else tv.power_value_grad(a, beta)


def gradient(a, e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75):
    """dU_i/da_i for every agent, shape (B, n); parameters broadcast against (B, n) / (B, n, n)."""
    weight = alpha + (W @ alpha[..., None])[..., 0]
    return -1.0 + marginal_value(a, value_spec, theta, beta) + gamma[..., None] * weight * tv.synergy_grad(a)


def foc_residual(a, e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75):
    """0 at an equilibrium: |dU_i/da_i| inside (0, e_i), the outward part at a bound."""
    g = gradient(a, e, W, alpha, gamma, value_spec, theta, beta)
    return np.where(a <= 0, np.maximum(g, 0), np.where(a >= e, np.maximum(-g, 0), np.abs(g)))


def equilibrium(e, W, alpha, gamma, value_spec="log", theta=20.0, beta=0.75, max_iter=200, tol=1e-10,
                bisection_steps=60) -> TR1Solution:
    """Fixed point of the best responses, batched: e (B, n), W (B, n, n), alpha (B, n), gamma (B,);
    theta and beta are numbers or (B,) arrays."""
    e, W, alpha, gamma = (np.asarray(x, dtype=float) for x in (e, W, alpha, gamma))
    theta, beta = np.asarray(theta, dtype=float), np.asarray(beta, dtype=float)
    theta3, beta3 = (x.reshape(-1, 1, 1) if x.ndim else x for x in (theta, beta))
    theta2, beta2 = (x.reshape(-1, 1) if x.ndim else x for x in (theta, beta))
    B, n = e.shape
    a = 0.5 * e
    idx = np.arange(n)
    converged = np.zeros(B, dtype=bool)
    it = 0
    for it in range(1, max_iter + 1):
        lo, hi = np.zeros_like(a), e.copy()
        for _ in range(bisection_steps):          # all agents' best responses at once
            mid = 0.5 * (lo + hi)
            trial = np.where(np.eye(n, dtype=bool)[None], mid[:, :, None], a[:, None, :])  # (B, i, n)
            g = gradient(trial, e[:, None, :], W[:, None], alpha[:, None, :], gamma[:, None],
                         value_spec, theta3, beta3)[:, idx, idx]
            up = g > 0
            lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
        br = 0.5 * (lo + hi)
        step = np.abs(br - a).max(axis=1)
        a = br
        converged = step <= tol * e.max(axis=1)
        if converged.all():
            break
    return TR1Solution(a, foc_residual(a, e, W, alpha, gamma, value_spec, theta2, beta2), it, converged)


def bench_equilibrium(n_configs: int = 10_000, seed: int = 0) -> dict:
    """Solve n_configs random two-agent S-LCD-like configurations at once; time and convergence."""
    import time

    rng = np.random.default_rng(seed)
    e = np.full((n_configs, 2), 100.0)
    D = rng.uniform(0, 1, (n_configs, 2, 2)) * (1 - np.eye(2))
    alpha = rng.dirichlet([2, 2], n_configs)
    gamma = rng.uniform(0.2, 0.9, n_configs)
    t = time.perf_counter()
    sol = equilibrium(e, D, alpha, gamma)
    seconds = time.perf_counter() - t
    return {"configurations": n_configs, "seconds": seconds, "converged_fraction": float(sol.converged.mean()),
            "max_foc_residual": float(sol.residual.max()), "iterations": sol.iterations}
