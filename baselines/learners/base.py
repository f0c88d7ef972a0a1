"""What every learner shares: the Learner policy interface.

A learner is a :class:`coopgym.policy.Policy` that trains. It controls every
agent of an environment (one set of parameters per agent unless
``share_parameters=True``), each agent learning from **its own reward** as the
reward layer gives it (never the sum). After ``train`` it acts from
``game.observe(state)``, deterministically.
"""
from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, Callable

import numpy as np

from coopgym.policy import Policy

#: called during training with (env_steps_so_far, mean_episode_return_per_agent (n,))
ProgressCallback = Callable[[int, np.ndarray], None]


class Learner(Policy):
    kind = "learner"
    trains = True

    def __init__(self, seed: int = 0, share_parameters: bool = False, **hyperparameters: Any):
        self.seed = int(seed)
        self.share_parameters = bool(share_parameters)
        self.hyperparameters = hyperparameters

    @abstractmethod
    def train(self, env_id: str, steps: int, env_options: dict | None = None,
              callback: ProgressCallback | None = None) -> list[tuple[int, float]]:
        """Train on ``env_id`` for ``steps`` env-steps (summed over the parallel games);
        returns the learning curve [(env_steps, mean return over agents), ...]."""

    @abstractmethod
    def save(self, path: str | Path) -> None:
        """Write a checkpoint that ``load`` restores exactly."""

    @classmethod
    @abstractmethod
    def load(cls, path: str | Path) -> "Learner":
        """Restore a learner saved with ``save``."""
