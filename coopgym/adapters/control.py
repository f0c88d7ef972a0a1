"""Who controls which agent: the focal/joint choice shared by the single-agent adapters.

A Gymnasium learner controls one focal agent (the others follow ``coplayers``)
or, with ``joint=True``, every agent at once (reward = sum of the per-agent
rewards). ``action_units="fraction"`` rescales actions to [0, 1] of each
endowment. Out-of-range finite actions are clipped to [0, e_i] by the game.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from gymnasium import spaces

from coopgym.policy import Policy
from coopgym.registry import make_policy
from coopgym.spec import ACTION_UNITS

DEFAULT_COPLAYER = "heuristic/tit_for_tat"


class Control:
    def __init__(self, game, focal: int = 0, coplayers: str | Policy | Sequence = DEFAULT_COPLAYER,
                 joint: bool = False, action_units: str = "endowment"):
        self.game, n = game, game.n
        if action_units not in ACTION_UNITS:
            raise ValueError(f"unknown action_units {action_units!r}; choose one of {list(ACTION_UNITS)}")
        self.fraction = action_units == "fraction"
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
            policies.setdefault(key, make_policy(p).bind(game))
            by_name.setdefault(key, []).append(agent)
        self.groups = [(policies[k], np.array(v)) for k, v in by_name.items()]
        self.controlled = np.arange(n) if self.joint else np.array([self.focal])
        self._single = self.groups[0][0] if len(self.groups) == 1 else None
        e = game.e[self.controlled]
        high = np.ones_like(e) if self.fraction else e
        self.action_space = spaces.Box(0.0, high.astype(np.float32), shape=(len(e),), dtype=np.float32)
        dim = game.state_dim if self.joint else game.obs_dim
        self.observation_space = spaces.Box(0.0, 1.0, shape=(dim,), dtype=np.float32)

    def joint_actions(self, state, action) -> np.ndarray:
        """(B, n) endowment-unit actions from the controller's (B, k) action and the co-players."""
        a = np.asarray(action, dtype=np.float64)
        k = len(self.controlled)
        B = state.batch
        if not (a.shape == (B, k) or (B == 1 and a.ndim <= 1 and a.size == k)):
            raise ValueError(f"action must have shape {(k,) if B == 1 else (B, k)}, got {a.shape}")
        a = a.reshape(B, k)
        if self.fraction:
            a = a * self.game.e[self.controlled]
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
