"""MASAC: soft actor-critic with centralised critics (Haarnoja et al. 2018, "Soft Actor-Critic
Algorithms and Applications"; centralised soft critics per agent as in Iqbal & Sha 2019,
"Actor-Attention-Critic for Multi-Agent Reinforcement Learning", ICML).

Each agent i has a stochastic actor a_i = sigmoid(u), u ~ N(m_i(o_i), s_i(o_i)), its own
twin centralised soft critics Q_i^{1,2}(s, o_i, a_1..a_n) of **its own** return, and its own
entropy temperature alpha_i tuned to a target entropy:

    y_i = r_i + gamma (1 - done) (min_k Q'^k_i(s', o'_i, a') - alpha_i log pi_i(a'_i | o'_i)),  a' ~ pi(o')
    actor i: minimise alpha_i log pi_i(a_i | o_i) - min_k Q^k_i(s, o_i, a_-i (replayed), a_i ~ pi_i)

Acting deterministically uses the mode of u: a_i = sigmoid(m_i(o_i)).
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F

from coopgym.baselines import register
from coopgym.baselines.learners.common import (
    AgentMLP, OffPolicyLearner, PolicyNet, adam, frozen, gaussian_log_prob, masked_mean,
    polyak)
from coopgym.baselines.learners.maddpg import MADDPG, with_own


class MASAC(OffPolicyLearner):
    name = "masac"
    reference = "Haarnoja et al. 2018, Soft Actor-Critic; centralised soft critics as in Iqbal & Sha 2019 (MAAC)"
    DEFAULTS = {"lr": 1e-3, "critic_lr": 1e-3, "alpha_lr": 1e-3, "tau": 0.01, "init_alpha": 0.1,
                "target_entropy": -1.0 - math.log(2.0)}   # SAC's -dim(A) on [-1, 1], moved to [0, 1]
    q = staticmethod(MADDPG.q)

    def build(self) -> None:
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.actor = PolicyNet(n, d, h, 2, self.share_parameters, "relu", out_gain=0.01)
        self.critic1 = AgentMLP(n, d + n, ds, [h, h], 1, "relu")
        self.critic2 = AgentMLP(n, d + n, ds, [h, h], 1, "relu")
        self.critic1_target, self.critic2_target = copy.deepcopy(self.critic1), copy.deepcopy(self.critic2)
        self.log_alpha = torch.nn.Parameter(torch.full((n, 1), math.log(self.hp["init_alpha"])))
        self.make_optimisers()

    def make_optimisers(self) -> None:
        self.actor_opt = adam(self.actor.parameters(), lr=self.hp["lr"])
        self.critic_opt = adam([*self.critic1.parameters(), *self.critic2.parameters()],
                                           lr=self.hp["critic_lr"])
        self.alpha_opt = adam([self.log_alpha], lr=self.hp["alpha_lr"])

    def modules(self):
        temperature = torch.nn.Module()
        temperature.log_alpha = self.log_alpha
        return {"actor": self.actor, "critic1": self.critic1, "critic2": self.critic2,
                "critic1_target": self.critic1_target, "critic2_target": self.critic2_target,
                "temperature": temperature}

    def sample(self, obs) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised actions (n, B) in [0, 1] and their log-densities (n, B)."""
        out = self.actor(obs)
        mean, log_std = out[..., 0], out[..., 1].clamp(-5.0, 2.0)
        u = mean + log_std.exp() * torch.randn(mean.shape, generator=self.gen)
        # density of a = sigmoid(u): log N(u) - log(da/du), da/du = a (1 - a)
        logp = gaussian_log_prob(u, mean, log_std) - F.logsigmoid(u) - F.logsigmoid(-u)
        return torch.sigmoid(u), logp

    def policy_fractions(self, obs):
        return torch.sigmoid(self.actor(obs.transpose(0, 1))[..., 0]).T

    def explore(self, obs, state):
        return self.sample(obs)[0]

    def soft_q(self, critics, obs, joint, state) -> torch.Tensor:
        return torch.min(*(self.q(c, obs, joint, state) for c in critics))

    def update(self, b) -> dict[str, float]:
        alpha = self.log_alpha.exp().detach()                                  # (n, 1)
        with torch.no_grad():
            a_next, logp_next = self.sample(b["next_obs"])
            joint_next = (a_next * b["next_active"]).T[None].expand(self.meta["n"], -1, -1)
            v_next = self.soft_q((self.critic1_target, self.critic2_target), b["next_obs"], joint_next,
                                 b["next_state"]) - alpha * logp_next
            y = b["rewards"] + self.hp["gamma"] * (1.0 - b["done"]) * v_next
        joint = b["actions"].T[None].expand(self.meta["n"], -1, -1)
        critic_loss = sum(masked_mean((self.q(c, b["obs"], joint, b["state"]) - y) ** 2, b["active"], 1).sum()
                          for c in (self.critic1, self.critic2))
        self.descend(self.critic_opt, critic_loss, self.critic1, self.critic2)

        a, logp = self.sample(b["obs"])
        with frozen(self.critic1, self.critic2):
            q = self.soft_q((self.critic1, self.critic2), b["obs"], with_own(b["actions"], a * b["active"]),
                            b["state"])
        actor_loss = masked_mean(alpha * logp - q, b["active"], 1).sum()
        self.descend(self.actor_opt, actor_loss, self.actor)

        alpha_loss = -masked_mean(self.log_alpha * (logp.detach() + self.hp["target_entropy"]), b["active"], 1).sum()
        self.descend(self.alpha_opt, alpha_loss)

        polyak(self.critic1_target, self.critic1, self.hp["tau"])
        polyak(self.critic2_target, self.critic2, self.hp["tau"])
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item(),
                "alpha": self.log_alpha.exp().mean().item()}


register("masac", MASAC, kind="learner", family="centralised", reference=MASAC.reference, trains=True)
