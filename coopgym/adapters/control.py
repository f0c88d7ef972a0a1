"""Who controls which agent: the focal/joint choice shared by the single-agent adapters.

A Gymnasium learner controls one focal agent (the others follow ``coplayers``)
or, with ``joint=True``, every agent at once (reward = sum of the per-agent
rewards). ``action_units`` says what an action number means (:mod:`coopgym.adapters.units`: by
default [-1, 1] mapped to [0, e_i]). Out-of-range finite actions are clipped to [0, e_i] by the game.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from gymnasium import spaces

from coopgym.adapters import units
from coopgym.policy import Policy
from coopgym.registry import REGISTRY, make_policy

DEFAULT_COPLAYER = "heuristic/tit_for_tat"


def coplayer(policy: str | Policy) -> Policy:
    """A co-player: a Policy, a registered policy name, or the path of a saved learner checkpoint. A learner's
    name alone is refused: it would play untrained."""
    if isinstance(policy, str) and policy not in REGISTRY and Path(policy).is_file():
        from coopgym.baselines.learners import load

        return load(policy)
    if isinstance(policy, str) and policy in REGISTRY and REGISTRY[policy].kind == "learner":
        raise ValueError(f"coplayer {policy!r} is a learner and would play untrained; give a trained one "
                         f"(a learner object, or the path of a checkpoint saved by `coopgym run --save`)")
    return make_policy(policy)


class Control:
    def __init__(self, game, focal: int = 0, coplayers: str | Policy | Sequence = DEFAULT_COPLAYER,
                 joint: bool = False, action_units: str = units.DEFAULT_UNITS):
        self.game, n = game, game.n
        self.units = units.check_units(action_units)
        if not isinstance(joint, (bool, np.bool_)):
            raise TypeError(f"joint must be True or False, got {joint!r}")
        self.joint = bool(joint)
        if isinstance(focal, bool) or not isinstance(focal, (int, np.integer)) or not 0 <= focal < n:
            raise ValueError(f"focal must be an agent index in 0..{n - 1}, got {focal!r}")
        self.focal = int(focal)
        others = [i for i in range(n) if i != self.focal] if not self.joint else []
        if isinstance(coplayers, (str, Policy)):
            coplayers = [coplayers] * len(others)
        coplayers = list(coplayers)
        if not self.joint and len(coplayers) != len(others):
            raise ValueError(f"coplayers: give one policy or {len(others)} (one per non-focal agent), got {len(coplayers)}")
        # agents sharing one policy object act in one batched call
        self.groups: list[tuple[Policy, np.ndarray]] = []
        by_name: dict[object, list[int]] = {}
        policies: dict[object, Policy] = {}
        for agent, p in zip(others, coplayers):
            key = p if isinstance(p, Policy) else str(p)
            policies.setdefault(key, coplayer(p).bind(game))
            by_name.setdefault(key, []).append(agent)
        self.groups = [(policies[k], np.array(v)) for k, v in by_name.items()]
        self.controlled = np.arange(n) if self.joint else np.array([self.focal])
        self._single = self.groups[0][0] if len(self.groups) == 1 else None
        low, high = units.bounds(game.e[self.controlled], self.units)
        self.action_space = spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)
        dim = game.state_dim if self.joint else game.obs_dim
        self.observation_space = spaces.Box(0.0, 1.0, shape=(dim,), dtype=np.float32)

    def joint_actions(self, state, action) -> np.ndarray:
        """(B, n) endowment-unit actions from the controller's (B, k) action and the co-players."""
        a = units.numeric(action)
        k = len(self.controlled)
        B = state.batch
        if not (a.shape == (B, k) or (B == 1 and a.ndim <= 1 and a.size == k)):
            raise ValueError(f"action must have shape {(k,) if B == 1 else (B, k)}, got {a.shape}")
        a = units.to_endowment(a.reshape(B, k), self.game.e[self.controlled], self.units)
        if self.joint:
            return a
        if self._single is not None:  # one co-player policy: let it act for every slot, then put the focal in
            out = self._single.act(self.game, state, slice(None))
            out[:, self.focal] = a[:, 0]
            return out
        out = np.empty((B, self.game.n))
        out[:, self.focal] = a[:, 0]
        for policy, agents in self.groups:
            out[:, agents] = policy.act(self.game, state, agents)
        return out

    def observe(self, state) -> np.ndarray:
        if self.joint:
            return self.game.global_state(state)
        return self.game.observe(state, self.focal)

    def reward(self, rewards: np.ndarray) -> np.ndarray:
        return rewards.sum(axis=1) if self.joint else rewards[:, self.focal]
