"""``coopgym.parallel_env(id)`` and ``coopgym.aec_env(id)``: PettingZoo over the batched game (B = 1)."""
from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils import conversions, wrappers

from coopgym import rng
from coopgym.adapters import units
from coopgym.adapters.render import render_ansi
from coopgym.envs import make_game


class CoopParallelEnv(ParallelEnv):
    """Every agent acts at once; per-agent rewards from the reward layer.

    Agents are ``player_0 ... player_{n-1}``; ``state()`` is the global state for
    centralised critics. Agents that leave in a phase change disappear from
    ``agents`` and join again when the phase brings them back.
    Actions are in ``action_units`` (default ``"normalized"``: [-1, 1] played as
    (a + 1) / 2 * e_i; :mod:`coopgym.adapters.units`). Finite out-of-range actions are
    clipped; NaN/inf, non-numeric and wrongly shaped actions raise ValueError/TypeError.
    """

    metadata = {"render_modes": ["ansi"], "name": "coopgym", "is_parallelizable": True}

    def __init__(self, env_id: str, *, action_units: str = units.DEFAULT_UNITS, render_mode: str | None = None,
                 **options: Any):
        if render_mode not in (None, "ansi"):
            raise TypeError(f"unknown render_mode {render_mode!r}; choose None or 'ansi'")
        self.units = units.check_units(action_units)
        self.render_mode = render_mode
        self.game = make_game(env_id, **options)
        self.metadata = dict(self.metadata, name=self.game.spec.id)
        n = self.game.n
        self.possible_agents = [f"player_{i}" for i in range(n)]
        self.agent_index = {a: i for i, a in enumerate(self.possible_agents)}
        self.agents: list[str] = []
        low, high = units.bounds(self.game.e, self.units)
        self._action_spaces = {a: spaces.Box(np.float32(low[i]), np.float32(high[i]), shape=(1,), dtype=np.float32)
                               for a, i in self.agent_index.items()}
        self._observation_space = spaces.Box(0.0, 1.0, shape=(self.game.obs_dim,), dtype=np.float32)
        self.state_space = spaces.Box(0.0, 1.0, shape=(self.game.state_dim,), dtype=np.float32)
        self._state = None
        self._keys = None
        self._np_random = None
        self._last = None

    def observation_space(self, agent: str) -> spaces.Box:
        self._index(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Box:
        self._index(agent)
        return self._action_spaces[agent]

    def _index(self, agent: str) -> int:
        if agent not in self.agent_index:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")
        return self.agent_index[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._keys = rng.seed_keys(seed)
        elif self._keys is None:
            self._keys = rng.random_keys(1)
        else:
            self._keys = rng.next_keys(self._keys)
        self._state = self.game.reset(self._keys, options, previous=self._state)
        self._last = None
        self.agents = self._live_agents()
        obs = self._observations()
        return obs, {a: {} for a in self.agents}

    def _live_agents(self) -> list[str]:
        active = self._state.active[0]
        return [a for a, i in self.agent_index.items() if active[i]]

    def _observations(self) -> dict[str, np.ndarray]:
        obs = self.game.observe(self._state)[0]
        return {a: obs[self.agent_index[a]] for a in self.agents}

    def step(self, actions: dict[str, Any]):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        unknown = [a for a in actions if a not in self.agent_index]
        if unknown:
            raise ValueError(f"unknown agent(s) {unknown} in actions; agents are {self.possible_agents}")
        dead = [a for a in actions if a not in self.agents]
        if dead:
            raise ValueError(f"agent(s) {dead} are not in the game now; live agents are {self.agents}")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"missing action(s) for {missing}")
        joint = np.zeros((1, self.game.n))
        for agent, action in actions.items():
            joint[0, self.agent_index[agent]] = self.check_action(agent, action)
        acting = list(self.agents)
        self._state, res = self.game.step(self._state, joint)
        self._last = res
        done = bool(res.terminated[0]) or bool(res.truncated[0])
        term, trunc = bool(res.terminated[0]), bool(res.truncated[0])
        obs_all = self.game.observe(self._state)[0]
        live = [] if done else self._live_agents()
        reported = acting + [a for a in live if a not in acting]
        obs = {a: obs_all[self.agent_index[a]] for a in reported}
        rewards = {a: float(res.rewards[0, self.agent_index[a]]) if a in acting else 0.0 for a in reported}
        left = {a: a not in live for a in reported}
        terminations = {a: term or (left[a] and not trunc) for a in reported}
        truncations = {a: trunc for a in reported}
        infos = {a: {"payoff": float(res.payoffs[0, self.agent_index[a]])} for a in reported}
        self.agents = live
        return obs, rewards, terminations, truncations, infos

    def check_action(self, agent: str, action: Any) -> float:
        """``agent``'s action in endowment units; a non-numeric, non-finite or wrongly shaped one raises."""
        a = units.numeric(action, f"action of {agent}")
        if a.size != 1:
            raise ValueError(f"action of {agent} must be a single number (shape (1,)), got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"action of {agent} is NaN or inf ({float(a.reshape(()))}); actions must be finite")
        i = self.agent_index[agent]
        return float(units.to_endowment(a.reshape(()), self.game.e[i], self.units))

    def state(self) -> np.ndarray:
        if self._state is None:
            raise RuntimeError("call reset() before state()")
        return self.game.global_state(self._state)[0]

    def render(self):
        if self.render_mode == "ansi" and self._state is not None:
            return render_ansi(self.game, self._state, self._last)
        return None

    def close(self):
        pass


def parallel_env(env_id: str, **options) -> CoopParallelEnv:
    """A PettingZoo ParallelEnv of ``env_id`` ("SLCD-v0") with the same keyword options as ``make``."""
    return CoopParallelEnv(env_id, **options)


def aec_env(env_id: str, **options):
    """A PettingZoo AECEnv of ``env_id``: agents act in turn, the step resolves after the last one."""
    parallel = CoopParallelEnv(env_id, **options)
    return wrappers.OrderEnforcingWrapper(_TurnChecked(conversions.parallel_to_aec(parallel), parallel))


class _TurnChecked(wrappers.BaseWrapper):
    """Checks each agent's action at its own turn. PettingZoo's parallel-to-AEC conversion stores the
    actions and resolves them at the last agent's turn, so a bad action would only fail then (and at every
    later turn, the stored action staying bad); here it fails at once and nothing is stored."""

    def __init__(self, env, parallel: CoopParallelEnv):
        super().__init__(env)
        self._parallel = parallel

    def step(self, action):
        agent = self.agent_selection
        if action is not None or not (self.terminations.get(agent) or self.truncations.get(agent)):
            self._parallel.check_action(agent, action)
        super().step(action)
