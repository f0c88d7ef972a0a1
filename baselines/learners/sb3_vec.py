"""stable-baselines3 on the batched core: VecEnv views of a batch of games, and the lockstep driver.

``JointGames`` holds N games of one environment (``coopgym.vector_env``, actions as
fractions of the endowment) and steps them once every seat has an action.
``SeatView`` is a real SB3 ``VecEnv`` over some (game, seat) slots of it: agent i's
view (slots (g, i) of every game), all seats x copies (one shared policy), or one seat
per game (a focal agent among partners). Views report ``terminal_observation``,
``TimeLimit.truncated`` and a Monitor-style ``episode`` entry, are seedable, and
accept other agents of any action bounds (each agent acts in fractions of its own e_i).
Seats no view covers are played by ``coplayers(games) -> (N, n)`` fractions.

``Lockstep`` drives one SB3 model per view on the same games: every model acts, the
games step once, every model stores its own slots' transitions (its own rewards,
scaled per view by SB3's ``VecNormalize``); then each model runs its own SB3 ``train()``.
This is SB3's ``collect_rollouts`` for many models at once (timeouts bootstrapped in one
batch; steps where an agent is out of the game carry no policy gradient). SB3's own
``model.learn()`` also runs on a view whose co-players are given.
"""
from __future__ import annotations

import contextlib
import random
import sys
from typing import Any, Callable

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import HumanOutputFormat, Logger
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.utils import obs_as_tensor, set_random_seed
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

import coopgym

Coplayers = Callable[["JointGames"], np.ndarray]


class JointGames:
    """N games of ``env_id`` stepped together; actions (N, n) as fractions of each agent's endowment."""

    def __init__(self, env_id: str, num_envs: int, seed: int, env_options: dict | None = None,
                 coplayers: Coplayers | None = None):
        self.env = coopgym.vector_env(env_id, num_envs=num_envs, action_units="fraction", **(env_options or {}))
        self.game, self.n, self.num_envs = self.env.game, self.env.n_agents, self.env.num_envs
        self.coplayers = coplayers
        self.covered = np.zeros((self.num_envs, self.n), dtype=bool)   # slots some view acts for
        self._joint = np.zeros((self.num_envs, self.n))
        self._given = np.zeros((self.num_envs, self.n), dtype=bool)
        self.steps = self.count = 0        # env-steps (N per joint step), joint steps
        self.finished: list[np.ndarray] = []   # per-agent returns of finished episodes, since pop_returns
        self.pending_seed: int | None = None
        self.reset(seed)

    @property
    def state(self):
        return self.env.state

    def reset(self, seed: int | None = None) -> None:
        """Reset every game (``seed`` None: keys advance from the previous ones, deterministically)."""
        self.obs, _ = self.env.reset(seed=seed)
        self.active = self.env.state.active.copy()
        self.ep_return, self.ep_len = np.zeros((self.num_envs, self.n)), np.zeros(self.num_envs, dtype=int)
        self.fresh = True

    def submit(self, g: np.ndarray, s: np.ndarray, frac: np.ndarray) -> None:
        self._joint[g, s] = frac
        self._given[g, s] = True

    def step(self) -> None:
        """One step of every game once every covered slot has an action (the lockstep barrier)."""
        if (missing := self.covered & ~self._given).any():
            raise RuntimeError(f"lockstep: seats {sorted(set(np.nonzero(missing)[1].tolist()))} have no action "
                               "yet; every view must step_async before any view's step_wait")
        joint = self._joint
        if not self._given.all():
            if self.coplayers is None:
                seats = sorted(set(np.nonzero(~self._given)[1].tolist()))
                raise ValueError(f"seats {seats} are played by no view and no co-player policy was given")
            joint = np.where(self._given, joint, self.coplayers(self))
        active = self.active
        obs, r, term, trunc, info = self.env.step(np.clip(joint, 0.0, 1.0))
        done = term | trunc
        self.ep_return += r
        self.ep_len += 1
        final_obs, ep_return, ep_len = obs, self.ep_return, self.ep_len
        if done.any():
            final_obs = np.where(done[:, None, None], info["final_obs"], obs)
            ep_return, ep_len = self.ep_return.copy(), self.ep_len.copy()
            self.finished.append(ep_return[done])
            self.ep_return[done], self.ep_len[done] = 0.0, 0
        self.last = dict(obs=obs, rewards=r, terminated=term, truncated=trunc & ~term, done=done,
                         final_obs=final_obs, active=active, ep_return=ep_return, ep_len=ep_len)
        self.obs, self.active = obs, self.env.state.active.copy()
        self._given[:] = False
        self.steps += self.num_envs
        self.count += 1
        self.fresh = False

    def step_joint(self, frac: np.ndarray) -> None:
        """Step with every seat's action (N, n) given at once (learners that drive no view)."""
        self._joint[:] = frac
        self._given[:] = True
        self.step()

    def pop_returns(self) -> np.ndarray | None:
        """Mean return per agent (n,) of the episodes finished since the last call (raw rewards), or None."""
        out = np.concatenate(self.finished).mean(0) if self.finished else None
        self.finished = []
        return out


class SeatView(VecEnv):
    """An SB3 VecEnv over the (game, seat) slots ``(games[k], seats[k])`` of a :class:`JointGames`.

    Observation Box(0, 1, (d,)), action Box(0, 1, (1,)) (a fraction of the seat's endowment),
    reward the seat's own reward from the reward layer. ``reset()`` resets the games unless
    they have not moved since their last reset (n views of one batch reset it once); a seed
    given with ``seed()`` is used at the next reset.
    """

    def __init__(self, games: JointGames, game_idx, seat_idx):
        self.games = games
        self.g = np.asarray(game_idx, dtype=int)
        self.s = np.asarray(seat_idx, dtype=int)
        if self.g.shape != self.s.shape or self.g.ndim != 1:
            raise ValueError("game and seat indices must be 1-d arrays of one length")
        if games.covered[self.g, self.s].any():
            raise ValueError("a slot belongs to two views")
        games.covered[self.g, self.s] = True
        obs_space = spaces.Box(0.0, 1.0, (games.game.obs_dim,), np.float32)
        super().__init__(len(self.g), obs_space, spaces.Box(0.0, 1.0, (1,), np.float32))
        self._seen = games.count

    @classmethod
    def agent(cls, games: JointGames, i: int) -> "SeatView":
        """Agent i's view: one slot per game."""
        return cls(games, np.arange(games.num_envs), np.full(games.num_envs, i))

    @classmethod
    def seats(cls, games: JointGames, seats) -> "SeatView":
        """Seats x copies: slot k = (game k // len(seats), seat seats[k % len(seats)])."""
        seats = np.asarray(seats, dtype=int)
        return cls(games, np.repeat(np.arange(games.num_envs), len(seats)), np.tile(seats, games.num_envs))

    # -- VecEnv
    def reset(self):
        games = self.games
        if games.pending_seed is not None or not games.fresh:
            games.reset(games.pending_seed)
            games.pending_seed = None
        self._seen = games.count
        return games.obs[self.g, self.s]

    def seed(self, seed: int | None = None):
        self.games.pending_seed = None if seed is None else int(seed)
        return [seed] * self.num_envs

    def step_async(self, actions: np.ndarray) -> None:
        self.games.submit(self.g, self.s, np.asarray(actions, dtype=np.float64).reshape(-1))

    def step_wait(self):
        games = self.games
        if games.count == self._seen:   # the first view to wait steps the games
            games.step()
        self._seen = games.count
        last = games.last
        done = last["done"][self.g]
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for k in np.flatnonzero(done):
            g, s = self.g[k], self.s[k]
            infos[k] = {"terminal_observation": last["final_obs"][g, s],
                        "TimeLimit.truncated": bool(last["truncated"][g]),
                        "episode": {"r": float(last["ep_return"][g, s]), "l": int(last["ep_len"][g])}}
        return (last["obs"][self.g, self.s], last["rewards"][self.g, self.s].astype(np.float32), done, infos)

    def slot_active(self) -> np.ndarray:
        """Whether each slot's agent was in the game at the last step (variable-agent games)."""
        return self.games.last["active"][self.g, self.s]

    def close(self) -> None:
        pass

    def get_attr(self, attr_name, indices=None):
        if attr_name == "render_mode":
            return [None] * len(list(self._get_indices(indices)))
        raise AttributeError(f"SeatView has no per-env attribute {attr_name!r}")

    def set_attr(self, attr_name, value, indices=None):
        raise AttributeError("SeatView environments have no settable attributes")

    def env_method(self, method_name, *args, indices=None, **kwargs):
        raise AttributeError(f"SeatView environments have no method {method_name!r}")

    def env_is_wrapped(self, wrapper_class, indices=None):
        return [False] * len(list(self._get_indices(indices)))


def wrap(view: SeatView, scale_rewards: bool, gamma: float) -> VecEnv:
    """The view as a model sees it: rewards divided by the running std of this view's own discounted
    return (SB3's VecNormalize; observations are already in [0, 1])."""
    if not scale_rewards:
        return view
    return VecNormalize(view, norm_obs=False, norm_reward=True, gamma=gamma, clip_reward=np.inf)


def raw_view(venv: VecEnv) -> SeatView:
    return venv.venv if isinstance(venv, VecNormalize) else venv


@contextlib.contextmanager
def seeded(seed: int, threads: int | None = None):
    """Seed python, numpy and torch (as SB3's set_random_seed) and restore their global state after."""
    saved = random.getstate(), np.random.get_state(), th.random.get_rng_state(), th.get_num_threads()
    try:
        set_random_seed(seed)
        if threads:
            th.set_num_threads(int(threads))
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        th.random.set_rng_state(saved[2])
        th.set_num_threads(saved[3])


class Lockstep:
    """SB3 models, one per view, all on the same :class:`JointGames`.

    ``bootstrap``: at a horizon cut (``TimeLimit.truncated``) add gamma V(terminal observation),
    as SB3 does; ``episodic``: every rollout starts all games afresh and steps after a game's
    end carry no gradient (Monte-Carlo returns, for REINFORCE).
    """

    def __init__(self, games: JointGames, models: list, bootstrap: bool = True, episodic: bool = False):
        self.games, self.models = games, models
        self.views = [raw_view(m.get_env()) for m in models]
        self.bootstrap, self.episodic = bootstrap, episodic
        self.on_policy = isinstance(models[0], OnPolicyAlgorithm)
        self.variable = bool(games.game.VARIABLE_AGENTS)
        self.masked = [False] * len(models)   # whether the last rollout of each model had masked samples

    def start(self, total: int, callbacks: list[BaseCallback | None] | None = None) -> None:
        """SB3's _setup_learn for every model (logger, callbacks, first observations); ``total`` in env-steps."""
        self.callbacks, self.totals = [], []
        for model, view, cb in zip(self.models, self.views, callbacks or [None] * len(self.models)):
            if model.tensorboard_log is None and not model._custom_logger:
                # SB3's default logger makes a folder in the temp directory on every learn call, even
                # when nothing is written there (thousands of empty folders over a corpus build)
                model.set_logger(Logger(None, [HumanOutputFormat(sys.stdout)] if model.verbose >= 1 else []))
            own = total * view.num_envs // self.games.num_envs   # in the model's own timesteps (slots)
            model_total, cb = model._setup_learn(own, cb, reset_num_timesteps=False,
                                                 tb_log_name=type(model).__name__)
            cb.on_training_start(locals(), globals())
            self.callbacks.append(cb)
            self.totals.append(model_total)

    def finish(self) -> None:
        for cb in self.callbacks:
            cb.on_training_end()

    def _act_all(self, act) -> list:
        """Every model's actions submitted, then the games step; returns per model (act output, step output)."""
        outs = [act(m) for m in self.models]
        for m, out in zip(self.models, outs):
            m.get_env().step_async(out[0])
        return [(out, m.get_env().step_wait()) for m, out in zip(self.models, outs)]

    def _on_step(self, model, cb, new_obs, rewards, dones, infos) -> bool:
        model.num_timesteps += model.get_env().num_envs
        cb.update_locals(locals())
        model._update_info_buffer(infos, dones)
        return cb.on_step()

    # -- on-policy (PPO, A2C): one rollout of n_steps, then each model's train()
    def rollout(self) -> bool:
        if self.episodic:
            self.games.reset()
            for m, v in zip(self.models, self.views):   # the model's env (VecNormalize too) starts afresh
                m._last_obs, m._last_episode_starts = m.get_env().reset(), np.ones(v.num_envs, dtype=bool)
        n_steps = self.models[0].n_steps
        live = [np.ones((n_steps, v.num_envs), dtype=bool) for v in self.views]
        going = True
        for m, cb in zip(self.models, self.callbacks):
            m.policy.set_training_mode(False)
            m.rollout_buffer.reset()
            cb.on_rollout_start()

        def act(m):
            with th.no_grad():
                actions, values, log_probs = m.policy(obs_as_tensor(m._last_obs, m.device))
            actions = actions.cpu().numpy()
            return np.clip(actions, 0.0, 1.0), actions, values, log_probs

        ended = [np.zeros(v.num_envs, dtype=bool) for v in self.views]
        for t in range(n_steps):
            for k, ((_, actions, values, log_probs), (new_obs, rewards, dones, infos)) in enumerate(self._act_all(act)):
                m, v = self.models[k], self.views[k]
                going &= self._on_step(m, self.callbacks[k], new_obs, rewards, dones, infos)
                if self.variable:
                    live[k][t] &= v.slot_active()
                if self.episodic:
                    live[k][t] &= ~ended[k]
                    ended[k] |= dones
                cut = np.flatnonzero([d and i.get("TimeLimit.truncated", False) for d, i in zip(dones, infos)])
                if self.bootstrap and len(cut):   # SB3 issue #633, in one batch
                    terminal = np.stack([infos[i]["terminal_observation"] for i in cut])
                    with th.no_grad():
                        tv = m.policy.predict_values(obs_as_tensor(terminal, m.device)).cpu().numpy().ravel()
                    rewards[cut] += m.gamma * tv
                m.rollout_buffer.add(m._last_obs, actions, rewards, m._last_episode_starts, values, log_probs)
                m._last_obs, m._last_episode_starts = new_obs, dones
        for k, m in enumerate(self.models):
            buf = m.rollout_buffer
            with th.no_grad():
                last_values = m.policy.predict_values(obs_as_tensor(m._last_obs, m.device))
            if self.episodic:
                last_values = th.zeros_like(last_values)
            buf.compute_returns_and_advantage(last_values=last_values, dones=m._last_episode_starts)
            self.masked[k] = not live[k].all()
            if self.masked[k]:   # no policy or value gradient where the agent was out or the episode over
                on = live[k]
                if m.normalize_advantage and on.any():   # normalised here over the live samples (not in train())
                    adv = buf.advantages[on]
                    buf.advantages[on] = (adv - adv.mean()) / (adv.std() + 1e-8)
                buf.advantages[~on] = 0.0
                buf.returns[~on] = buf.values[~on]
            self.callbacks[k].update_locals(locals())
            self.callbacks[k].on_rollout_end()
        return going

    def train(self) -> dict[str, float]:
        """Each model's own SB3 train(); returns the logged losses, prefixed by the model's index."""
        stats = {}
        for k, m in enumerate(self.models):
            m._update_current_progress_remaining(m.num_timesteps, self.totals[k])
            if self.on_policy:
                normalise = m.normalize_advantage
                m.normalize_advantage = normalise and not self.masked[k]
                try:
                    m.train()
                finally:
                    m.normalize_advantage = normalise
            elif m.num_timesteps > m.learning_starts and m.gradient_steps > 0:
                m.train(gradient_steps=m.gradient_steps, batch_size=m.batch_size)
            stats.update({f"{k}/{key}": float(v) for key, v in m.logger.name_to_value.items()
                          if key.startswith("train/") and np.isscalar(v)})
            m.logger.dump(step=m.num_timesteps)
        return stats

    # -- off-policy (SAC): one step of every game, transitions into each model's replay buffer
    def transition(self) -> bool:
        going = True

        def act(m):
            return m._sample_action(m.learning_starts, m.action_noise, m.get_env().num_envs)

        for k, ((_, buffer_actions), (new_obs, rewards, dones, infos)) in enumerate(self._act_all(act)):
            m = self.models[k]
            going &= self._on_step(m, self.callbacks[k], new_obs, rewards, dones, infos)
            if not self.bootstrap:   # the horizon as the game's end: SB3's buffer then keeps done = 1
                for i in np.flatnonzero(dones):
                    infos[i]["TimeLimit.truncated"] = False
            m._store_transition(m.replay_buffer, buffer_actions, new_obs, rewards, dones, infos)
            m._on_step()
        return going
