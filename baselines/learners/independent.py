"""What the stable-baselines3 independent learners share (IPPO, IA2C, ISAC, IREINFORCE, SelfPlay-PPO).

One SB3 model per agent, each on its own :class:`~coopgym.baselines.learners.sb3_vec.SeatView`
of the same batch of games, all stepped in lockstep; agent i's model only ever sees agent
i's observations, actions and rewards (rewards scaled by SB3's VecNormalize on that view
alone), and trains with its own optimiser. ``share_parameters=True`` gives one model for
all seats (seats x copies; the observation carries the agent's one-hot id).
``partners={seat: policy name}`` makes some seats fixed registered policies (e.g.
``{1: "heuristic/tit_for_tat"}``): they play during training and in ``act``.

Checkpoints are one zip: ``learner.json`` plus each model's own SB3 ``save`` archive.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.utils import set_random_seed

from coopgym.baselines.learners.base import Learner, ProgressCallback
from coopgym.baselines.learners.sb3_vec import JointGames, Lockstep, SeatView, seeded, wrap

COMMON: dict[str, Any] = {
    "num_envs": 64,               # games stepped together
    "net_arch": [64, 64],         # SB3 MlpPolicy hidden layers (actor and critic)
    "gamma": 0.99,
    "scale_rewards": True,        # VecNormalize on each view: r / std of that view's own discounted return
    "bootstrap_truncation": True,  # at the horizon (truncated, not terminated) bootstrap with V, as SB3 does
    "partners": {},               # {seat: registered policy name}: seats played by fixed policies
    "num_threads": 1,             # torch threads while training (runs parallelise by process)
    "verbose": 0,                 # SB3 verbosity (1 prints each model's SB3 log table)
    "tensorboard_log": None,      # SB3 tensorboard directory, one run per model
}


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    return int(steps)


class SB3Learner(Learner):
    """An SB3 algorithm (``ALGORITHM``) run independently for every agent.

    A subclass gives ``ALGORITHM``, ``DEFAULTS`` (keyword arguments of the SB3 constructor,
    overridable as hyperparameters), may override ``SETTINGS`` (its own values of ``COMMON``)
    and set ``EPISODIC`` (Monte-Carlo rollouts).
    """

    family = "independent"
    ALGORITHM: ClassVar[type]
    DEFAULTS: ClassVar[dict[str, Any]] = {}
    SETTINGS: ClassVar[dict[str, Any]] = {}
    EPISODIC: ClassVar[bool] = False

    def __init__(self, seed: int = 0, share_parameters: bool = False, **hyperparameters: Any):
        allowed = {**COMMON, **self.SETTINGS, **self.DEFAULTS}
        if unknown := sorted(set(hyperparameters) - set(allowed)):
            raise ValueError(f"{self.name}: unknown hyperparameter(s) {unknown}; known: {sorted(allowed)}")
        super().__init__(seed, share_parameters, **{**allowed, **hyperparameters})
        self.hp = self.hyperparameters
        self.partners = self._parse_partners(self.hp["partners"])
        self.hp["partners"] = {str(s): p for s, p in self.partners.items()}   # as a checkpoint's JSON has it
        self.models: list = []
        self.meta: dict[str, Any] | None = None
        self.last_stats: dict[str, float] = {}
        self._trains = 0
        self._bound: tuple | None = None

    @staticmethod
    def _parse_partners(partners) -> dict[int, str]:
        from coopgym.baselines import REGISTRY

        if not isinstance(partners, dict):
            raise TypeError(f"partners must be a dict {{seat: policy name}}, got {partners!r}")
        out = {}
        for seat, name in partners.items():
            if name not in REGISTRY or REGISTRY[name].trains:
                raise ValueError(f"partner {name!r} for seat {seat} is not a registered fixed (non-learning) policy")
            out[int(seat)] = name
        return out

    # -- structure
    def units(self, n: int) -> list[list[int]]:
        """The seats each model plays: one model per learning seat, or one for all of them."""
        if bad := [s for s in self.partners if not 0 <= s < n]:
            raise ValueError(f"partner seats {bad} do not exist in a game of {n} agents")
        seats = [i for i in range(n) if i not in self.partners]
        if not seats:
            raise ValueError("every seat is a partner: nothing learns")
        return [seats] if self.share_parameters else [[i] for i in seats]

    def sb3_kwargs(self) -> dict[str, Any]:
        kwargs = {k: self.hp[k] for k in self.DEFAULTS}
        policy_kwargs = dict(kwargs.pop("policy_kwargs", None) or {}, net_arch=list(self.hp["net_arch"]))
        return dict(kwargs, gamma=self.hp["gamma"], policy_kwargs=policy_kwargs, verbose=self.hp["verbose"],
                    tensorboard_log=self.hp["tensorboard_log"], device="cpu")

    def _partner_fractions(self, game, state) -> np.ndarray:
        """(B, n) fractions with the partner seats filled by their policies."""
        if self._bound is None or self._bound[0] is not game:
            from coopgym.baselines import make_policy

            self._bound = (game, {s: make_policy(p).bind(game) for s, p in self.partners.items()})
        out = np.zeros((state.batch, game.n))
        for seat, policy in self._bound[1].items():
            out[:, [seat]] = policy.act(game, state, np.array([seat])) / game.e[seat]
        return out

    # -- training
    def train(self, env_id: str, steps: int, env_options: dict | None = None,
              callback: ProgressCallback | None = None, sb3_callbacks: list[BaseCallback] | None = None):
        """Train every model for ``steps`` env-steps (whole rollouts); ``sb3_callbacks``: one SB3 callback
        per model (e.g. CheckpointCallback), called as in SB3's own learn loop."""
        steps = check_steps(steps)
        train_seed = self.seed + 100_003 * self._trains
        with seeded(train_seed, self.hp["num_threads"]):
            games = JointGames(env_id, int(self.hp["num_envs"]), train_seed, env_options,
                               coplayers=self.coplayer_fractions)
            self._check_meta(env_id, games, env_options)
            venvs = [wrap(view, self.hp["scale_rewards"], self.hp["gamma"]) for view in self.make_views(games)]
            if not self.models:
                self.models = [self.build(venv, seed=1000 * self.seed + k) for k, venv in enumerate(venvs)]
            else:
                for model, venv in zip(self.models, venvs):
                    model.set_env(venv)
            set_random_seed(train_seed)
            games.reset(train_seed)   # the models' construction seeded the views; start from the run's seed
            games.pending_seed = None
            curve = self.run(games, steps, callback, sb3_callbacks)
        self._trains += 1
        return curve

    def make_views(self, games: JointGames) -> list[SeatView]:
        """One view per model: agent i's slots, or all learning seats x copies when shared."""
        return [SeatView.seats(games, seats) for seats in self.units(games.n)]

    def coplayer_fractions(self, games: JointGames) -> np.ndarray:
        """Actions (N, n) of the seats no model plays (the fixed partners)."""
        return self._partner_fractions(games.game, games.state)

    def build(self, venv, seed: int):
        return self.ALGORITHM("MlpPolicy", venv, seed=seed, **self.sb3_kwargs())

    def run(self, games: JointGames, steps: int, callback, sb3_callbacks) -> list[tuple[int, float]]:
        driver = Lockstep(games, self.models, bootstrap=self.hp["bootstrap_truncation"], episodic=self.EPISODIC)
        driver.start(steps, sb3_callbacks)
        curve: list[tuple[int, float]] = []
        while games.steps < steps:
            going = driver.rollout() if driver.on_policy else driver.transition()
            self.last_stats = driver.train() or self.last_stats
            if (returns := games.pop_returns()) is not None:
                curve.append((games.steps, float(returns.mean())))
                if callback is not None:
                    callback(games.steps, returns)
            if not going:
                break
        driver.finish()
        self.env_steps = games.steps   # what this call really took (whole rollouts)
        return curve

    def _check_meta(self, env_id, games, env_options) -> None:
        meta = dict(env_id=env_id, n=games.n, obs_dim=games.game.obs_dim, horizon=int(games.game.horizon),
                    mutuality=float(games.game.m),
                    variable_agents=bool(games.game.VARIABLE_AGENTS),
                    env_options=json.loads(json.dumps(env_options or {}, default=repr)))
        shape = lambda m: (m["n"], m["obs_dim"])
        if self.meta is not None and shape(self.meta) != shape(meta):
            raise ValueError(f"{self.name} was built for {self.meta['env_id']} (n={self.meta['n']}, "
                             f"obs_dim={self.meta['obs_dim']}); {env_id} has n={meta['n']}, obs_dim={meta['obs_dim']}")
        self.meta = meta

    # -- acting
    def check_game(self, game) -> None:
        if self.meta is None:
            raise RuntimeError(f"{self.name} has no networks yet: train() it or load() a checkpoint first")
        if game.n != self.meta["n"] or game.obs_dim != self.meta["obs_dim"]:
            raise ValueError(f"{self.name} was trained with n={self.meta['n']}, obs_dim={self.meta['obs_dim']} "
                             f"({self.meta['env_id']}); this game has n={game.n}, obs_dim={game.obs_dim}")

    def act(self, game, state, agents) -> np.ndarray:
        self.check_game(game)
        obs = game.observe(state)
        B, d = obs.shape[0], obs.shape[2]
        frac = self._partner_fractions(game, state) if self.partners else np.zeros((B, game.n))
        for seats, model in zip(self.units(game.n), self.models):
            a, _ = model.policy.predict(obs[:, seats].reshape(-1, d), deterministic=True)
            frac[:, seats] = a.reshape(B, len(seats))
        return np.clip(frac[:, agents], 0.0, 1.0) * game.e[agents]

    # -- checkpoints
    def header(self) -> dict[str, Any]:
        return {"algorithm": self.name, "seed": self.seed, "share_parameters": self.share_parameters,
                "hyperparameters": self.hyperparameters, "meta": self.meta, "trains": self._trains}

    def save(self, path: str | Path) -> None:
        if self.meta is None:
            raise RuntimeError(f"{self.name} has nothing to save: train() it first")
        with zipfile.ZipFile(Path(path), "w") as z:
            z.writestr("learner.json", json.dumps(self.header(), indent=1))
            for k, model in enumerate(self.models):
                buf = io.BytesIO()
                model.save(buf)
                z.writestr(f"model_{k}.zip", buf.getvalue())

    @classmethod
    def read_header(cls, z: zipfile.ZipFile, path) -> dict[str, Any]:
        if "learner.json" not in z.namelist():
            raise ValueError(f"{path} is not a checkpoint of an SB3 learner (no learner.json), not {cls.name!r}")
        head = json.loads(z.read("learner.json"))
        if head.get("algorithm") != cls.name:
            raise ValueError(f"{path} holds a {head.get('algorithm')!r} checkpoint, not {cls.name!r}")
        return head

    @classmethod
    def load(cls, path: str | Path) -> "SB3Learner":
        if not zipfile.is_zipfile(Path(path)):
            raise ValueError(f"{path} is not a {cls.name!r} checkpoint (not a zip archive)")
        with zipfile.ZipFile(Path(path)) as z:
            head = cls.read_header(z, path)
            learner = cls(head["seed"], head["share_parameters"], **head["hyperparameters"])
            learner.meta, learner._trains = head["meta"], head["trains"]
            names = sorted((n for n in z.namelist() if n.startswith("model_")), key=lambda n: int(n[6:-4]))
            learner.models = [cls.ALGORITHM.load(io.BytesIO(z.read(n)), device="cpu") for n in names]
        return learner
