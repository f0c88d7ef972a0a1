"""What the nine centralised-training learners share: per-agent networks, rollouts on the
batched vector env, a replay buffer, reward scaling, action bins, checkpoints.

Every learner here controls all n agents of an environment and keeps **one set of
parameters per agent**: an agent's networks are one member of an ensemble
(:class:`AgentMLP`, weights (k, in, out)) evaluated for all agents in one batched
matmul. Nothing couples the members, so agent i's parameters only ever see agent i's
loss: gradients are clipped per member (:func:`clip_per_agent`), Adam is elementwise,
rewards are scaled per agent (:class:`RewardScaler`), advantages normalised per agent.
``share_parameters=True`` makes the policy networks one shared member (the observation
carries the agent's one-hot id); critics stay one per agent, always.

Training runs on ``coopgym.vector_env(id, num_envs=N, action_units="fraction")``:
policies output fractions of the endowment in [0, 1]; ``act`` multiplies by ``game.e``.
Every observation carries t / horizon, so reaching the horizon is treated as the
end of the game (no bootstrap past it), like a termination.
"""
from __future__ import annotations

import json
import math
import pickle
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

import coopgym
from coopgym.baselines.learners.base import Learner, ProgressCallback

#: hyperparameters every centralised learner understands (each adds its own)
COMMON_DEFAULTS: dict[str, Any] = {
    "num_envs": 64,          # games stepped together by the vector env
    "hidden": 64,            # width of the two hidden layers of every network
    "gamma": 0.99,
    "scale_rewards": True,   # divide each agent's reward by the running std of its own discounted return
    "max_grad_norm": 10.0,   # per agent
    "num_threads": 1,        # torch threads while training (runs parallelise by process; None: torch's setting)
}


class AgentMLP(nn.Module):
    """k independent MLPs evaluated together: ``(k, B, in_agent)`` and/or ``(B, in_shared)`` -> ``(k, B, out)``.

    The first layer takes an input per member (an agent's own observation) and an input
    all members read (the global state), without copying the shared input k times.
    """

    def __init__(self, k: int, in_agent: int, in_shared: int, hidden: list[int], out: int,
                 activation: str = "tanh", out_gain: float = 1.0):
        super().__init__()
        self.k, self.in_agent, self.in_shared, self.out = k, in_agent, in_shared, out
        self.act = {"tanh": torch.tanh, "relu": torch.relu}[activation]
        sizes = [in_agent + in_shared] + list(hidden) + [out]
        gains = [math.sqrt(2.0)] * len(hidden) + [out_gain]
        self.names = [(f"w{l}", f"b{l}") for l in range(len(sizes) - 1)]
        for (wn, bn), (i, o), g in zip(self.names, zip(sizes[:-1], sizes[1:]), gains):
            w = torch.empty(k, i, o)
            for m in range(k):
                nn.init.orthogonal_(w[m], gain=g)
            if wn == "w0":   # the shared input's weights laid out (in_shared, k, h): one plain matmul, no copy
                self.s0 = nn.Parameter(w[:, in_agent:].transpose(0, 1).contiguous()) if in_shared else None
                w = w[:, :in_agent].contiguous()
            setattr(self, wn, nn.Parameter(w))
            setattr(self, bn, nn.Parameter(torch.zeros(k, 1, o)))

    def forward(self, x_agent: torch.Tensor | None = None, x_shared: torch.Tensor | None = None) -> torch.Tensor:
        p = self._parameters   # direct dict access: nn.Module attribute lookup is slow for tiny nets
        h = p["b0"] if x_agent is None else torch.baddbmm(p["b0"], x_agent, p["w0"])
        if x_shared is not None:
            shared = x_shared @ p["s0"].view(self.in_shared, -1)                    # (B, k * h)
            h = h + shared.view(x_shared.shape[0], self.k, -1).transpose(0, 1)
        return self._hidden(h)

    def each(self, x: torch.Tensor) -> torch.Tensor:
        """Member m on its own input ``x[m]`` through the shared-input weights: (k, B, in_shared) -> (k, B, out)."""
        p = self._parameters
        return self._hidden(torch.baddbmm(p["b0"], x, p["s0"].transpose(0, 1)))

    def _hidden(self, h: torch.Tensor) -> torch.Tensor:
        p = self._parameters
        for wn, bn in self.names[1:]:
            h = torch.baddbmm(p[bn], self.act(h), p[wn])
        return h


def member(module: nn.Module, index: int | None = None, grad: bool = False) -> list[torch.Tensor]:
    """Every parameter (or gradient) of ``module`` with the ensemble member first (``s0`` stores it
    second), or member ``index``'s slice of each."""
    views = [x.transpose(0, 1) if name.endswith("s0") else x for name, x in
             ((name, p.grad if grad else p) for name, p in module.named_parameters()) if x is not None]
    return views if index is None else [v[index] for v in views]


class PolicyNet(nn.Module):
    """The n agents' policy networks: ``(n, B, d) -> (n, B, out)``; one member per agent, or one shared."""

    def __init__(self, n: int, in_dim: int, hidden: int, out: int, shared: bool, activation: str,
                 out_gain: float = 0.01):
        super().__init__()
        self.n, self.shared = n, shared
        self.mlp = AgentMLP(1 if shared else n, in_dim, 0, [hidden, hidden], out, activation, out_gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, B = x.shape[:2]
        return self.mlp(x.reshape(1, n * B, -1)).reshape(n, B, -1) if self.shared else self.mlp(x)


def clip_per_agent(module: nn.Module, max_norm: float) -> None:
    """Clip the gradient norm of each ensemble member separately (a global norm would let
    one agent's gradient shrink another's step)."""
    grads = member(module, grad=True)
    if not grads or not max_norm:
        return
    k = grads[0].shape[0]
    sq = sum(g.reshape(k, -1).pow(2).sum(1) for g in grads)
    factor = (max_norm / (sq.sqrt() + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(factor.view(k, *([1] * (g.dim() - 1))))


def adam(params, lr: float, eps: float = 1e-8) -> torch.optim.Adam:
    return torch.optim.Adam(list(params), lr=lr, eps=eps, foreach=True)


@contextmanager
def frozen(*modules: nn.Module):
    """No parameter gradients for ``modules`` inside the block (an actor's loss through a critic)."""
    params = [p.requires_grad_(False) for m in modules for p in m.parameters()]
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def polyak(target: nn.Module, online: nn.Module, tau: float) -> None:
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.lerp_(o, tau)


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim) -> torch.Tensor:
    return (x * mask).sum(dim) / mask.sum(dim).clamp(min=1.0)


def normalise_per_agent(adv: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Advantages (n, B) standardised per agent over that agent's active samples."""
    mean = masked_mean(adv, mask, 1)[:, None]
    var = masked_mean((adv - mean) ** 2, mask, 1)[:, None]
    return (adv - mean) / (var.sqrt() + 1e-8)


def lambda_returns(rewards: torch.Tensor, done: torch.Tensor, q_next: torch.Tensor, gamma: float,
                   lam: float) -> torch.Tensor:
    """TD(lambda) targets (T, n, N) for a critic of taken actions: G_t = r_t + gamma (1 - d_t)
    ((1 - lam) Q_{t+1} + lam G_{t+1}), with q_next[t] = Q_{t+1} and G_T = Q_T (the bootstrap)."""
    out, g = torch.empty_like(rewards), q_next[-1]
    for t in reversed(range(rewards.shape[0])):
        g = rewards[t] + gamma * (1.0 - done[t]) * ((1.0 - lam) * q_next[t] + lam * g)
        out[t] = g
    return out


def bin_fractions(bins: int) -> torch.Tensor:
    """The discretised action set: ``bins`` evenly spaced fractions of the endowment, 0 and 1 included."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    return torch.linspace(0.0, 1.0, bins)


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    return -0.5 * ((x - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)


class RewardScaler:
    """r_i / std of agent i's running discounted return (as Engstrom et al. 2020 and SB3's VecNormalize),
    one scale per agent from that agent's own rewards. Scaling keeps the optimal policy."""

    def __init__(self, n: int, gamma: float, enabled: bool = True):
        self.gamma, self.enabled, self.ret = gamma, enabled, None
        self.count, self.mean, self.var = 1e-4, np.zeros(n), np.ones(n)

    def __call__(self, r: np.ndarray, done: np.ndarray) -> np.ndarray:
        if not self.enabled:
            return r.astype(np.float32)
        self.ret = r.copy() if self.ret is None else self.ret * self.gamma + r
        b, delta = self.ret.shape[0], self.ret.mean(0) - self.mean   # parallel-variance update (Chan et al.)
        total = self.count + b
        self.mean = self.mean + delta * b / total
        self.var = (self.var * self.count + self.ret.var(0) * b + delta ** 2 * self.count * b / total) / total
        self.count, self.ret[done] = total, 0.0
        return (r / np.sqrt(self.var + 1e-8)).astype(np.float32)


class Rollout:
    """Drives ``coopgym.vector_env`` (fractions in) and keeps the episode returns (raw rewards)."""

    def __init__(self, env_id: str, num_envs: int, seed: int, env_options: dict | None = None):
        self.env = coopgym.vector_env(env_id, num_envs=num_envs, action_units="fraction", **(env_options or {}))
        self.game, self.n, self.num_envs = self.env.game, self.env.n_agents, self.env.num_envs
        self.obs, info = self.env.reset(seed=seed)
        self.state, self.active, self.steps = info["state"], self.env.state.active.copy(), 0
        self._ep_return, self._finished = np.zeros((num_envs, self.n)), []

    def step(self, frac: np.ndarray) -> dict[str, np.ndarray]:
        """One step of every game; returns the transition (next_* are the final ones where a game ended)."""
        obs, state, active = self.obs, self.state, self.active
        nobs, r, term, trunc, info = self.env.step(frac)
        done = term | trunc
        next_obs, next_state = nobs, info["state"]
        self.active = next_active = self.env.state.active.copy()
        if "_final" in info:
            f = info["_final"]
            next_obs = np.where(f[:, None, None], info["final_obs"], nobs)
            next_state = np.where(f[:, None], info["final_state"], next_state)
        self._ep_return += r
        if done.any():
            self._finished.append(self._ep_return[done].copy())
            self._ep_return[done] = 0.0
        self.obs, self.state, self.steps = nobs, info["state"], self.steps + self.num_envs
        played = info["actions"] / self.game.e  # the clipped actions (0 for inactive agents), as fractions
        return dict(obs=obs, state=state, active=active, actions=played.astype(np.float32), rewards=r,
                    done=done, next_obs=next_obs, next_state=next_state, next_active=next_active)

    def pop_returns(self) -> np.ndarray | None:
        """Mean return per agent (n,) of the episodes finished since the last call, or None."""
        out, self._finished = (np.concatenate(self._finished).mean(0) if self._finished else None), []
        return out


def tensor(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x), dtype=torch.float32)


class ReplayBuffer:
    """A ring of transitions (one row = one game's step, all agents), kept as torch tensors."""

    def __init__(self, capacity: int, shapes: dict[str, tuple]):
        self.capacity, self.size, self.pos = int(capacity), 0, 0
        self.data = {k: torch.empty((self.capacity,) + tuple(s)) for k, s in shapes.items()}

    def add(self, **rows: np.ndarray) -> None:
        count = len(next(iter(rows.values())))
        idx = (self.pos + np.arange(count)) % self.capacity
        for k, v in rows.items():
            self.data[k][idx] = tensor(v)
        self.pos, self.size = int((self.pos + count) % self.capacity), min(self.size + count, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        idx = torch.from_numpy(rng.integers(0, self.size, size=batch_size))
        return {k: v[idx] for k, v in self.data.items()}


class CentralisedLearner(Learner):
    """Seeding, the vector env, acting, checkpoints. A subclass gives its ``DEFAULTS`` and
    build()                networks and optimisers for self.meta (n, obs_dim, state_dim),
    make_optimisers()      (re)creates the optimisers,
    modules() -> dict      every nn.Module a checkpoint holds,
    policy_fractions(obs)  deterministic actions (B, n) in [0, 1] from observations (B, n, d),
    run(env, steps, log)   trains for ``steps`` env-steps, calling log() after each update
                           (OnPolicyLearner and OffPolicyLearner below give the two loops)."""

    family = "centralised"
    DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(self, seed: int = 0, share_parameters: bool = False, **hyperparameters: Any):
        allowed = dict(COMMON_DEFAULTS)
        for klass in reversed(type(self).__mro__):  # a subclass's defaults override its bases'
            allowed.update(klass.__dict__.get("DEFAULTS", {}))
        if unknown := sorted(set(hyperparameters) - set(allowed)):
            raise ValueError(f"{self.name}: unknown hyperparameter(s) {unknown}; known: {sorted(allowed)}")
        super().__init__(seed, share_parameters, **{**allowed, **hyperparameters})
        self.hp = dict(self.hyperparameters)
        self.meta: dict[str, Any] | None = None   # the environment the networks were built for

    def prepare(self, env_id: str, env_options: dict | None = None) -> Rollout:
        """Seed everything, start the vector env and build the networks (kept if already built for
        an environment of the same shape: training continues)."""
        self.np_rng, self.gen = np.random.default_rng(self.seed), torch.Generator().manual_seed(self.seed)
        env = Rollout(env_id, int(self.hp["num_envs"]), self.seed, env_options)
        meta = dict(env_id=env_id, n=env.n, obs_dim=env.env.obs_dim, state_dim=env.env.state_dim,
                    variable_agents=bool(env.game.VARIABLE_AGENTS), mutuality=float(env.game.m),
                    env_options=json.loads(json.dumps(env_options or {}, default=repr)))  # plain data
        shape = lambda m: {k: m[k] for k in ("n", "obs_dim", "state_dim")}
        if self.meta is not None and shape(self.meta) != shape(meta):
            raise ValueError(f"{self.name} was built for {self.meta['env_id']} {shape(self.meta)}; "
                             f"{env_id} has {shape(meta)}")
        fresh, self.meta = self.meta is None, meta
        self._build_seeded() if fresh else self.make_optimisers()
        self.scaler = RewardScaler(env.n, self.hp["gamma"], self.hp["scale_rewards"])
        return env

    #: Adam's epsilon for the actor and the critic
    ADAM_EPS: ClassVar[float] = 1e-8

    def descend(self, optimiser: torch.optim.Optimizer, loss: torch.Tensor, *clipped: nn.Module) -> None:
        """One gradient step on ``loss``, each agent's gradient in ``clipped`` cut to ``max_grad_norm``."""
        optimiser.zero_grad()
        loss.backward()
        for module in clipped:
            clip_per_agent(module, self.hp["max_grad_norm"])
        optimiser.step()

    def make_optimisers(self) -> None:
        """Adam on the actor (``lr``) and on the critic (``critic_lr``); learners with other networks override."""
        self.actor_opt = adam(self.actor.parameters(), lr=self.hp["lr"], eps=self.ADAM_EPS)
        self.critic_opt = adam(self.critic.parameters(), lr=self.hp["critic_lr"], eps=self.ADAM_EPS)

    def modules(self) -> dict:
        """Every nn.Module a checkpoint holds."""
        return {"actor": self.actor, "critic": self.critic}

    def _build_seeded(self) -> None:
        """``build`` with the initial weights drawn from the learner's seed (torch's global generator
        is left as it was)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.build()

    def train(self, env_id: str, steps: int, env_options: dict | None = None,
              callback: ProgressCallback | None = None) -> list[tuple[int, float]]:
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        env = self.prepare(env_id, env_options)
        curve: list[tuple[int, float]] = []

        def log() -> None:
            if (returns := env.pop_returns()) is not None:
                curve.append((env.steps, float(returns.mean())))
                if callback is not None:
                    callback(env.steps, returns)

        threads = torch.get_num_threads()
        try:   # more threads than cores (parallel runs) makes torch's thread pools spin: ask for few
            torch.set_num_threads(int(self.hp["num_threads"] or threads))
            if steps > 0:
                self.run(env, int(steps), log)
        finally:
            torch.set_num_threads(threads)
        return curve

    def act(self, game, state, agents) -> np.ndarray:
        if self.meta is None:
            raise RuntimeError(f"{self.name} has no networks yet: train() it or load() a checkpoint first")
        if game.n != self.meta["n"] or game.obs_dim != self.meta["obs_dim"]:
            raise ValueError(f"{self.name} was trained with n={self.meta['n']}, obs_dim={self.meta['obs_dim']} "
                             f"({self.meta['env_id']}); this game has n={game.n}, obs_dim={game.obs_dim}")
        with torch.no_grad():
            frac = self.policy_fractions(torch.from_numpy(game.observe(state))).numpy()
        return frac[:, agents].astype(np.float64) * game.e[agents]

    def save(self, path: str | Path) -> None:
        if self.meta is None:
            raise RuntimeError(f"{self.name} has nothing to save: train() it first")
        torch.save({"algorithm": self.name, "seed": self.seed, "share_parameters": self.share_parameters,
                    "hyperparameters": self.hyperparameters, "meta": self.meta,
                    "modules": {k: m.state_dict() for k, m in self.modules().items()}}, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> "CentralisedLearner":
        try:
            ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
        except (RuntimeError, EOFError, pickle.UnpicklingError) as err:   # torch's words for "not mine"
            raise ValueError(f"{path} is not a {cls.name!r} checkpoint (torch.load: {err})") from None
        if not isinstance(ckpt, dict) or ckpt.get("algorithm") != cls.name:
            found = ckpt.get("algorithm") if isinstance(ckpt, dict) else type(ckpt).__name__
            raise ValueError(f"{path} holds a {found!r} checkpoint, not {cls.name!r}")
            raise ValueError(f"{path} holds a {ckpt.get('algorithm')!r} checkpoint, not {cls.name!r}")
        learner = cls(ckpt["seed"], ckpt["share_parameters"], **ckpt["hyperparameters"])
        learner.meta = ckpt["meta"]
        learner._build_seeded()
        for k, m in learner.modules().items():
            m.load_state_dict(ckpt["modules"][k])
        return learner


class OnPolicyLearner(CentralisedLearner):
    """The loop of MAPPO, COMA and MeanField-AC: ``collect(env)`` a rollout of the N games, then
    ``update(rollout) -> stats``, until the budget is spent."""

    def run(self, env: Rollout, steps: int, log) -> None:
        while env.steps < steps:
            self.last_stats = self.update(self.collect(env))
            log()


class OffPolicyLearner(CentralisedLearner):
    """The replay loop of MADDPG, MATD3, M3DDPG, MASAC, QMIX and VDN: act with exploration
    (uniform random before ``learning_starts``), store, then ``updates_per_step`` gradient
    updates per step of the N games. Subclasses give ``explore(obs (n, N, d), state (N, ds))`` ->
    exploratory actions (n, N) in [0, 1], and ``update(batch) -> stats``."""

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "num_envs": 16,              # few games, so each transition is replayed ~batch_size / num_envs times
        "buffer_size": 200_000,      # transitions (one game's step, all agents); shrunk to fit buffer_memory_mb
        "buffer_memory_mb": 1024,
        "batch_size": 256,
        "learning_starts": 1_000,    # env-steps of uniform random play before the first update (as ISAC)
        "updates_per_step": 1,       # gradient updates per step of the N games
    }

    def make_buffer(self) -> ReplayBuffer:
        n, d, ds = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"]
        shapes = {"obs": (n, d), "state": (ds,), "actions": (n,), "rewards": (n,), "done": (),
                  "active": (n,), "next_obs": (n, d), "next_state": (ds,), "next_active": (n,)}
        row_bytes = 4 * sum(int(np.prod(s)) for s in shapes.values())
        fit = int(self.hp["buffer_memory_mb"] * 2 ** 20 // row_bytes)
        return ReplayBuffer(max(self.hp["batch_size"], min(self.hp["buffer_size"], fit)), shapes)

    def run(self, env: Rollout, steps: int, log) -> None:
        self.total_steps, self.buffer = steps, self.make_buffer()
        while env.steps < steps:
            self.env_steps = env.steps
            if env.steps < self.hp["learning_starts"]:
                frac = self.np_rng.random((env.num_envs, env.n))
            else:
                with torch.no_grad():
                    frac = self.explore(tensor(env.obs).transpose(0, 1), tensor(env.state)).T.numpy()
            tr = env.step(frac)
            tr["rewards"] = self.scaler(tr["rewards"], tr["done"])
            self.buffer.add(**tr)
            if env.steps >= self.hp["learning_starts"]:
                for _ in range(self.hp["updates_per_step"]):
                    self.last_stats = self.update(self.batch())
            log()

    def batch(self) -> dict[str, torch.Tensor]:
        """A replay sample with agent-major tensors: obs (n, B, d), actions/rewards/active (n, B)."""
        b = self.buffer.sample(self.hp["batch_size"], self.np_rng)
        agent_major = ("obs", "next_obs", "actions", "rewards", "active", "next_active")
        return {k: v.transpose(0, 1) if k in agent_major else v for k, v in b.items()}
