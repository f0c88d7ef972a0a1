"""Batched environments: N games advanced by one numpy call per step.

``MultiAgentVectorEnv``: the learners' form, actions (N, n) in, observations
(N, n, d) and rewards (N, n) out, same-step autoreset (a finished game is reset
at once; its last observation is in ``info["final_obs"]``).

``CoopVectorEnv``: the Gymnasium ``VectorEnv`` behind
``gymnasium.make_vec("coopgym/SLCD-v0", num_envs=N)``, focal or joint like
``CoopEnv``, with Gymnasium's next-step autoreset by default (same-step on request).
Game i is seeded with seed + i, as N single envs reset with those seeds.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from coopgym import rng
from coopgym.adapters import units
from coopgym.adapters.control import DEFAULT_COPLAYER, Control
from coopgym.envs import make_game


class _Batch:
    """N games of one game object: keys, state, resets of a subset."""

    def __init__(self, game, num_envs: int):
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        self.game, self.num_envs = game, int(num_envs)
        self.keys = None
        self.state = None

    def reset(self, seed=None, options=None):
        if seed is None:
            self.keys = rng.random_keys(self.num_envs) if self.keys is None else rng.next_keys(self.keys)
        elif isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs:
                raise ValueError(f"give one seed per game ({self.num_envs}), got {len(seed)}")
            self.keys = np.concatenate([rng.seed_keys(int(s)) for s in seed])
        else:
            self.keys = rng.seed_keys(seed, self.num_envs)
        self.state = self.game.reset(self.keys, options, previous=self.state)
        return self.state

    def live_state(self):
        """The games' state; before the first reset a RuntimeError says to call reset()."""
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        return self.state

    def reset_done(self, done: np.ndarray):
        """Reset the finished games in place (their keys advance as an unseeded single reset would)."""
        self.keys = np.where(done, rng.next_keys(self.keys), self.keys)
        fresh = self.game.reset(self.keys, None, previous=self.state)
        self.state = self.state.where(done, fresh)


class MultiAgentVectorEnv:
    """N games, every agent's action given: (N, n) actions -> (N, n) rewards."""

    def __init__(self, env_id: str, num_envs: int, *, action_units: str = units.DEFAULT_UNITS, **options: Any):
        self.units = units.check_units(action_units)
        self.game = make_game(env_id, **options)
        self.batch = _Batch(self.game, num_envs)
        self.num_envs, self.n_agents = self.batch.num_envs, self.game.n
        self.obs_dim, self.state_dim = self.game.obs_dim, self.game.state_dim
        self.action_low, self.action_high = units.bounds(self.game.e, self.units)

    @property
    def state(self):
        return self.batch.state

    def reset(self, seed=None, options=None) -> tuple[np.ndarray, dict]:
        state = self.batch.reset(seed, options)
        return self.game.observe(state), {"state": self.game.global_state(state)}

    def step(self, actions: np.ndarray):
        state = self.batch.live_state()
        new, res = self.game.step(state, units.to_endowment(units.numeric(actions, "actions"), self.game.e,
                                                            self.units))
        done = res.terminated | res.truncated
        info: dict[str, Any] = {"payoffs": res.payoffs, "actions": res.actions, **res.info}
        self.batch.state = new
        if done.any():
            info["final_obs"] = self.game.observe(new)
            info["final_state"] = self.game.global_state(new)
            info["_final"] = done
            self.batch.reset_done(done)
        obs = self.game.observe(self.batch.state)
        info["state"] = self.game.global_state(self.batch.state)
        return obs, res.rewards, res.terminated, res.truncated, info


class CoopVectorEnv(VectorEnv):
    """Gymnasium VectorEnv of N games, focal or joint control as in ``CoopEnv``."""

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, env_id: str, num_envs: int = 1, *, focal: int = 0, coplayers=DEFAULT_COPLAYER,
                 joint: bool = False, action_units: str = units.DEFAULT_UNITS, render_mode: str | None = None,
                 autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP, **options: Any):
        if render_mode is not None:
            raise ValueError("the vector env does not render; use a single env with render_mode='ansi'")
        self.game = make_game(env_id, **options)
        self.batch = _Batch(self.game, num_envs)
        self.num_envs = self.batch.num_envs
        self.control = Control(self.game, focal, coplayers, joint, action_units)
        self.single_action_space = self.control.action_space
        self.single_observation_space = self.control.observation_space
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = dict(self.metadata, autoreset_mode=self.autoreset_mode)
        self._pending = np.zeros(self.num_envs, dtype=bool)

    def reset(self, *, seed=None, options=None):
        state = self.batch.reset(seed, options)
        self._pending[:] = False
        return self.control.observe(state), {}

    def step(self, actions):
        self.batch.live_state()
        a = units.numeric(actions, "actions")
        k = len(self.control.controlled)
        if a.shape not in ((self.num_envs, k),) and not (k == 1 and a.shape == (self.num_envs,)):
            raise ValueError(f"actions must have shape {(self.num_envs, k)}, got {a.shape}")
        a = a.reshape(self.num_envs, k)
        state = self.batch.state
        if self.autoreset_mode == AutoresetMode.NEXT_STEP and self._pending.any():
            done = self._pending
            self.batch.reset_done(done)
            state = self.batch.state
            # games reset this call return their first observation, reward 0, not done
            new, res = self.game.step(state, self.control.joint_actions(state, a))
            new = new.where(done, state)
            reward = np.where(done, 0.0, self.control.reward(res.rewards))
            term, trunc = res.terminated & ~done, res.truncated & ~done
            rewards_all = np.where(done[:, None], 0.0, res.rewards)
        else:
            new, res = self.game.step(state, self.control.joint_actions(state, a))
            reward = self.control.reward(res.rewards)
            term, trunc = res.terminated, res.truncated
            rewards_all = res.rewards
        self.batch.state = new
        info: dict[str, Any] = {"rewards": rewards_all}
        finished = term | trunc
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            if finished.any():
                info["final_obs"] = self.control.observe(new)
                info["_final_obs"] = finished
                self.batch.reset_done(finished)
        else:
            self._pending = finished
        return self.control.observe(self.batch.state), reward, term, trunc, info
