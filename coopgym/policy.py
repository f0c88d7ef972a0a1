"""The policy protocol every co-player, oracle, heuristic, constant and learner follows.

A policy acts for some agents of a batch of games, from the full game state:

    actions = policy.act(game, state, agents)   # (B, len(agents)), endowment units

Oracles and heuristics read the state directly; learners read
``game.observe(state)``. ``bind(game)`` lets a policy precompute (an oracle
solves its equilibrium once per game, not per step).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np


class Policy(ABC):
    """Base class: a named, batch-first decision rule."""

    name: str = "policy"
    kind: ClassVar[str] = "policy"        # "learner" | "oracle" | "heuristic" | "constant"
    family: ClassVar[str] = ""            # e.g. "independent", "centralised", "game-theoretic"
    reference: ClassVar[str] = ""         # paper reference
    objective: ClassVar[str] = ""         # what it does or optimises, in one sentence (``coopgym policies``)
    trains: ClassVar[bool] = False

    def bind(self, game) -> "Policy":
        """Prepare for ``game`` (called once before acting in it); returns self."""
        return self

    @abstractmethod
    def act(self, game, state, agents: np.ndarray | slice) -> np.ndarray:
        """Actions (B, k) in endowment units for ``agents`` (an index array, or ``slice(None)``
        for every agent) in every game of ``state``: a new array the caller may modify."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
