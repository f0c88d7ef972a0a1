"""Constant and heuristic policies (SPEC section 8)."""
from __future__ import annotations

import numpy as np

from coopgym import rng
from coopgym.policy import Policy

RANDOM_STREAM = 1000  # random draws of agent i come from stream RANDOM_STREAM + i


class ConstantPolicy(Policy):
    """Always invests ``level`` % of the agent's endowment: a_i = level / 100 * e_i."""

    kind = "constant"
    family = "constant"
    reference = "Coopetition-Gym v1 (arXiv:2605.02063), Constant_00 ... Constant_100"
    objective = "plays a fixed share of each agent's endowment every step (constant/k: k % of e_i); optimises nothing"

    def __init__(self, level: float):
        if not (np.isfinite(level) and 0 <= level <= 100):
            raise ValueError(f"constant level must be in [0, 100] (% of endowment), got {level!r}")
        self.level = float(level)
        self.name = f"constant/{level:g}"

    def act(self, game, state, agents):
        e = game.e[agents]
        return np.broadcast_to(self.level / 100.0 * e, (state.batch, e.shape[0])).copy()


class RandomPolicy(Policy):
    """a_i ~ U(0, e_i), from the game's seeded stream (same seed, same draws)."""

    name = "heuristic/random"
    kind = "heuristic"
    family = "heuristic"
    reference = "uniform random baseline"
    objective = "draws every action uniformly from [0, e_i] (the seeded stream); the 0 of every normalised score"

    def act(self, game, state, agents):
        agents = np.arange(game.n)[agents]
        u = np.stack([rng.uniform(state.keys, state.t, RANDOM_STREAM + int(i)) for i in agents], axis=1)
        return u * game.e[agents]


class TitForTat(Policy):
    """Copies the partners' mean last action as a fraction of endowment; starts at .5 e."""

    name = "heuristic/tit_for_tat"
    kind = "heuristic"
    family = "heuristic"
    reference = "Axelrod (1984), continuous form of the reference platform"
    objective = ("copies the partners' mean last action as a share of its own endowment, opening with half; "
                 "optimises nothing")

    def bind(self, game):
        self._inv_e = 1.0 / game.e
        self._scale = game.e / max(game.n - 1, 1)  # mean over the n - 1 partners, in i's units
        self._shaped: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        return self

    def _constants(self, B: int, n: int):
        """1 / e and the scale as (B, n) views: equal shapes keep numpy on its fast path (``game.shaped``)."""
        if B not in self._shaped:
            if len(self._shaped) > 8:
                self._shaped.clear()
            self._shaped[B] = np.broadcast_to(self._inv_e, (B, n)), np.broadcast_to(self._scale, (B, n))
        return self._shaped[B]

    def act(self, game, state, agents):
        inv_e, scale = self._constants(state.batch, game.n)
        frac = state.last_action * inv_e                       # (B, n)
        if not game.VARIABLE_AGENTS:
            # add.reduce is what ndarray.sum calls, without its Python wrapper (~0.2 us)
            out = (np.add.reduce(frac, axis=1, keepdims=True) - frac)[:, agents] * scale[:, agents]
        else:
            active = state.active
            total = (frac * active).sum(axis=1, keepdims=True)
            count = active.sum(axis=1, keepdims=True) - active[:, agents]
            partners = (total - frac[:, agents] * active[:, agents]) / np.maximum(count, 1)
            out = partners * game.e[agents]
        # first step of some game: open with half the endowment (count_nonzero is a plain C
        # call, a quarter of what t.all() costs; on a single env's step that is ~0.8 us)
        if np.count_nonzero(state.t) < state.batch:
            out[state.t == 0] = 0.5 * game.e[agents]
        return out
