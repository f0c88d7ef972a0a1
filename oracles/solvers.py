"""Batched best-response solvers on the environments' own batched core.

Every oracle, the exploitability metric and the Stackelberg/bargaining tools
ask one question: what does agent i get if it plays x while the others do
something else? Here that question is always answered by ``game.step`` on a
batch of candidate profiles, so every special rule of an environment (tiers,
penalties, pairing, exclusion, shocks, terminations) counts. Two games:

- ``stage_objective(game, state)``: one step from each of B states (the stage game).
- ``episode_objective(game)``: whole episodes from reset under constant actions
  (the *stationary* game: each agent commits to one action for the episode), with
  optional co-players following a policy (used by ``exploitability``).

and four values per agent (``VALUES``): the rewards the game pays at its mutuality m
("reward", SPEC section 5: every term), their sum over agents ("welfare"), and the
private-payoff quantities pi_i ("payoff") and sum_j pi_j ("material_welfare").

``best_responses`` finds every agent's best response at once: a grid over
[0, e_i] (or a stencil around a warm start, widened until it brackets the
maximum), then zooming rounds of ``POINTS`` candidates, each round one batched
evaluation of (agents x candidates) rows. ``solve`` iterates best responses
(Jacobi, each agent's step damped by halving on every reversal, which settles
team games whose best-response map has slope -(n - 1)); ``kind="welfare"``
averages coordinate-wise improvements of a common objective (ascent for a
concave welfare). ``symmetric=True`` solves for the symmetric profile through
agent 0 alone (``is_symmetric`` checks exchangeability empirically). Every
solution carries its certificate: the largest gain any agent finds by
deviating (a global grid search at the end).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import numpy as np

from coopgym import rng

GRID = 33          # points of the global grid over [0, e_i]
POINTS = 9         # candidates per zooming round (the bracket shrinks by (POINTS - 1) / 2 per round)
XTOL = 1e-8        # best-response precision, relative to e_i

Objective = Callable[[np.ndarray, np.ndarray], np.ndarray]   # f(P (B, K, n), who (K,)) -> values (B, K, n)


@dataclass
class Solution:
    actions: np.ndarray         # (B, n) the profile
    sweeps: int                 # best-response sweeps taken
    converged: np.ndarray       # (B,) no action moved by more than tol and the certificate held
    gains: np.ndarray           # (B, n) each agent's best deviation gain at the profile (global search)
    values: np.ndarray          # (B, n) each agent's objective at the profile
    symmetric: bool = False

    @property
    def max_gain(self) -> np.ndarray:
        return self.gains.max(axis=1)

    @property
    def relative_gain(self) -> np.ndarray:
        return self.max_gain / np.maximum(np.abs(self.values).max(axis=1), 1.0)

    def diagnostics(self) -> dict:
        return {"sweeps": self.sweeps, "converged": bool(self.converged.all()),
                "max_gain": float(self.max_gain.max()), "relative_gain": float(self.relative_gain.max()),
                "symmetric": self.symmetric}


#: the per-agent values an objective can read off a step
VALUES = {
    "reward": "each agent's reward at the game's mutuality m (SPEC section 5, every term)",
    "welfare": "the sum over agents of the rewards at m, in every agent's column",
    "payoff": "each agent's private payoff pi_i (a private-payoff quantity)",
    "material_welfare": "the sum over agents of the private payoffs pi_j (a private-payoff quantity)",
}


def with_mutuality(game, m: float):
    """A shallow copy of ``game`` (the rules are shared) that pays its rewards at mutuality m,
    unscaled: an equilibrium or an optimum does not change when every reward is multiplied by
    the same positive number, and the certificates' relative gains are then on the reward scale."""
    g = copy.copy(game)
    g.m, g.reward_scale, g.normalize_reward = float(m), 1.0, False
    return g


def held_trust(game):
    """A shallow copy of ``game`` whose steps leave trust T and damage R as they are: the stage game
    "at the current trust" (rewards weighted by the trust the agents hold now, not after the step)."""
    g = copy.copy(game)
    g.update_trust = lambda old, new, a: None
    return g


def _table(res, objective: str) -> np.ndarray:
    """Per-agent values of a step (``VALUES``)."""
    if objective == "reward":
        return res.rewards
    if objective == "payoff":
        return res.payoffs
    if objective in ("welfare", "material_welfare"):
        table = res.rewards if objective == "welfare" else res.payoffs
        return np.repeat(table.sum(axis=1, keepdims=True), table.shape[1], axis=1)
    raise ValueError(f"objective must be one of {list(VALUES)}, got {objective!r}")


def episode_values(game, profiles: np.ndarray, objective: str = "reward", seeds=(0,), policy=None,
                   deviators: np.ndarray | None = None) -> np.ndarray:
    """Mean episode sums (K, n) of each agent's value when row k's agents play profiles[k] all episode.

    With ``policy``, only the agents marked in ``deviators`` (K, n) play their constant; the
    others follow the policy. Every (row, seed) pair is one game of one batch.
    """
    P = np.asarray(profiles, dtype=float)
    K, n = P.shape
    S = len(seeds)
    keys = np.repeat(np.concatenate([rng.seed_keys(int(s), 1) for s in seeds]), K)
    P = np.tile(P, (S, 1))
    dev = None if policy is None else np.tile(np.asarray(deviators, dtype=bool), (S, 1))
    state = game.reset(keys)
    total, running = np.zeros((S * K, n)), np.ones(S * K, dtype=bool)
    while running.any():
        a = P if policy is None else np.where(dev, P, policy.act(game, state, slice(None)))
        state, res = game.step(state, a)
        total += np.where(running[:, None], _table(res, objective), 0.0)
        running &= ~(res.terminated | res.truncated)
    return total.reshape(S, K, n).mean(axis=0)


def episode_objective(game, objective: str = "reward", seeds=(0,), policy=None) -> Objective:
    """f(P, who): episode values of candidate profiles P (B, K, n), every row one game of one batch;
    with ``policy``, only agent who[k] of row k plays its constant (who = -1: nobody deviates) and
    the others follow the policy."""
    def f(P, who):
        B, K, n = P.shape
        dev = None if policy is None else np.tile(np.arange(n) == np.asarray(who)[:, None], (B, 1))
        return episode_values(game, P.reshape(B * K, n), objective, seeds, policy, dev).reshape(B, K, n)
    return f


def stage_objective(game, state, objective: str = "reward") -> Objective:
    """f(P, who): one step from each of the B states of ``state`` for every candidate row of P (B, K, n)."""
    def f(P, who):
        B, K, n = P.shape
        _, res = game.step(state.rows(np.repeat(np.arange(B), K)), P.reshape(B * K, n))
        return _table(res, objective).reshape(B, K, n)
    return f


def _evaluate(f: Objective, a, agents, X) -> np.ndarray:
    """Values (B, k, M) of agent agents[j] playing X[b, j, m] against a[b]."""
    B, n = a.shape
    k, M = X.shape[1], X.shape[2]
    rows, cols = np.arange(k * M), np.repeat(agents, M)
    P = np.repeat(a[:, None, :], k * M, axis=1)
    P[:, rows, cols] = X.reshape(B, k * M)
    return f(P, cols)[:, rows, cols].reshape(B, k, M)


def best_responses(f: Objective, a, lo, hi, agents=None, center=None, width=None, grid: int = GRID,
                   points: int = POINTS, xtol: float = XTOL, include_current: bool = True):
    """Best responses of ``agents`` (default all) to the profile a (B, n), every game and agent at once.

    Global search: a grid of ``grid`` points over [lo_i, hi_i]. Warm search (``center``,
    ``width``): a stencil center +/- width, moved and widened while the best point sits on an
    edge that is not a bound. Then zooming rounds until the bracket is below xtol (hi - lo).
    Returns (x (B, k), best value (B, k), value of the current action (B, k) or None).
    """
    a = np.asarray(a, dtype=float)
    agents = np.arange(a.shape[1]) if agents is None else np.asarray(agents)
    lo_k, hi_k = np.asarray(lo, dtype=float)[:, agents], np.asarray(hi, dtype=float)[:, agents]
    span = np.maximum(hi_k - lo_k, 1e-300)
    if center is None:
        blo, bhi, count, expanding = lo_k.copy(), hi_k.copy(), grid, np.zeros(lo_k.shape, dtype=bool)
    else:
        c, w = np.asarray(center, dtype=float)[:, agents], np.asarray(width, dtype=float)[:, agents]
        blo, bhi = np.maximum(c - w, lo_k), np.minimum(c + w, hi_k)
        count, expanding = points, np.ones(lo_k.shape, dtype=bool)
    best_x, best_v, now = a[:, agents].copy(), np.full(lo_k.shape, -np.inf), None
    for _ in range(60):
        X = blo[..., None] + (bhi - blo)[..., None] * np.linspace(0.0, 1.0, count)
        if include_current and now is None:
            V = _evaluate(f, a, agents, np.concatenate([X, a[:, agents][..., None]], axis=-1))
            now, V = V[..., -1], V[..., :-1]
        else:
            V = _evaluate(f, a, agents, X)
        j = np.argmax(V, axis=-1)
        xj, vj = np.take_along_axis(X, j[..., None], -1)[..., 0], np.take_along_axis(V, j[..., None], -1)[..., 0]
        better = vj > best_v
        best_x, best_v = np.where(better, xj, best_x), np.where(better, vj, best_v)
        width_now = bhi - blo
        left, right = (j == 0) & (blo > lo_k), (j == count - 1) & (bhi < hi_k)
        grow = expanding & (left | right)
        step = width_now / (count - 1)
        zlo = np.take_along_axis(X, np.maximum(j - 1, 0)[..., None], -1)[..., 0]
        zhi = np.take_along_axis(X, np.minimum(j + 1, count - 1)[..., None], -1)[..., 0]
        blo = np.where(grow, np.maximum(xj - 4.0 * width_now, lo_k), np.where(j == 0, xj, zlo))
        bhi = np.where(grow, np.minimum(xj + 4.0 * width_now, hi_k), np.where(j == count - 1, xj, zhi))
        blo = np.where(~grow & (j == 0), np.maximum(xj - step, lo_k), blo)
        bhi = np.where(~grow & (j == count - 1), np.minimum(xj + step, hi_k), bhi)
        expanding &= grow
        count = points
        if not expanding.any() and np.all(bhi - blo <= xtol * span):
            break
    if include_current and now is not None:
        keep = now >= best_v            # never report a worse point than the current action
        best_x, best_v = np.where(keep, a[:, agents], best_x), np.maximum(best_v, now)
    return best_x, best_v, now


def _symmetric(f: Objective, n: int) -> Objective:
    """The game restricted to symmetric profiles: column 0 sets every agent's action."""
    def g(P, who):
        full = np.repeat(P[..., :1], n, axis=-1)
        return f(full, np.full(len(who), -1))
    return g


def solve(f: Objective, lo, hi, a0=None, kind: str = "nash", symmetric: bool = False, tol: float = 1e-7,
          max_sweeps: int = 100, gain_tol: float = 1e-7, width0=None) -> Solution:
    """Best-response iteration to an equilibrium (``kind="nash"``) or a welfare maximum (``"welfare"``,
    f returning the common welfare in every column). Bounds lo, hi (B, n); start a0 (default the
    middle of the box); ``width0`` (B, n): the first best responses are searched within a0 +/- width0
    (widened while the best point is on an edge), not on the global grid, for a start known to be close.
    Converged when no action moves by more than tol (hi - lo) and no agent gains more than gain_tol
    (relative) by a global deviation search."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    B, n = lo.shape
    a = 0.5 * (lo + hi) if a0 is None else np.clip(np.asarray(a0, dtype=float), lo, hi)
    span = np.maximum(hi - lo, 1e-300)
    if symmetric and kind == "welfare":       # the best symmetric profile: one variable, one search
        x, _, _ = best_responses(_symmetric(f, n), a[:, :1], lo[:, :1], hi[:, :1], [0])
        a = np.repeat(x, n, axis=1)
        done = certify(f, a, lo, hi, 1, True, gain_tol, True, kind)   # agent 0 speaks for all
        if done.converged.all():
            return done
        symmetric = False   # the optimum of a symmetric game need not be symmetric: coordinate ascent
    agents = np.array([0]) if symmetric else np.arange(n)
    lam, prev = np.ones((B, n)), np.zeros((B, n))
    center, width = (None, None) if width0 is None else (a, np.broadcast_to(width0, (B, n)))
    sweeps, settled = 0, False
    for sweeps in range(1, max_sweeps + 1):
        searched_globally = center is None
        x, best_v, now = best_responses(f, a, lo, hi, agents, center, width)
        br = np.repeat(x, n, axis=1) if symmetric else x
        step = br - a
        if kind == "welfare":   # line search along the coordinate-wise improvements, or the best single one
            t = np.array([0.0, 1.0 / n, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0])
            trial = np.clip(a[:, None, :] + t[None, :, None] * step[:, None, :], lo[:, None], hi[:, None])
            single = np.where(np.eye(n, dtype=bool)[None], br[:, None, :], a[:, None, :])   # a Gauss-Seidel move
            best = np.argmax(f(np.concatenate([trial, single], axis=1), np.full(len(t) + n, -1))[..., 0], axis=1)
            one = best >= len(t)
            lam = np.where(one[:, None], np.arange(n) == (best - len(t))[:, None],
                           t[np.minimum(best, len(t) - 1)][:, None]).astype(float)
        else:
            reversal = np.sign(step) * np.sign(prev) < 0
            lam = np.where(reversal, np.maximum(0.5 * lam, 1.0 / (2 * n)), lam)
        move = lam * step
        a, prev = np.clip(a + move, lo, hi), step
        moved = np.abs(move) / span
        center = br
        width = np.maximum(4.0 * np.abs(move).max(axis=1, keepdims=True), 64 * XTOL * span)
        width = np.broadcast_to(width, (B, n))
        settled = bool(moved.max() <= tol)
        if kind == "welfare":   # and no coordinate gains (a gainful move may be tiny: a tie broken)
            scale = np.maximum(np.abs(now).max(axis=1), 1.0)
            gains_small = np.all((best_v - now).max(axis=1) <= gain_tol * scale)
            settled &= bool(np.all(np.abs(step) <= tol * span) and gains_small)
        if settled:
            break
    if settled and searched_globally and not np.any(move):   # that search was the certificate
        return _solution(a, sweeps, settled, np.maximum(best_v - now, 0.0), now, gain_tol, symmetric)
    return certify(f, a, lo, hi, sweeps, settled, gain_tol, symmetric, kind)


def certify(f: Objective, a, lo, hi, sweeps: int = 0, settled: bool = True, gain_tol: float = 1e-7,
            symmetric: bool = False, kind: str = "nash") -> Solution:
    """The profile's certificate: every agent's best deviation gain from a global search
    (converged: ``settled`` and no relative gain above gain_tol). For an optimum the gains are
    those of the common objective; a symmetric optimum is also searched along the diagonal."""
    agents = np.array([0]) if symmetric else np.arange(a.shape[1])
    x, best, now = best_responses(f, a, lo, hi, agents)
    gains = np.maximum(best - now, 0.0)
    if kind == "welfare" and symmetric:
        _, best_sym, now_sym = best_responses(_symmetric(f, a.shape[1]), a[:, :1], lo[:, :1], hi[:, :1], [0])
        gains = np.maximum(gains, best_sym - now_sym)
    return _solution(a, sweeps, settled, gains, now, gain_tol, symmetric)


def _solution(a, sweeps, settled, gains, now, gain_tol, symmetric) -> Solution:
    """The Solution of profile a with the deviation gains (B, k) and values (B, k) of agents 0..k-1
    (k = 1: a symmetric profile through agent 0)."""
    if gains.shape[1] < a.shape[1]:
        gains, now = np.repeat(gains, a.shape[1], axis=1), np.repeat(now, a.shape[1], axis=1)
    rel = gains.max(axis=1) / np.maximum(np.abs(now).max(axis=1), 1.0)
    return Solution(a, sweeps, settled & (rel <= gain_tol), gains, now, symmetric)


def is_symmetric(f: Objective, e: np.ndarray, seed: int = 0, rtol: float = 1e-9) -> bool:
    """Exchangeable agents: equal endowments and V(swap_0j P) == swap_0j V(P) for random profiles P."""
    e = np.asarray(e, dtype=float)
    n = len(e)
    if n < 2 or not np.allclose(e, e[0]):
        return False
    gen = np.random.default_rng(seed)
    base = gen.uniform(0.2, 0.8, (2, n)) * e
    rows = [base]
    for j in range(1, n):
        swapped = base.copy()
        swapped[:, [0, j]] = swapped[:, [j, 0]]
        rows.append(swapped)
    P = np.concatenate(rows)[None]
    V = f(P, np.full(P.shape[1], -1))[0].reshape(n, 2, n)
    for j in range(1, n):
        expect = V[0].copy()
        expect[:, [0, j]] = expect[:, [j, 0]]
        if not np.allclose(V[j], expect, rtol=rtol, atol=rtol * max(1.0, np.abs(V).max())):
            return False
    return True


def deterministic(game, seeds=(0, 1)) -> bool:
    """Whether episode values do not depend on the reset seed (checked on one interior profile)."""
    P = (np.linspace(0.25, 0.45, game.n) * game.e)[None]
    a, b = (episode_values(game, P, "reward", (s,)) for s in seeds)
    return bool(np.allclose(a, b, rtol=1e-12, atol=1e-12))


def seeds_for(game) -> tuple:
    """The reset seeds the stationary game is solved on: one for deterministic games, four
    otherwise (stochastic games are solved in expectation, with common random numbers)."""
    return (0,) if deterministic(game) else (0, 1, 2, 3)


def _kind(objective: str) -> str:
    return "welfare" if objective in ("welfare", "material_welfare") else "nash"


def _at(game, objective: str, mutuality: float | None):
    """The game whose ``objective`` is meant: at ``mutuality`` (None: the game's own), unscaled."""
    if objective in ("payoff", "material_welfare"):
        return game
    return with_mutuality(game, game.m if mutuality is None else mutuality)


def stationary(game, objective: str = "reward", mutuality: float | None = None, seeds=None,
               symmetric: bool | None = None, tol: float = 1e-7, max_sweeps: int = 40, a0=None,
               starts=None) -> Solution:
    """The equilibrium (or, for the sums "welfare" and "material_welfare", the optimum) of the
    stationary game: every agent commits to one action for the whole episode and earns its episode
    sum of ``objective`` (``VALUES``; rewards at ``mutuality``, default the game's own m). Seeds:
    ``seeds_for``. ``a0`` (n,) a start; for an optimum, ``starts`` (K, n) are screened in one batch
    and the search starts from the best of them and a0."""
    g = _at(game, objective, mutuality)
    if seeds is None:
        seeds = seeds_for(g)
    f = episode_objective(g, objective, seeds)
    lo, hi = np.zeros((1, game.n)), game.e[None].astype(float)
    if symmetric is None:
        symmetric = is_symmetric(f, game.e)
    kind = _kind(objective)
    if a0 is not None:
        a0 = np.asarray(a0, dtype=float).reshape(1, game.n)
    if kind == "welfare" and starts is not None:
        S = np.asarray(starts, dtype=float).reshape(-1, game.n)
        S = S if a0 is None else np.concatenate([a0, S])
        a0 = S[np.argmax(f(S[None], np.full(len(S), -1))[0, :, 0])][None]
    return solve(f, lo, hi, a0=a0, kind=kind, symmetric=symmetric, tol=tol, max_sweeps=max_sweeps)


def stage(game, state, objective: str = "reward", mutuality: float | None = None, a0=None,
          tol: float = 1e-7, max_sweeps: int = 100, width0=None) -> Solution:
    """The stage-game equilibrium (optimum for the sums) at each of the B states of ``state``;
    rewards at ``mutuality`` (default the game's own m); a0, width0 as in ``solve``."""
    f = stage_objective(_at(game, objective, mutuality), state, objective)
    lo = np.zeros((state.batch, game.n))
    hi = np.where(state.active, game.e, 0.0)
    return solve(f, lo, hi, a0=a0, kind=_kind(objective), tol=tol, max_sweeps=max_sweeps, width0=width0)
