"""What every learner shares: hyperparameters, seeding, the training budget and its evaluation
points, acting, checkpoints.

A learner is a :class:`coopgym.policy.Policy` that trains. It controls every agent of an
environment (one set of parameters per agent unless ``share_parameters=True``), each agent
learning from **its own reward** as the reward layer gives it (never the sum), on the one
rollout driver (:mod:`~coopgym.baselines.learners.rollout`). Every policy acts in fractions
of the agent's endowment, and every untrained policy's mean action is half of it.

An algorithm's file gives ``DEFAULTS`` (its hyperparameters) and

    build()              its networks and optimisers for ``self.meta`` (n, obs_dim, state_dim, ...),
    policy(obs)          the deterministic fractions (n, B) for observations (n, B, d) (what ``act`` plays),
    learn(env)           its training loop on a :class:`Rollout`, until ``env.exhausted``.

Everything else is here: ``train`` (exact budgets, evaluation points inside the run),
``act`` (any subset of agents, with the shape check), ``save``/``load`` (every ``nn.Module``
and optimiser attribute, under a header naming the algorithm).
"""
from __future__ import annotations

import json
import pickle
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from coopgym.objectives import LEARNER_OBJECTIVE, LEARNER_OBJECTIVES
from coopgym.baselines.learners.nets import AgentMLP
from coopgym.baselines.learners.rollout import Budget, NStep, ProgressCallback, ReplayBuffer, Rollout
from coopgym.policy import Policy

FORMAT = "coopgym-learner/1"

#: hyperparameters every learner understands (each algorithm adds its own)
COMMON: dict[str, Any] = {
    "num_envs": 256,             # games stepped together
    "hidden": 32,                # width of the two hidden layers of every network (see the package docstring)
    "gamma": 0.99,
    "scale_rewards": True,       # divide each agent's reward by the running std of its own discounted return
    "max_grad_norm": 0.5,        # per agent
    "critic_state": "auto",      # centralised critics: "full" global state, or "summary" (see rollout.StateSummary)
    "num_threads": 1,            # torch threads while training (runs parallelise by process; None: torch's setting)
}


def check_steps(steps, what: str = "steps") -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {steps!r}")
    return int(steps)


class Learner(Policy):
    kind = "learner"
    trains = True
    #: what the learner optimises (``coopgym policies --json``)
    objective: ClassVar[str] = LEARNER_OBJECTIVE
    family: ClassVar[str] = ""
    DEFAULTS: ClassVar[dict[str, Any]] = {}
    #: hyperparameters of a base class this algorithm does not use (refused by name)
    NOT_USED: ClassVar[tuple[str, ...]] = ()
    #: whether ``partners={seat: registered fixed policy}`` is available
    PARTNERS: ClassVar[bool] = False

    def __init__(self, seed: int = 0, share_parameters: bool = False, **hyperparameters: Any):
        allowed = dict(COMMON)
        for klass in reversed(type(self).__mro__):   # a subclass's defaults override its bases'
            allowed.update(klass.__dict__.get("DEFAULTS", {}))
            for key in klass.__dict__.get("NOT_USED", ()):
                allowed.pop(key, None)
        if self.PARTNERS:
            allowed.setdefault("partners", {})
        if unknown := sorted(set(hyperparameters) - set(allowed)):
            raise ValueError(f"{self.name}: unknown hyperparameter(s) {unknown}; known: {sorted(allowed)}")
        self.seed = check_steps(seed, "seed")
        self.share_parameters = bool(share_parameters)
        self.hp = self.hyperparameters = {**allowed, **hyperparameters}
        if self.PARTNERS:
            self.partners = parse_partners(self.hp["partners"])
            self.hp["partners"] = {str(s): p for s, p in self.partners.items()}   # as the checkpoint's JSON has it
        else:
            self.partners = {}
        self.meta: dict[str, Any] | None = None    # the environment the networks were built for
        self.evaluations: list[tuple[int, Any]] = []
        self.trains_done = 0
        self.last_stats: dict[str, float] = {}
        self._acting_partners: tuple | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name") in LEARNER_OBJECTIVES:   # an objective other than the default is named there
            cls.objective = LEARNER_OBJECTIVES[cls.name]
        if cls.family == "centralised":   # a centralised critic reads every seat's action: every seat learns
            cls.PARTNERS = False

    # -- the algorithm's part (abstract: every algorithm file defines build, policy and learn)
    def build(self) -> None:
        raise NotImplementedError

    def policy(self, obs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def learn(self, env: Rollout) -> None:
        raise NotImplementedError

    def centralised(self, agent_inputs: int, out: int = 1) -> AgentMLP:
        """One network per agent on its own ``agent_inputs`` numbers and the global state (a centralised
        critic), two hidden layers of ``hidden``."""
        return AgentMLP(self.meta["n"], agent_inputs, self.meta["state_dim"], [self.hp["hidden"]] * 2, out)

    # -- training
    def train(self, env_id: str, steps: int, env_options: dict | None = None, *,
              eval_at: Sequence[int] = (), evaluate: Callable[["Learner", int], Any] | None = None,
              callback: ProgressCallback | None = None) -> list[tuple[int, float]]:
        """Train for exactly ``steps`` env-steps (one env-step = one step of one game). At each count in
        ``eval_at`` (0 = before any update; counts <= steps) call ``evaluate(self, env_steps)`` with the
        current deterministic policy, without disturbing training (nothing training uses is touched, so
        a run with evaluation points ends with the same parameters as one without), and append
        ``(env_steps, result)`` to ``self.evaluations``. ``evaluate=None``: the executor's
        ``evaluate(self, env_id, 10, self.seed, env_options)``, keeping its mean return.
        Returns the training curve [(env_steps, mean training-episode return over agents)]."""
        steps = check_steps(steps)
        points = sorted({check_steps(k, "every eval_at count") for k in eval_at})
        if points and points[-1] > steps:
            raise ValueError(f"eval_at counts must be at most the budget ({steps}), got {points[-1]}")
        if evaluate is None:
            def evaluate(learner, _):
                from coopgym.runner.execute import evaluate as play

                return float(play(learner, env_id, 10, learner.seed, env_options)["returns"].mean())

        def on_eval(k: int) -> None:
            with torch.no_grad():
                self.evaluations.append((k, evaluate(self, k)))

        budget = Budget(steps, points, on_eval, callback)
        run_seed = int(np.random.SeedSequence([self.seed, self.trains_done]).generate_state(1)[0])
        threads = torch.get_num_threads()
        try:   # more threads than cores (parallel runs) makes torch's thread pools spin: ask for few
            torch.set_num_threads(int(self.hp["num_threads"] or threads))
            env = self.start(env_id, env_options, budget, run_seed)
            if steps:
                self.learn(env)
            env.flush()
            budget.evaluate_before(steps + 1)
        finally:
            torch.set_num_threads(threads)
        self.trains_done += 1
        return budget.curve

    def start(self, env_id: str, env_options: dict | None, budget: Budget, run_seed: int) -> Rollout:
        """Seed the run's generators, start the driver and build the networks (kept when already built
        for a game of the same shape: training continues)."""
        self.gen = torch.Generator().manual_seed(run_seed)
        self.np_rng = np.random.default_rng(run_seed)
        env = self.rollout(env_id, env_options, budget, run_seed)
        self.adopt(env_id, env_options, env)
        return env

    def rollout(self, env_id: str, env_options: dict | None, budget: Budget, seed: int,
                num_envs: int | None = None) -> Rollout:
        return Rollout(env_id, env_options, int(num_envs or self.hp["num_envs"]), seed, budget,
                       gamma=self.hp["gamma"], scale_rewards=self.hp["scale_rewards"],
                       critic_state_kind=self.hp["critic_state"], partners=self.partners)

    def adopt(self, env_id: str, env_options: dict | None, env: Rollout) -> None:
        """Record the environment in ``self.meta`` and build the networks for it (or check it fits them)."""
        game = env.game
        meta = dict(env_id=env_id, n=game.n, obs_dim=game.obs_dim, state_dim=env.state_dim,
                    horizon=int(game.horizon), mutuality=float(game.m), variable_agents=bool(game.VARIABLE_AGENTS),
                    env_options=json.loads(json.dumps(env_options or {}, default=repr)))   # plain data
        shape = ("n", "obs_dim", "state_dim")
        if self.meta is not None and any(self.meta[k] != meta[k] for k in shape):
            raise ValueError(f"{self.name} was built for {self.meta['env_id']} "
                             f"({', '.join(f'{k}={self.meta[k]}' for k in shape)}); {env_id} has "
                             f"{', '.join(f'{k}={meta[k]}' for k in shape)}")
        fresh, self.meta = self.meta is None, meta
        if fresh:
            self.build_seeded()

    def build_seeded(self) -> None:
        """``build`` with the initial weights drawn from the learner's seed (torch's global generator is
        left as it was)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.build()

    # -- acting
    def check_game(self, game) -> None:
        if self.meta is None:
            raise RuntimeError(f"{self.name} has no networks yet: train() it or load() a checkpoint first")
        if game.n != self.meta["n"] or game.obs_dim != self.meta["obs_dim"]:
            raise ValueError(f"{self.name} was trained with n={self.meta['n']}, obs_dim={self.meta['obs_dim']} "
                             f"({self.meta['env_id']}); this game has n={game.n}, obs_dim={game.obs_dim}")

    def act(self, game, state, agents) -> np.ndarray:
        self.check_game(game)
        with torch.no_grad():
            obs = torch.from_numpy(game.observe(state)).transpose(0, 1)
            frac = self.policy(obs).T.numpy().astype(np.float64)                         # (B, n)
        if self.partners:   # their own instances, bound here: acting never moves training's partners
            if self._acting_partners is None or self._acting_partners[0] is not game:
                from coopgym.registry import make_policy

                self._acting_partners = (game, {s: make_policy(p).bind(game) for s, p in self.partners.items()})
            for seat, partner in self._acting_partners[1].items():
                frac[:, seat] = partner.act(game, state, np.array([seat]))[:, 0] / game.e[seat]
        return np.clip(frac[:, agents], 0.0, 1.0) * game.e[agents]

    # -- checkpoints
    def parts(self) -> dict[str, Any]:
        """Every network and optimiser of the learner, by attribute name."""
        return {k: v for k, v in vars(self).items() if isinstance(v, (nn.Module, torch.optim.Optimizer))}

    def header(self) -> dict[str, Any]:
        return {"format": FORMAT, "algorithm": self.name, "module": type(self).__module__,
                "class": type(self).__qualname__, "seed": self.seed, "share_parameters": self.share_parameters,
                "hyperparameters": self.hyperparameters, "meta": self.meta, "trains": self.trains_done}

    def save(self, path: str | Path) -> None:
        """One file: the header (JSON) and the state of every network and optimiser."""
        if self.meta is None:
            raise RuntimeError(f"{self.name} has nothing to save: train() it first")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        torch.save({"header": json.dumps(self.header()),
                    "parts": {k: v.state_dict() for k, v in self.parts().items()}}, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> "Learner":
        """Restore a learner saved with ``save``; refuses another algorithm's checkpoint."""
        head, parts = read_checkpoint(path)
        if head["algorithm"] != cls.name:
            raise ValueError(f"{path} holds a {head['algorithm']!r} checkpoint, not {cls.name!r}")
        learner = cls(head["seed"], head["share_parameters"], **head["hyperparameters"])
        learner.meta, learner.trains_done = head["meta"], head["trains"]
        learner.build_seeded()
        own = learner.parts()
        if set(own) != set(parts):
            raise ValueError(f"{path}: the checkpoint holds {sorted(parts)}, {cls.name} has {sorted(own)}")
        for k, v in own.items():
            v.load_state_dict(parts[k])
        return learner


def read_checkpoint(path: str | Path) -> tuple[dict, dict]:
    """The header and the parts of a learner checkpoint; ValueError for any other file."""
    try:
        ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a learner checkpoint (torch.load: {err})") from None
    head = json.loads(ckpt["header"]) if isinstance(ckpt, dict) and isinstance(ckpt.get("header"), str) else None
    if not head or head.get("format") != FORMAT:
        raise ValueError(f"{path} is not a learner checkpoint (no {FORMAT!r} header)")
    return head, ckpt["parts"]


def load(path: str | Path) -> Learner:
    """Any learner's checkpoint, the class chosen from its header."""
    head, _ = read_checkpoint(path)
    from coopgym.registry import LEARNERS, REGISTRY

    if head["algorithm"] not in LEARNERS:
        raise ValueError(f"{path} holds a checkpoint of {head['algorithm']!r}, which is not one of the learners "
                         f"({', '.join(LEARNERS)})")
    return REGISTRY[head["algorithm"]].factory.load(path)


def parse_partners(partners) -> dict[int, str]:
    """{seat: registered fixed policy name} -> {int seat: name}; refuses learners and unknown names."""
    from coopgym.registry import REGISTRY

    if not isinstance(partners, dict):
        raise TypeError(f"partners must be a dict {{seat: policy name}}, got {partners!r}")
    out = {}
    for seat, name in partners.items():
        if name not in REGISTRY or REGISTRY[name].trains:
            raise ValueError(f"partner {name!r} for seat {seat} is not a registered fixed (non-learning) policy")
        out[int(seat)] = name
    return out


class OffPolicyLearner(Learner):
    """The replay loop of ISAC, MADDPG, MATD3, MASAC, M3DDPG, QMIX and VDN.

    Uniform random play for the first ``learning_starts`` env-steps (which also fix each agent's reward
    scale: the buffer's transitions all share it), then ``explore(obs, state)`` (n, N) fractions;
    every transition goes into the replay buffer as an n-step transition (``rollout.NStep``), and
    training runs at a fixed **update-to-data ratio**: ``utd`` gradient steps per env-step (1/128 by
    default), each on ``batch_size`` replayed agent-transitions (batch_size / n game-steps, every
    agent's transition of each). Every gradient step then costs about the same whatever the number
    of agents, and each agent's transition is replayed utd x batch_size / n times on average (the
    replay ratio: 8 with two agents, 4 with four, 0.4 with forty). One update per env-step (the
    papers' setting, with one environment) would cost ~100 x more compute: the ratio is what lets an
    off-policy learner train 200,000 env-steps in seconds. A gradient step here is overhead-bound
    (~700 small torch operations), so few large steps beat many small ones."""

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "num_envs": 64,
        "batch_size": 2048,         # agent-transitions per gradient step (batch_size / n game-steps)
        "utd": 1 / 128,             # gradient steps per env-step
        "learning_starts": 2_000,   # env-steps of uniform random play before the first update
        "n_step": 5,                # n-step returns in the critics' targets (see rollout.NStep)
        "buffer_size": 200_000,     # game-steps kept (fewer when they would not fit buffer_memory_mb)
        "buffer_memory_mb": 512,
        "max_grad_norm": 10.0,
    }

    def learn(self, env: Rollout) -> None:
        buffer, credit, self.budget = None, 0.0, env.budget
        n_step = NStep(self.hp["n_step"], self.hp["gamma"])
        while not env.exhausted:
            if env.budget.steps < self.hp["learning_starts"]:
                frac = torch.rand((env.n, env.num_envs), generator=self.gen)
            else:
                env.scaler.frozen = True
                with torch.no_grad():
                    frac = self.explore(env.obs, env.state)
            tr = n_step(env.step(frac), env.num_envs)
            if tr is None:
                continue
            if buffer is None:
                rows = max(16, -(-self.hp["batch_size"] // env.n))
                buffer = ReplayBuffer(self.hp["buffer_size"], self.hp["buffer_memory_mb"], rows, tr)
            buffer.add(tr)
            if env.budget.steps >= self.hp["learning_starts"]:
                credit += tr["count"] * self.hp["utd"]
                while credit >= 1.0:
                    credit -= 1.0
                    self.last_stats = self.update(buffer.sample(rows, self.gen))
