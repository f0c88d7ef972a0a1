"""LOLA: learning with opponent-learning awareness (Foerster et al. 2018, "Learning with
Opponent-Learning Awareness", AAMAS), with the DiCE estimator of higher-order policy gradients
(Foerster et al. 2018, "DiCE: The Infinitely Differentiable Monte-Carlo Estimator", ICML).

Every agent i has its own Gaussian policy over the fraction of its endowment,
pi_i(a | o_i) = N(sigmoid(mlp_i(o_i)), exp(log_std_i)^2) (samples clipped to [0, 1]), and its
own objective: the DiCE surrogate of **its own** discounted return,

    L_i(theta) = mean_games sum_t [ magic(sum_{t' <= t} sum_k log pi_k(t')) gamma^t r_i(t)
                                    + (1 - magic(sum_k log pi_k(t))) b_i(t) ],  magic(x) = exp(x - stop(x)),

with b_i(t) the batch mean of agent i's discounted reward-to-go (a baseline, Mao et al. 2019).
LOLA: every other agent j is assumed to take one naive step on its own objective,
theta_j' = theta_j + eta grad_j L_j(theta), and agent i ascends grad_i L_i(theta_i, theta'_{-i}(theta)),
differentiating through the opponents' step (the opponent-shaping term). Agent i thus uses
the other agents' rewards only to model how **they** learn; it never optimises their reward
or the sum. ``lookahead=0`` is the naive independent policy-gradient learner.
Rewards are divided per agent by the std of that agent's own step rewards in the batch.
Each batch is one whole episode of every game, started together.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from coopgym.baselines import register
from coopgym.baselines.learners.base import Learner, ProgressCallback
from coopgym.baselines.learners.independent import check_steps
from coopgym.baselines.learners.sb3_vec import JointGames, seeded

DEFAULTS: dict[str, Any] = {
    "num_envs": 64, "hidden": 32, "gamma": 0.99, "lr": 5e-3, "lookahead": 0.3, "init_log_std": -1.0,
    "num_threads": 1,
}


class GaussianPolicy(nn.Module):
    """o -> (mean fraction sigmoid(mlp(o)), log_std)."""

    def __init__(self, d: int, hidden: int, init_log_std: float):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 1))
        self.log_std = nn.Parameter(torch.tensor([float(init_log_std)]))

    def forward(self, obs):
        return torch.sigmoid(self.net(obs)[..., 0]), self.log_std.clamp(-5.0, 1.0)


def magic(x: torch.Tensor) -> torch.Tensor:
    """DiCE's MagicBox: 1 in value, grad log-prob in derivative, at every order."""
    return torch.exp(x - x.detach())


def dice_objectives(logp: torch.Tensor, rewards: torch.Tensor, live: torch.Tensor, gamma: float) -> torch.Tensor:
    """L_i for every agent: logp (n, T, N) of each agent's sampled action, rewards (n, T, N), live (T, N)."""
    T = logp.shape[1]
    total = (logp * live).sum(0)                                    # (T, N): every agent's stochastic node at t
    deps = total.cumsum(0)                                          # everything that influenced r(t)
    r = rewards * live * gamma ** torch.arange(T, dtype=logp.dtype)[:, None]
    baseline = r.flip(1).cumsum(1).flip(1).mean(2, keepdim=True)    # (n, T, 1) mean discounted reward-to-go
    steps = live.sum(0).mean().clamp(min=1.0)                       # per-step scale, whatever the horizon
    return ((magic(deps) * r).sum(1) + ((1.0 - magic(total)) * baseline).sum(1)).mean(-1) / steps


class LOLA(Learner):
    name = "lola"
    family = "independent"
    reference = ("Foerster et al. 2018, Learning with Opponent-Learning Awareness (arXiv:1709.04326); "
                 "DiCE: Foerster et al. 2018 (arXiv:1802.05098)")

    def __init__(self, seed: int = 0, share_parameters: bool = False, **hyperparameters: Any):
        if share_parameters:
            raise ValueError("lola models each opponent's own learning step: it needs one policy per agent "
                             "(share_parameters=False)")
        if unknown := sorted(set(hyperparameters) - set(DEFAULTS)):
            raise ValueError(f"lola: unknown hyperparameter(s) {unknown}; known: {sorted(DEFAULTS)}")
        super().__init__(seed, False, **{**DEFAULTS, **hyperparameters})
        self.hp = self.hyperparameters
        self.meta: dict[str, Any] | None = None
        self.policies: nn.ModuleList | None = None
        self.last_stats: dict[str, float] = {}
        self._trains = 0

    def build(self, n: int, d: int) -> None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.policies = nn.ModuleList(GaussianPolicy(d, self.hp["hidden"], self.hp["init_log_std"])
                                          for _ in range(n))
        self.optimisers = [torch.optim.Adam(p.parameters(), lr=self.hp["lr"]) for p in self.policies]

    # -- data: one whole episode of every game
    def collect(self, games: JointGames, gen: torch.Generator) -> dict[str, torch.Tensor]:
        games.reset()
        obs, raw, rewards, live, active = [], [], [], [], []
        ended = np.zeros(games.num_envs, dtype=bool)
        for _ in range(games.game.horizon):
            o = torch.as_tensor(games.obs).transpose(0, 1)                    # (n, N, d)
            with torch.no_grad():
                mean = torch.stack([p(o[k])[0] for k, p in enumerate(self.policies)])
                std = torch.stack([p.log_std.clamp(-5.0, 1.0).exp() for p in self.policies])
                a = mean + std * torch.randn(mean.shape, generator=gen)
            games.step_joint(a.T.numpy())
            obs.append(o)
            raw.append(a)
            rewards.append(torch.as_tensor(games.last["rewards"].T, dtype=torch.float32))
            live.append(torch.as_tensor(~ended, dtype=torch.float32))
            active.append(torch.as_tensor(games.last["active"].T, dtype=torch.float32))
            ended |= games.last["done"]
            if ended.all():
                break
        return {"obs": torch.stack(obs, 1), "raw": torch.stack(raw, 1), "rewards": torch.stack(rewards, 1),
                "live": torch.stack(live), "active": torch.stack(active, 1)}        # (n, T, N, ...) / (T, N)

    def _logp(self, k: int, params: dict, batch) -> torch.Tensor:
        mean, log_std = functional_call(self.policies[k], params, (batch["obs"][k],))
        z = (batch["raw"][k] - mean) / log_std.exp()
        return (-0.5 * z ** 2 - log_std - 0.5 * np.log(2 * np.pi)) * batch["active"][k]

    def update(self, batch) -> dict[str, float]:
        """One LOLA step of every agent on ``batch``; gradients are left in ``.grad`` for inspection."""
        n, gamma, eta = len(self.policies), self.hp["gamma"], self.hp["lookahead"]
        live = batch["live"]
        mask = live[None] * batch["active"]
        std = ((batch["rewards"] ** 2 * mask).sum((1, 2)) / mask.sum((1, 2)).clamp(min=1)
               - ((batch["rewards"] * mask).sum((1, 2)) / mask.sum((1, 2)).clamp(min=1)) ** 2).clamp(min=0).sqrt()
        rewards = batch["rewards"] / (std[:, None, None] + 1e-8)          # each agent by its own scale
        params = [dict(p.named_parameters()) for p in self.policies]
        logp = [self._logp(k, params[k], batch) for k in range(n)]
        L = dice_objectives(torch.stack(logp), rewards, live, gamma)
        if eta and n > 1:   # each opponent's naive step on its own objective, kept differentiable
            ahead = []
            for j in range(n):
                g = torch.autograd.grad(L[j], list(params[j].values()), create_graph=True)
                ahead.append(self._logp(j, {k: v + eta * gj for (k, v), gj in zip(params[j].items(), g)}, batch))
        for i in range(n):
            if eta and n > 1:
                Li = dice_objectives(torch.stack([logp[k] if k == i else ahead[k] for k in range(n)]),
                                     rewards, live, gamma)[i]
            else:
                Li = L[i]
            grads = torch.autograd.grad(Li, list(params[i].values()), retain_graph=i < n - 1)
            for p, g in zip(params[i].values(), grads):
                p.grad = -g                                                # ascent on agent i's own objective
        for opt in self.optimisers:
            opt.step()
        return {f"{i}/objective": float(L[i].detach()) for i in range(n)}

    def train(self, env_id: str, steps: int, env_options: dict | None = None,
              callback: ProgressCallback | None = None) -> list[tuple[int, float]]:
        steps = check_steps(steps)
        train_seed = self.seed + 100_003 * self._trains
        curve = []
        with seeded(train_seed, self.hp["num_threads"]):
            games = JointGames(env_id, int(self.hp["num_envs"]), train_seed, env_options)
            meta = dict(env_id=env_id, n=games.n, obs_dim=games.game.obs_dim,
                        env_options=json.loads(json.dumps(env_options or {}, default=repr)))
            if self.meta is not None and (self.meta["n"], self.meta["obs_dim"]) != (meta["n"], meta["obs_dim"]):
                raise ValueError(f"lola was built for {self.meta['env_id']} (n={self.meta['n']}, obs_dim="
                                 f"{self.meta['obs_dim']}); {env_id} has n={meta['n']}, obs_dim={meta['obs_dim']}")
            if self.policies is None:
                self.build(games.n, games.game.obs_dim)
            self.meta = meta
            gen = torch.Generator().manual_seed(train_seed)
            while games.steps < steps:
                batch = self.collect(games, gen)
                self.last_stats = self.update(batch)
                games.pop_returns()
                # the batch's episodes (their first episode only, where a game ended early)
                returns = (batch["rewards"] * batch["live"][None]).sum(1).mean(-1).double().numpy()
                curve.append((games.steps, float(returns.mean())))
                if callback is not None:
                    callback(games.steps, returns)
        self._trains += 1
        return curve

    def act(self, game, state, agents) -> np.ndarray:
        if self.meta is None:
            raise RuntimeError("lola has no policies yet: train() it or load() a checkpoint first")
        if game.n != self.meta["n"] or game.obs_dim != self.meta["obs_dim"]:
            raise ValueError(f"lola was trained with n={self.meta['n']}, obs_dim={self.meta['obs_dim']} "
                             f"({self.meta['env_id']}); this game has n={game.n}, obs_dim={game.obs_dim}")
        obs = torch.as_tensor(game.observe(state))
        with torch.no_grad():
            frac = torch.stack([p(obs[:, k])[0] for k, p in enumerate(self.policies)], 1).numpy()
        return frac[:, agents].astype(np.float64) * game.e[agents]

    def save(self, path: str | Path) -> None:
        if self.meta is None:
            raise RuntimeError("lola has nothing to save: train() it first")
        torch.save({"algorithm": self.name, "seed": self.seed, "hyperparameters": self.hyperparameters,
                    "meta": self.meta, "trains": self._trains, "policies": self.policies.state_dict(),
                    "optimisers": [o.state_dict() for o in self.optimisers]}, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> "LOLA":
        try:
            ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
        except (RuntimeError, OSError, EOFError, ValueError) as err:
            raise ValueError(f"{path} is not a {cls.name!r} checkpoint: {err}") from None
        if not isinstance(ckpt, dict) or ckpt.get("algorithm") != cls.name:
            raise ValueError(f"{path} holds a {ckpt.get('algorithm') if isinstance(ckpt, dict) else ckpt!r} "
                             f"checkpoint, not {cls.name!r}")
        learner = cls(ckpt["seed"], **ckpt["hyperparameters"])
        learner.meta, learner._trains = ckpt["meta"], ckpt["trains"]
        learner.build(learner.meta["n"], learner.meta["obs_dim"])
        learner.policies.load_state_dict(ckpt["policies"])
        for opt, state in zip(learner.optimisers, ckpt["optimisers"]):
            opt.load_state_dict(state)
        return learner


register("lola", LOLA, kind="learner", family="independent", reference=LOLA.reference, trains=True)
