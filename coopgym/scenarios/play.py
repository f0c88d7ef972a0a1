"""Playing a batch of games with different policies in different seats (and rows).

``play(game, policies, assignment, keys)`` is the one rollout of scenarios and
cross-play: ``assignment[b, i]`` names the policy (an index into ``policies``)
that plays seat i of game b. Each policy acts once per step, for the rows and
seats it holds, so the reference computation plays 100+ focal candidates against
one background as a single batch, and an expensive background (an oracle that
solves a stage game every step) solves it once for the whole batch.

Finished games are held, not reset: their rewards stop counting and their final
trust is read off at the step they end (as the executor's evaluation does).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopgym.mechanisms.trust import mean_trust
from coopgym.policy import Policy


@dataclass
class Episodes:
    """Raw per-episode, per-agent totals of a batch of B games with n agents."""

    rewards: np.ndarray        # (B, n) sum of rewards (the reward layer's, the game's mode)
    payoffs: np.ndarray        # (B, n) sum of private payoffs pi_i
    effort: np.ndarray         # (B, n) sum over active steps of a_i / e_i
    active_steps: np.ndarray   # (B, n) steps each agent was active
    lengths: np.ndarray        # (B,) steps each game ran
    final_trust: np.ndarray | None   # (B,) mean trust when the game ended (None without trust)

    # The run metrics of SPEC section 10, per game (B,); the runner's metrics module will own the formulas.

    def per_capita(self, seats) -> np.ndarray:
        """Per-capita return of ``seats``: the mean over those seats of each one's reward total."""
        return self.rewards[:, list(seats)].mean(axis=1)

    def welfare(self) -> np.ndarray:
        """Material welfare: the sum over agents of private payoff totals (comparable across reward modes)."""
        return self.payoffs.sum(axis=1)

    def equality(self) -> np.ndarray:
        """1 - Gini of the agents' private payoff totals, Gini = sum_ij |x_i - x_j| / (2 n^2 mean x);
        NaN where the mean payoff is not positive (the Gini coefficient is defined for positive totals)."""
        x = self.payoffs
        n = x.shape[1]
        mad = np.abs(x[:, :, None] - x[:, None, :]).sum(axis=(1, 2))
        mean = x.mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(mean > 0, 1.0 - mad / (2.0 * n * n * mean), np.nan)

    def cooperation(self, seats) -> np.ndarray:
        """Mean a_i / e_i of ``seats`` over their active steps."""
        seats = list(seats)
        return self.effort[:, seats].sum(axis=1) / np.maximum(self.active_steps[:, seats].sum(axis=1), 1)


class SeatSchedule(Policy):
    """An audit probe's defector schedule (its agent 0's levels) played in whatever seats it is given.

    The probes control all agents (agent 0 defects, the rest cooperate); in a background the
    defector's schedule is what matters, whichever seat it sits in."""

    kind = "probe"

    def __init__(self, probe):
        self.probe, self.name, self.reference = probe, probe.name, probe.reference

    def act(self, game, state, agents):
        level = self.probe.schedule(state.t, game.horizon)           # (B,) fraction of the endowment
        return level[:, None] * game.e[agents][None, :]


def make_player(name: str) -> Policy:
    """The registered policy ``name`` as a seat player (a ``probe/...`` plays its defector schedule)."""
    from coopgym.registry import make_policy

    policy = make_policy(name)
    return SeatSchedule(policy) if name.startswith("probe/") else policy


def play(game, policies: list[Policy], assignment: np.ndarray, keys: np.ndarray) -> Episodes:
    """Play len(keys) games of ``game`` to their end; ``assignment`` (B, n) or (n,) of indices into ``policies``.

    Every policy is bound to ``game`` first; a policy acts on the sub-batch of rows where it
    holds a seat, for the seats it holds in any of them (the extra actions are discarded).
    """
    keys = np.asarray(keys, dtype=np.uint64)
    B, n = keys.shape[0], game.n
    assignment = np.broadcast_to(np.asarray(assignment, dtype=np.int64), (B, n))
    if assignment.min() < 0 or assignment.max() >= len(policies):
        raise ValueError(f"assignment holds policy indices outside 0..{len(policies) - 1}")
    groups = []
    for k, policy in enumerate(policies):
        held = assignment == k
        rows = np.flatnonzero(held.any(axis=1))
        if rows.size:
            seats = np.flatnonzero(held[rows].any(axis=0))
            groups.append((policy.bind(game), None if rows.size == B else rows, seats, held[rows][:, seats]))
    state = game.reset(keys)
    out = Episodes(np.zeros((B, n)), np.zeros((B, n)), np.zeros((B, n)), np.zeros((B, n)),
                   np.zeros(B, dtype=np.int64), np.full(B, np.nan) if game.trust_on else None)
    running = np.ones(B, dtype=bool)
    while running.any():
        actions = np.zeros((B, n))
        for policy, rows, seats, mine in groups:
            sub = state if rows is None else state.rows(rows)
            a = np.asarray(policy.act(game, sub, seats), dtype=np.float64)
            if a.shape != (sub.batch, seats.size):
                raise ValueError(f"{policy.name} returned actions of shape {a.shape}, expected {(sub.batch, seats.size)}")
            r = slice(None) if rows is None else rows
            block = actions[r][:, seats]
            actions[np.ix_(np.arange(B)[r], seats)] = np.where(mine, a, block)
        live = running[:, None] & state.active
        state, res = game.step(state, actions)
        out.rewards += np.where(running[:, None], res.rewards, 0.0)
        out.payoffs += np.where(running[:, None], res.payoffs, 0.0)
        out.effort += np.where(live, res.actions / game.e, 0.0)
        out.active_steps += live
        out.lengths += running
        finished = running & (res.terminated | res.truncated)
        if game.trust_on:
            out.final_trust[finished] = mean_trust(state.T[finished])
        running &= ~finished
    if not (np.isfinite(out.rewards).all() and np.isfinite(out.payoffs).all()):
        raise FloatingPointError(f"{game.spec.id}: non-finite returns in play")
    return out


def play_scenario(scenario, focal: list[Policy], seed: int = 0, episodes: int | None = None) -> Episodes:
    """Each of the policies ``focal`` in the focal seats of ``scenario`` against its background, on the games of
    ``seed`` (``scenario.keys``), all in one batch: row c * E + e is policy c on game e."""
    from coopgym.envs import make_game

    game = make_game(scenario.env, reward=scenario.reward)
    base = scenario.keys(seed, episodes)
    E, C = base.shape[0], len(focal)
    keys = np.tile(base, C)
    players = list(focal) + [make_player(m) for m in scenario.members]
    assignment = np.empty((C * E, game.n), dtype=np.int64)
    assignment[:, list(scenario.focal)] = np.repeat(np.arange(C), E)[:, None]
    assignment[:, list(scenario.background_seats)] = C + scenario.draws(keys)
    return play(game, players, assignment, keys)
