"""``gymnasium.make("coopgym/SLCD-v0")``: a Gymnasium env over the batched game with B = 1."""
from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from coopgym import rng
from coopgym.adapters.control import DEFAULT_COPLAYER, Control
from coopgym.adapters.render import render_ansi
from coopgym.adapters.units import DEFAULT_UNITS
from coopgym.envs import make_game


class CoopEnv(gymnasium.Env):
    """One coopetition game as a single-agent Gymnasium env (scalar reward).

    The learner controls agent ``focal``; the others follow ``coplayers``.
    ``joint=True``: one controller for all agents, reward = sum of per-agent rewards.
    Per-agent rewards are in ``info["rewards"]``. Actions are in ``action_units``
    (default ``"normalized"``: [-1, 1] played as (a + 1) / 2 * e_i; see
    :mod:`coopgym.adapters.units`). Finite out-of-range actions are clipped; NaN/inf
    and non-numeric actions raise. Stepping after the episode ended warns, as
    Gymnasium's own environments do, and goes on from the final state.

    ``render_mode``: ``"ansi"`` (text) or None. ``"rgb_array"`` and ``"human"`` are
    not available and raise a TypeError, which is what SB3's ``make_vec_env`` (and
    other set-ups that try ``rgb_array`` first) treat as "retry without a render mode".
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, env_id: str, *, focal: int = 0, coplayers=DEFAULT_COPLAYER, joint: bool = False,
                 action_units: str = DEFAULT_UNITS, render_mode: str | None = None, **options: Any):
        if render_mode not in (None, "ansi"):
            raise TypeError(f"unknown render_mode {render_mode!r}; choose None or 'ansi'")
        self.render_mode = render_mode
        self.game = make_game(env_id, **options)
        self.control = Control(self.game, focal, coplayers, joint, action_units)
        self.action_space = self.control.action_space
        self.observation_space = self.control.observation_space
        self.state = None
        self._keys = None
        self._last = None
        self._ended = False

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._keys = rng.seed_keys(seed)
        elif self._keys is None:
            self._keys = self.np_random.integers(0, 2**63, size=1, dtype=np.uint64)
        else:
            self._keys = rng.next_keys(self._keys)
        self.state = self.game.reset(self._keys, options, previous=self.state)
        self._last = None
        self._ended = False
        return self.control.observe(self.state)[0], {}

    def step(self, action):
        if self.state is None:
            raise gymnasium.error.ResetNeeded("call reset() before step()")
        if self._ended:
            gymnasium.logger.warn("step() called after the episode ended (terminated or truncated); "
                                  "call reset() to start a new one")
        joint = self.control.joint_actions(self.state, action)
        self.state, res = self.game.step(self.state, joint)
        self._last = res
        info = {"rewards": res.rewards[0], "payoffs": res.payoffs[0], "actions": res.actions[0]}
        reward = res.rewards[0].sum() if self.control.joint else res.rewards[0, self.control.focal]
        self._ended = bool(res.terminated[0] or res.truncated[0])
        return (self.control.observe(self.state)[0], float(reward),
                bool(res.terminated[0]), bool(res.truncated[0]), info)

    def render(self):
        if self.render_mode == "ansi" and self.state is not None:
            return render_ansi(self.game, self.state, self._last)
        return None
