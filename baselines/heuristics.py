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

    def __init__(self, level: float):
        if not (np.isfinite(level) and 0 <= level <= 100):
            raise ValueError(f"constant level must be in [0, 100] (% of endowment), got {level!r}")
        self.level = float(level)
        self.name = f"constant/{level:g}"

    def act(self, game, state, agents):
        return np.broadcast_to(self.level / 100.0 * game.e[agents], (state.batch, len(agents))).copy()


class RandomPolicy(Policy):
    """a_i ~ U(0, e_i), from the game's seeded stream (same seed, same draws)."""

    name = "heuristic/random"
    kind = "heuristic"
    family = "heuristic"
    reference = "uniform random baseline"

    def act(self, game, state, agents):
        u = np.stack([rng.uniform(state.keys, state.t, RANDOM_STREAM + int(i)) for i in agents], axis=1)
        return u * game.e[agents]


class TitForTat(Policy):
    """Copies the partners' mean last action as a fraction of endowment; starts at .5 e."""

    name = "heuristic/tit_for_tat"
    kind = "heuristic"
    family = "heuristic"
    reference = "Axelrod (1984), continuous form of the reference platform"

    def act(self, game, state, agents):
        frac = state.last_action / game.e                      # (B, n)
        active = state.active
        total = (frac * active).sum(axis=1, keepdims=True)
        count = active.sum(axis=1, keepdims=True)
        own = frac[:, agents] * active[:, agents]
        partners = (total - own) / np.maximum(count - active[:, agents], 1)
        start = (state.t == 0)[:, None]
        return np.where(start, 0.5, partners) * game.e[agents]
