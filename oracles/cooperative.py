"""Beyond the reference platform: Stackelberg leadership, the Nash bargaining solution and a
Shapley-value split of the surplus, all on the *stationary game* the registered oracles solve:
every agent commits to one action for the whole episode and earns its episode sum, computed by
the environment's own batched ``step`` (``oracles.solvers``; stochastic games in expectation over
the same reset seeds as ``solvers.stationary``).

- Stackelberg: the leader commits to a_L maximising its episode reward
  R_L(a_L, a*_F(a_L)), a*_F(a_L) the followers' stationary equilibrium among themselves given a_L
  (one batched equilibrium solve for every candidate a_L of a grid, then zooming rounds).
- Nash bargaining: argmax_a sum_i log(pi_i(a) - d_i) over the profiles with pi_i(a) > d_i for all i,
  d the payoffs of the stationary Nash equilibrium of the private payoffs pi alone (the private-payoff
  profile ``payoff_equilibrium``; ``oracle/nash`` also counts the agents' own loyalty / reciprocity terms).
- Shapley split: v(S) = max_{a_S} sum_{i in S} pi_i(a_S, a*_{-S}), the others at their Nash actions
  a* (v({}) = 0); phi_i = sum_{S not containing i} |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)); v(N) is
  the material optimum (the private-payoff profile ``material_optimum``).

Bargaining and the Shapley split divide private payoffs, so every reference point here is a
private-payoff quantity; Stackelberg is played on the rewards at the game's mutuality.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from coopgym.oracles import policies, solvers

STARTS = 512        # random profiles screened for the bargaining start (one batch)
SWEEPS = 2          # Jacobi sweeps between two drift line searches (``_maximise``)


def _restrict(f: solvers.Objective, free: np.ndarray, base: np.ndarray) -> solvers.Objective:
    """f over the free coordinates of each game (free (B, n), the same count k per row); the other
    coordinates stay at base (B, n). Values are returned for the free columns (B, K, k)."""
    B = free.shape[0]
    idx = np.nonzero(free)[1].reshape(B, -1)
    b = np.arange(B)[:, None, None]

    def g(Q, who):
        K = Q.shape[1]
        P = np.repeat(base[:, None, :], K, axis=1)
        P[b, np.arange(K)[None, :, None], idx[:, None, :]] = Q
        return f(P, who)[b, np.arange(K)[None, :, None], idx[:, None, :]]
    return g


def _maximise(f: solvers.Objective, lo, hi, a0, rounds: int = 30, tol: float = 1e-7) -> solvers.Solution:
    """argmax of a common objective f (the same value in every column) in each of B games: rounds of
    Jacobi coordinate ascent (``solvers.solve``, kind="welfare", SWEEPS sweeps), each followed by a line
    search a + t (a' - a) along the round's drift (``solvers.best_responses``), which crosses the ridges
    coordinate ascent zigzags along. Stops when a round moves no action by more than tol (hi - lo)."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    a, span = np.clip(np.asarray(a0, dtype=float), lo, hi), np.maximum(hi - lo, 1e-300)
    rounds_taken, settled = 0, False
    for rounds_taken in range(1, rounds + 1):
        base = solvers.solve(f, lo, hi, a0=a, kind="welfare", max_sweeps=SWEEPS).actions
        v = base - a
        if np.all(np.abs(v) <= tol * span):
            a, settled = base, True
            break
        with np.errstate(divide="ignore", invalid="ignore"):    # t keeps base + t v inside the box
            up, down = np.where(v > 0, (hi - base) / v, np.inf), np.where(v < 0, (lo - base) / v, np.inf)
            t_hi = np.minimum(np.minimum(up, down).min(axis=1, keepdims=True), 1e3)
            up, down = np.where(v > 0, (lo - base) / v, -np.inf), np.where(v < 0, (hi - base) / v, -np.inf)
            t_lo = np.maximum(np.maximum(up, down).max(axis=1, keepdims=True), -1e3)

        def along(P, who, base=base, v=v):
            return f(base[:, None, :] + P[..., :1] * v[:, None, :], who)[..., :1]

        zero = np.zeros_like(t_hi)
        t, _, _ = solvers.best_responses(along, zero, t_lo, t_hi, [0], center=zero, width=np.ones_like(zero))
        a = np.clip(base + t * v, lo, hi)
    return solvers.certify(f, a, lo, hi, rounds_taken, settled, kind="welfare")


def nash(game):
    """Stationary Nash equilibrium of the private payoffs pi (a private-payoff quantity,
    ``policies.PROFILES["payoff_equilibrium"]``) and its episode payoffs d (the disagreement point)."""
    a = policies.stationary_profile(game, "payoff_equilibrium")[0].copy()
    return a, solvers.episode_values(game, a[None], "payoff", solvers.seeds_for(game))[0]


def stackelberg(game, leader: int = 0, grid: int = 33, points: int = 17, xtol: float = 1e-7) -> dict:
    """max_{a_L} R_L(a_L, a*_F(a_L)): the leader's best commitment, the followers answering with their
    stationary equilibrium (episode rewards at the game's mutuality) given a_L. Every candidate a_L of
    a round (a grid, then zooming rounds of ``points``) gets its followers' answer in one batched solve."""
    n, e = game.n, game.e.astype(float)
    f = solvers.episode_objective(game, "reward", solvers.seeds_for(game))
    followers = np.arange(n) != leader
    warm: dict = {}

    def respond(x):
        """Profiles (M, n): the followers' equilibrium against each leader commitment x (M,)."""
        M = len(x)
        base = np.repeat(warm.get("a", 0.5 * e)[None], M, axis=0)
        base[:, leader] = x
        if n == 1:
            return base
        g = _restrict(f, np.repeat(followers[None], M, axis=0), base)
        lo, hi = np.zeros((M, n - 1)), np.repeat(e[followers][None], M, axis=0)
        if n == 2:      # one follower: its best response
            base[:, followers] = solvers.best_responses(g, base[:, followers], lo, hi, include_current=False)[0]
        else:
            base[:, followers] = solvers.solve(g, lo, hi, a0=base[:, followers]).actions
        return base

    def commitment(P, who):   # the leader's episode reward when the followers answer P[..., leader]
        B, K, _ = P.shape
        profiles = respond(P[..., leader].reshape(-1))
        V = f(profiles[None], np.full(B * K, -1))[0]
        warm["a"] = profiles[np.argmax(V[:, leader])]     # warm start of the next round
        return V.reshape(B, K, n)

    x, _, _ = solvers.best_responses(commitment, 0.5 * e[None], np.zeros((1, n)), e[None], [leader], grid=grid,
                                     points=points, xtol=xtol, include_current=False)
    a = respond(x[0])[0]
    rewards = f(a[None, None], np.full(1, -1))[0, 0]
    payoffs = solvers.episode_values(game, a[None], "payoff", solvers.seeds_for(game))[0]
    return {"leader": leader, "actions": a, "leader_reward": float(rewards[leader]), "payoffs": payoffs}


def nash_bargaining(game) -> dict:
    """argmax_a sum_i log(pi_i(a) - d_i) s.t. pi_i(a) > d_i, d the stationary Nash payoffs. The log is
    continued below a tiny gain by its tangent, so every coordinate search sees the way into a thin
    bargaining set (``_maximise`` from the best of one screened batch: steps from the Nash point at
    every scale, towards the social optimum, and uniform profiles). The Nash point itself if no profile
    beats d (Nash is efficient)."""
    n, e = game.n, game.e.astype(float)
    seeds = solvers.seeds_for(game)
    a_nash, d = nash(game)
    pay = solvers.episode_objective(game, "payoff", seeds)
    eps = 1e-9 * max(float(np.abs(d).max()), 1.0)

    def product(P, who):   # sum_i h(pi_i - d_i) in every column, h = log above eps, its tangent below
        gain = pay(P, who) - d
        h = np.where(gain > eps, np.log(np.maximum(gain, eps)), np.log(eps) + (gain - eps) / eps)
        return np.repeat(h.sum(axis=-1)[..., None], n, axis=-1)

    gen = np.random.default_rng(0)
    directions = np.concatenate([np.ones((1, n)), -np.ones((1, n)), np.eye(n), -np.eye(n),
                                 gen.normal(size=(64, n))])
    near = a_nash + (10.0 ** -np.arange(5.0))[:, None, None] * directions * e    # every scale around Nash
    a_opt = policies.stationary_profile(game, "material_optimum")[0]              # towards the material optimum
    towards = a_nash + np.linspace(0.0, 1.5, 49)[1:, None] * (a_opt - a_nash)
    candidates = np.clip(np.concatenate([near.reshape(-1, n), towards, gen.uniform(0.0, 1.0, (STARTS, n)) * e]),
                         0.0, e)
    values = product(candidates[None], np.full(len(candidates), -1))[0, :, 0]
    a = _maximise(product, np.zeros((1, n)), e[None], candidates[np.argmax(values)][None]).actions[0]
    payoffs = solvers.episode_values(game, a[None], "payoff", seeds)[0]
    if not np.all(payoffs - d > eps):
        return {"actions": a_nash, "payoffs": d, "disagreement": d, "nash_product": -np.inf}
    return {"actions": a, "payoffs": payoffs, "disagreement": d, "nash_product": float(np.log(payoffs - d).sum())}


def shapley_split(game) -> dict:
    """phi_i = sum_S |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)), v(S) = max_{a_S} sum_{i in S} pi_i with
    the others at their Nash actions, v({}) = 0; v(N) is the social optimum's welfare, the coalitions of
    each smaller size are solved in one batch (``_maximise``)."""
    n, e = game.n, game.e.astype(float)
    seeds = solvers.seeds_for(game)
    a_nash, _ = nash(game)
    pay = solvers.episode_objective(game, "payoff", seeds)
    a_opt = policies.stationary_profile(game, "material_optimum")[0]     # the grand coalition: max sum_j pi_j
    value = {(): 0.0, tuple(range(n)): float(solvers.episode_values(game, a_opt[None], "payoff", seeds)[0].sum())}
    for size in range(1, n):
        coalitions = list(itertools.combinations(range(n), size))
        members = np.zeros((len(coalitions), n), dtype=bool)
        for k, S in enumerate(coalitions):
            members[k, list(S)] = True

        def joint(P, who, m=members):   # game k: sum_{i in S_k} pi_i in every column
            v = (pay(P, who) * m[:, None, :]).sum(axis=-1)
            return np.repeat(v[..., None], n, axis=-1)

        base = np.repeat(a_nash[None], len(coalitions), axis=0)
        hi = np.repeat(e[None], len(coalitions), axis=0)[members].reshape(len(coalitions), size)
        sol = _maximise(_restrict(joint, members, base), np.zeros_like(hi), hi,
                        base[members].reshape(len(coalitions), size))
        value.update((S, float(sol.values[k, 0])) for k, S in enumerate(coalitions))
    value = dict(sorted(value.items(), key=lambda item: (len(item[0]), item[0])))
    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for S in itertools.combinations(others, size):
                phi[i] += w * (value[tuple(sorted(S + (i,)))] - value[S])
    return {"shapley": phi, "grand_coalition": value[tuple(range(n))], "values": value}
