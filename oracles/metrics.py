"""Exploitability (NashConv) of a policy profile, and the gap to an oracle.

NashConv = sum_i max(0, max_c R_i(c, pi_-i) - R_i(pi)): each agent's gain from
its best *stationary* deviation (a constant action c in [0, e_i], found by a
grid and golden-section refinement), the others keeping the profile; episode
returns on the batched core, every deviation candidate a row of one batch.
"""
from __future__ import annotations

import numpy as np

from coopgym import rng
from coopgym.envs import make_game
from coopgym.runner.stats import gap_percent  # (R - R_oracle) / |R_oracle| x 100, one definition

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0

__all__ = ["exploitability", "gap_percent"]


def _returns(game, policy, agent: int, levels: np.ndarray, seed: int) -> np.ndarray:
    """Mean episode return of ``agent`` when it plays each constant level (None: the profile)."""
    K = len(levels)
    state = game.reset(rng.seed_keys(seed, 1).repeat(K))
    total, running = np.zeros(K), np.ones(K, dtype=bool)
    while running.any():
        a = policy.act(game, state, slice(None))
        if agent >= 0:
            a[:, agent] = np.where(np.isnan(levels), a[:, agent], levels)
        state, res = game.step(state, a)
        total += np.where(running, res.rewards[:, max(agent, 0)], 0.0)
        running &= ~(res.terminated | res.truncated)
    return total


def exploitability(env_id: str, policy, seed: int = 0, grid: int = 51, golden_steps: int = 30,
                   **options) -> dict:
    """NashConv of ``policy`` (a name or Policy controlling every agent) on ``env_id``."""
    from coopgym.baselines import make_policy

    game = make_game(env_id, **options)
    policy = make_policy(policy).bind(game)
    gains = []
    for i in range(game.n):
        here = _returns(game, policy, i, np.array([np.nan]), seed)[0]
        xs = np.linspace(0.0, game.e[i], grid)
        v = _returns(game, policy, i, xs, seed)
        k = int(np.argmax(v))
        lo, hi, best = xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)], v[k]
        for _ in range(golden_steps):
            x1, x2 = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
            v1, v2 = _returns(game, policy, i, np.array([x1, x2]), seed)
            best = max(best, v1, v2)
            lo, hi = (lo, x2) if v1 >= v2 else (x1, hi)
        gains.append(max(0.0, best - here))
    scale = float(np.mean([abs(_returns(game, policy, i, np.array([np.nan]), seed)[0]) for i in range(game.n)]))
    return {"nash_conv": float(sum(gains)), "gains": gains, "relative": float(sum(gains)) / max(scale, 1e-12)}
