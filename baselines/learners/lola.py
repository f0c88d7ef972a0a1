"""LOLA: learning with opponent-learning awareness (Foerster et al. 2018, "Learning with
Opponent-Learning Awareness", AAMAS), with the DiCE estimator of higher-order policy gradients
(Foerster et al. 2018, "DiCE: The Infinitely Differentiable Monte-Carlo Estimator", ICML).

Every agent i has its own Gaussian policy over the fraction of its endowment (IPPO's actor,
``nets.GaussianPolicy``) and its own objective: the DiCE surrogate of **its own** discounted
return,

    L_i(theta) = mean_games sum_t [ magic(sum_{t' <= t} sum_k log pi_k(t')) gamma^t r_i(t)
                                    + (1 - magic(sum_k log pi_k(t))) b_i(t) ],  magic(x) = exp(x - stop(x)),

with b_i(t) the batch mean of agent i's discounted reward-to-go (a baseline, Mao et al. 2019).
LOLA: every other agent j is assumed to take one naive step on its own objective,
theta_j' = theta_j + eta grad_j L_j(theta), and agent i ascends grad_i L_i(theta_i, theta'_{-i}(theta)),
differentiating through the opponents' step (the opponent-shaping term). Agent i thus uses
the other agents' rewards only to model how **they** learn; it never optimises their reward
or the sum. ``lookahead=0`` is the naive independent policy-gradient learner.
Each batch is one whole episode of every game, started together.

The exact lookahead makes each of the n agents differentiate through every opponent's step:
n^2 network passes per update. With more than ``opponents`` (default 3) other agents, each
agent models the learning of ``opponents`` of them, drawn afresh at every update (exact LOLA
in the games of 2 to 4 agents; with 40 agents, 3 x 40 passes instead of 1,600).
"""
from __future__ import annotations

import torch
from torch.func import functional_call

from coopgym.baselines.learners.base import Learner
from coopgym.baselines.learners.ireinforce import first_episode
from coopgym.baselines.learners.nets import GaussianPolicy, adam, gaussian_log_prob


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
    DEFAULTS = {"num_envs": 64, "hidden": 32, "lr": 5e-3, "lookahead": 0.3, "opponents": 3, "init_log_std": -1.0}

    def __init__(self, seed: int = 0, share_parameters: bool = False, **hyperparameters):
        if share_parameters:
            raise ValueError("lola models each opponent's own learning step: it needs one policy per agent "
                             "(share_parameters=False)")
        super().__init__(seed, False, **hyperparameters)
        if isinstance(self.hp["opponents"], bool) or not isinstance(self.hp["opponents"], int) \
                or self.hp["opponents"] < 1:
            raise ValueError(f"lola: opponents must be a positive integer, got {self.hp['opponents']!r}")

    def build(self) -> None:
        self.actor = GaussianPolicy(self.meta["n"], self.meta["obs_dim"], self.hp["hidden"], False,
                                    self.hp["init_log_std"])
        self.opt = adam((self.actor, self.hp["lr"]))

    def policy(self, obs):
        return self.actor(obs)[0]

    def learn(self, env) -> None:
        while not env.exhausted:
            self.last_stats = self.update(env.episode(self.explore))

    def explore(self, obs, state):
        return self.actor.explore(obs, self.gen)

    def log_prob(self, k: int, params: dict, batch) -> torch.Tensor:
        """log pi_k (T, N) of agent k's sampled actions under agent k's parameters ``params`` (one member)."""
        obs, raw, mask = batch["obs"][:, k], batch["raw"][:, k], batch["mask"][:, k]          # (T, N, ...)
        T, N, d = obs.shape
        mean, log_std = functional_call(self.actor, params, (obs.reshape(1, T * N, d),))
        return gaussian_log_prob(raw.reshape(1, T * N), mean, log_std).reshape(T, N) * mask

    def modelled(self, n: int) -> list[list[int]]:
        """The opponents whose learning step each agent models: all others, or ``opponents`` of them drawn
        afresh each update when there are more (the exact lookahead costs n^2 network passes)."""
        out = []
        for i in range(n):
            others = [k for k in range(n) if k != i]
            if len(others) > self.hp["opponents"]:
                others = sorted(others[j] for j in torch.randperm(n - 1, generator=self.gen)[:self.hp["opponents"]])
            out.append(others)
        return out

    def update(self, batch) -> dict[str, float]:
        """One LOLA step of every agent; its gradients are left in ``.grad`` for inspection.

        Each agent's parameters are their own leaf tensors here, so autograd follows agent i's
        objective to agent i's parameters only (through its own policy, and through the opponents'
        lookahead steps), never adding another agent's objective to agent i's step."""
        n, gamma, eta = self.meta["n"], self.hp["gamma"], self.hp["lookahead"]
        live = first_episode(batch["done"])
        rewards = batch["rewards"].transpose(0, 1)                                     # (n, T, N), scaled per agent
        names = [name for name, _ in self.actor.named_parameters()]
        theta = [{name: p[k:k + 1].detach().requires_grad_(True) for name, p in self.actor.named_parameters()}
                 for k in range(n)]
        logp = [self.log_prob(k, theta[k], batch) for k in range(n)]
        L = dice_objectives(torch.stack(logp), rewards, live, gamma)
        shaping = eta and n > 1
        if shaping:   # the modelled opponents' naive steps on their own objectives, kept differentiable
            modelled = self.modelled(n)
            ahead = {}
            for k in sorted(set(k for others in modelled for k in others)):
                step = torch.autograd.grad(L[k], list(theta[k].values()), create_graph=True)
                ahead[k] = self.log_prob(k, {name: theta[k][name] + eta * g for name, g in zip(names, step)}, batch)
        grads = []
        for i in range(n):
            if shaping:   # L_i with every modelled opponent after its step; the others held as they are
                stack = [logp[k] if k == i else ahead[k] if k in modelled[i] else logp[k].detach() for k in range(n)]
                objective = dice_objectives(torch.stack(stack), rewards, live, gamma)[i]
            else:
                objective = L[i]
            grads.append(torch.autograd.grad(objective, list(theta[i].values()), retain_graph=i < n - 1))
        for m, p in enumerate(self.actor.parameters()):
            p.grad = -torch.cat([g[m] for g in grads])                                  # ascent on each own objective
        self.opt.step()
        return {f"{i}/objective": float(L[i].detach()) for i in range(n)}
