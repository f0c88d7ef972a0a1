"""Equilibria of the stage game at a given state, computed on the batched core itself.

Every environment's special rules (tiers, penalties, pairing, trust, memory)
live in its ``step``; solving on ``step`` means every oracle respects them.
The stage game at state s: agent i's utility of a joint action a is its reward
(under a chosen mutuality) from one ``step(s, a)``. Best responses are found
per agent by a coarse grid then golden-section search, every candidate of a
grid evaluated in one batched call, and iterated until no action moves. Diagnostics: iterations, convergence, and the largest
remaining best-response gain (an epsilon-equilibrium certificate).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass
class StageSolution:
    actions: np.ndarray      # (n,) the profile
    iterations: int
    converged: bool
    max_gain: float          # largest gain any agent can still get by deviating (grid + golden search)


def with_mutuality(game, m: float):
    """A shallow copy of ``game`` that pays rewards with mutuality m (the payoff rules are shared)."""
    g = copy.copy(game)
    g.m = float(m)
    return g


def _rows(state, count: int):
    return state.rows(np.zeros(count, dtype=np.int64))


def _values(game, state, profiles: np.ndarray, objective, agent: np.ndarray) -> np.ndarray:
    """Objective of each profile row: the deviating agent's reward ("own"), its private payoff
    ("payoff"), the sum of private payoffs ("welfare"), or ``objective(payoffs)`` for a callable."""
    _, res = game.step(_rows(state, len(profiles)), profiles)
    if callable(objective):
        return objective(res.payoffs)
    if objective == "welfare":
        return res.payoffs.sum(axis=1)
    table = res.payoffs if objective == "payoff" else res.rewards
    return table[np.arange(len(profiles)), agent]


def best_response(game, state, a: np.ndarray, i: int, objective: str = "own", grid: int = 41,
                  golden_steps: int = 40) -> tuple[float, float]:
    """Agent i's best action against ``a`` and its value (grid, then golden-section refinement)."""
    e = game.e[i]
    xs = np.linspace(0.0, e, grid)
    profiles = np.repeat(a[None, :], grid, axis=0)
    profiles[:, i] = xs
    agent = np.full(grid, i)
    v = _values(game, state, profiles, objective, agent)
    k = int(np.argmax(v))
    lo, hi = xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)]
    best_x, best_v = xs[k], v[k]
    for _ in range(golden_steps):
        x1, x2 = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
        profiles = np.repeat(a[None, :], 2, axis=0)
        profiles[:, i] = (x1, x2)
        v1, v2 = _values(game, state, profiles, objective, np.full(2, i))
        if v1 >= v2:
            hi = x2
            if v1 > best_v:
                best_x, best_v = x1, v1
        else:
            lo = x1
            if v2 > best_v:
                best_x, best_v = x2, v2
    return float(best_x), float(best_v)


def solve(game, state, objective="own", a0: np.ndarray | None = None, max_sweeps: int = 200,
          tol: float = 1e-7, fixed: np.ndarray | None = None) -> StageSolution:
    """Best-response iteration of the stage game at ``state`` (a batch of one).

    objective "own": each agent maximises its own reward (a Nash equilibrium of the
    stage game under the game's mutuality); "payoff": its private payoff pi_i alone
    (the Nash baseline). Both use damped simultaneous best responses,
    a <- a + lam (BR(a) - a) with lam = 1 for agents whose best response is a bound and
    1 / (number of interior best responses) otherwise: in team games, where any profile
    with the right total effort is an equilibrium, this lands on the symmetric one.
    "welfare" (or a callable of the payoffs, maximised jointly): each agent in turn
    maximises it (coordinate ascent). Agents marked in ``fixed`` keep their action from a0.
    """
    active = state.active[0] & (True if fixed is None else ~np.asarray(fixed, dtype=bool))
    a = 0.5 * game.e * active if a0 is None else np.asarray(a0, dtype=float).copy()
    agents = [int(i) for i in np.flatnonzero(active)]
    sweeps, converged = 0, False
    for sweeps in range(1, max_sweeps + 1):
        if objective == "welfare" or callable(objective):
            moved = 0.0
            for i in agents:
                x, _ = best_response(game, state, a, i, objective)
                moved = max(moved, abs(x - a[i]) / game.e[i])
                a[i] = x
        else:
            br = a.copy()
            for i in agents:
                br[i], _ = best_response(game, state, a, i, objective)
            bound = (br <= 0.0) | (br >= game.e)
            interior = max(int((~bound & active).sum()), 1)
            step = np.where(bound, 1.0, 1.0 / interior) * (br - a) * active
            a = a + step
            moved = float(np.max(np.abs(step) / game.e))
        if moved <= tol:
            converged = True
            break
    return StageSolution(a, sweeps, converged, max_gain(game, state, a, objective))


def max_gain(game, state, a: np.ndarray, objective: str = "own") -> float:
    """The largest improvement any single agent finds by deviating from ``a``."""
    gains = []
    for i in np.flatnonzero(state.active[0]):
        _, v = best_response(game, state, a, int(i), objective)
        now = _values(game, state, a[None, :], objective, np.full(1, i))[0]
        gains.append(v - now)
    return float(max(gains)) if gains else 0.0
