"""Beyond the reference platform: Stackelberg leadership, the Nash bargaining solution and a
Shapley-value split of the surplus, all on the stage game at the reset state (``oracles.stage``).

- Stackelberg: the leader commits to a_L (grid + golden section on its own reward); the
  followers answer with the stage equilibrium among themselves given a_L.
- Nash bargaining: the joint action maximising sum_i log(pi_i - d_i) over the profiles that
  leave every agent above its disagreement payoff d (the Nash equilibrium payoffs).
- Shapley split: v(S) = the joint private payoff of coalition S when its members maximise it
  and the others keep their Nash actions; phi_i = sum_S |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from coopgym.oracles import stage


def _start(game):
    return game.reset(np.zeros(1, dtype=np.uint64))


def _payoffs(game, state, a) -> np.ndarray:
    return game.step(state, a[None, :])[1].payoffs[0]


def nash(game):
    """Stage Nash equilibrium of the private payoffs and its payoffs (the disagreement point)."""
    state = _start(game)
    sol = stage.solve(game, state, "payoff")
    return sol.actions, _payoffs(game, state, sol.actions)


def stackelberg(game, leader: int = 0, grid: int = 21, golden_steps: int = 25) -> dict:
    """The leader's best commitment when the followers play their stage equilibrium in response."""
    state = _start(game)
    fixed = np.arange(game.n) == leader

    def outcome(x):
        a0 = 0.5 * game.e.copy()
        a0[leader] = x
        a = stage.solve(game, state, "own", a0=a0, fixed=fixed, tol=1e-6).actions
        return a, game.step(state, a[None, :])[1].rewards[0, leader]

    xs = np.linspace(0.0, game.e[leader], grid)
    values = [outcome(x)[1] for x in xs]
    k = int(np.argmax(values))
    lo, hi = xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)]
    for _ in range(golden_steps):
        x1, x2 = hi - stage.GOLDEN * (hi - lo), lo + stage.GOLDEN * (hi - lo)
        lo, hi = (lo, x2) if outcome(x1)[1] >= outcome(x2)[1] else (x1, hi)
    a, value = outcome(0.5 * (lo + hi))
    if values[k] > value:
        a, value = outcome(xs[k])
    return {"leader": leader, "actions": a, "leader_reward": float(value), "payoffs": _payoffs(game, state, a)}


def nash_bargaining(game) -> dict:
    """argmax sum_i log(pi_i - d_i), d the Nash payoffs (coordinate ascent from the Nash profile)."""
    state = _start(game)
    a_nash, d = nash(game)

    def nash_product(payoffs):
        gain = payoffs - d
        return np.where((gain > 0).all(axis=1), np.log(np.maximum(gain, 1e-300)).sum(axis=1), -np.inf)

    start = stage.solve(game, state, "welfare").actions  # inside the bargaining set when welfare beats Nash
    sol = stage.solve(game, state, nash_product, a0=start)
    return {"actions": sol.actions, "payoffs": _payoffs(game, state, sol.actions), "disagreement": d}


def shapley_split(game) -> dict:
    """Shapley values of the coalitional game v(S) (members maximise their joint payoff, others at Nash)."""
    state = _start(game)
    a_nash, _ = nash(game)
    n = game.n
    value = {(): 0.0}
    for size in range(1, n + 1):
        for S in itertools.combinations(range(n), size):
            members = np.isin(np.arange(n), S)
            joint = (lambda payoffs, m=members: payoffs[:, m].sum(axis=1))
            a = stage.solve(game, state, joint, a0=a_nash.copy(), fixed=~members).actions
            value[S] = float(_payoffs(game, state, a)[members].sum())
    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for S in itertools.combinations(others, size):
                phi[i] += w * (value[tuple(sorted(S + (i,)))] - value[S])
    return {"shapley": phi, "grand_coalition": value[tuple(range(n))], "values": value}
