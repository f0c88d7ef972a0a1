"""ISAC: independent soft actor-critic, one actor, two critics and one temperature per agent
(Haarnoja et al. 2018, "Soft Actor-Critic: Off-Policy Maximum Entropy Deep Reinforcement
Learning with a Stochastic Actor"; "Soft Actor-Critic Algorithms and Applications").

Each agent i has a squashed Gaussian actor a_i = sigmoid(u), u ~ N(m_i(o_i), s_i(o_i)) (the
mode sigmoid(m_i) ~ 0.5 untrained, and what the agent plays when evaluated), twin soft critics
Q_i^{1,2}(o_i, a_i) of **its own** return from its own rewards, and its own temperature
alpha_i tuned to a target entropy. The other agents are part of agent i's (non-stationary)
environment.

    y_i = r_i + gamma (1 - done) (min_k Q'^k_i(o'_i, a'_i) - alpha_i log pi_i(a'_i | o'_i)),  a'_i ~ pi_i(o'_i)
    actor i: minimise alpha_i log pi_i(a_i | o_i) - min_k Q^k_i(o_i, a_i),  a_i ~ pi_i(o_i) (reparameterised)
    alpha_i: minimise -alpha_i (log pi_i(a_i | o_i) + target_entropy)

Training runs at a fixed update-to-data ratio (see ``OffPolicyLearner``).
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F

from coopgym.baselines.learners.base import OffPolicyLearner
from coopgym.baselines.learners.nets import (
    AgentNets, Twin, adam, descend, frozen, gaussian_log_prob, masked_mean, polyak)


class ISAC(OffPolicyLearner):
    name = "isac"
    family = "independent"
    reference = ("Haarnoja et al. 2018, Soft Actor-Critic: Off-Policy Maximum Entropy Deep RL with a "
                 "Stochastic Actor (arXiv:1801.01290)")
    PARTNERS = True
    # target entropy: below SAC's -dim(A) heuristic (-1 on [-1, 1], -1.69 on [0, 1]), which keeps a squashed
    # policy ~0.1 away from the edges of [0, 1]; here giving all (or nothing) is often the best action
    DEFAULTS = {"lr": 1e-3, "critic_lr": 1e-3, "alpha_lr": 1e-2, "tau": 0.01, "init_alpha": 0.1,
                "target_entropy": -3.0}

    # -- networks
    def build(self) -> None:
        n, d, h = self.meta["n"], self.meta["obs_dim"], self.hp["hidden"]
        self.actor = AgentNets(n, d, h, 2, self.share_parameters, out_gain=0.01)   # mean and log std of u
        self.critics = Twin(self.make_critic(), self.make_critic())       # Q^1_i and Q^2_i, evaluated together
        self.critics_target = copy.deepcopy(self.critics)
        self.temperature = torch.nn.ParameterDict({"log_alpha": torch.full((n, 1), math.log(self.hp["init_alpha"]))})
        self.opt = adam((self.actor, self.hp["lr"]), (self.critics, self.hp["critic_lr"]),
                        (self.temperature, self.hp["alpha_lr"]))

    def make_critic(self) -> torch.nn.Module:
        """Q_i(o_i, a_i) for every agent: its own observation and action."""
        return AgentNets(self.meta["n"], self.meta["obs_dim"] + 1, self.hp["hidden"], 1, self.share_parameters)

    def q(self, critics, obs, state, replayed, own) -> torch.Tensor:
        """Q^1_i and Q^2_i for every agent (2, n, B) of its own action ``own`` (n, B) (the partners'
        ``replayed`` actions are not an independent critic's input)."""
        return critics(torch.cat([obs, own[..., None]], -1))[..., 0]

    # -- acting
    def sample(self, obs) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised actions (n, B) in [0, 1] and their log-densities (n, B)."""
        u, mean, log_std = self.gaussian(obs)
        # the density of a = sigmoid(u): log N(u) - log(da/du), da/du = a (1 - a)
        return torch.sigmoid(u), gaussian_log_prob(u, mean, log_std) - F.logsigmoid(u) - F.logsigmoid(-u)

    def gaussian(self, obs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """u ~ N(m_i(o_i), s_i(o_i)^2) before the sigmoid (n, B), with its mean and log std."""
        out = self.actor(obs)
        mean, log_std = out[..., 0], out[..., 1].clamp(-5.0, 2.0)
        return mean + log_std.exp() * torch.randn(mean.shape, generator=self.gen), mean, log_std

    def policy(self, obs):
        return torch.sigmoid(self.actor(obs)[..., 0])

    def explore(self, obs, state):
        return torch.sigmoid(self.gaussian(obs)[0])          # acting needs no log-density

    # -- training
    def update(self, b) -> dict[str, float]:
        alpha = self.temperature["log_alpha"].exp().detach()                      # (n, 1)
        with torch.no_grad():
            a_next, logp_next = self.sample(b["next_obs"])
            a_next = a_next * b["next_active"]
            q_next = self.q(self.critics_target, b["next_obs"], b["next_state"], a_next, a_next).amin(0)
            y = b["rewards"] + b["discount"] * (q_next - alpha * logp_next)
        q_replayed = self.q(self.critics, b["obs"], b["state"], b["actions"], b["actions"])     # (2, n, B)
        critic_loss = masked_mean((q_replayed - y) ** 2, b["mask"], -1).sum()

        a, logp = self.sample(b["obs"])
        with frozen(self.critics):
            q = self.q(self.critics, b["obs"], b["state"], b["actions"], a * b["active"]).amin(0)
        actor_loss = masked_mean(alpha * logp - q, b["mask"], 1).sum()

        log_alpha = self.temperature["log_alpha"]
        alpha_loss = -masked_mean(log_alpha * (logp.detach() + self.hp["target_entropy"]), b["mask"], 1).sum()
        # one optimiser step for all three (the actor's loss sees the critics as they were before it)
        descend(self.opt, critic_loss + actor_loss + alpha_loss, self.hp["max_grad_norm"], self.critics, self.actor)
        polyak(self.critics_target, self.critics, self.hp["tau"])
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item(), "alpha": alpha.mean().item()}
