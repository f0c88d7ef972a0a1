"""MATD3: MADDPG with TD3's three fixes (Ackermann et al. 2019, "Reducing Overestimation Bias
in Multi-Agent Domains Using Double Centralized Critics"; Fujimoto et al. 2018, TD3).

As :mod:`maddpg` (one centralised critic pair per agent, each estimating **its own agent's**
return from its own reward), plus: twin critics Q_i^1, Q_i^2 with the minimum in the
target, target policy smoothing (clipped Gaussian noise on the target actions), and
delayed actor and target updates (every ``policy_delay`` critic updates).

    y_i = r_i + gamma (1 - done) min_k Q'^k_i(s', o'_i, clip(mu'(o') + clip(eps, -c, c), 0, 1))
"""
from __future__ import annotations

import copy

import torch

from coopgym.baselines import register
from coopgym.baselines.learners.common import adam, masked_mean, polyak
from coopgym.baselines.learners.maddpg import MADDPG


class MATD3(MADDPG):
    name = "matd3"
    reference = ("Ackermann et al. 2019, Reducing Overestimation Bias in Multi-Agent Domains Using "
                 "Double Centralized Critics")
    DEFAULTS = {"policy_delay": 2, "target_noise": 0.1, "target_noise_clip": 0.25}

    def build(self) -> None:
        super().build()
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.critic2 = self.make_critic(n, d, ds, h)
        self.critic2_target = copy.deepcopy(self.critic2)
        self.make_optimisers()
        self.updates = 0

    def make_optimisers(self) -> None:
        super().make_optimisers()
        if hasattr(self, "critic2"):
            self.critic_opt = adam([*self.critic.parameters(), *self.critic2.parameters()],
                                               lr=self.hp["critic_lr"])

    def modules(self):
        return {**super().modules(), "critic2": self.critic2, "critic2_target": self.critic2_target}

    def target_joint(self, b) -> torch.Tensor:
        a = self.mu(self.actor_target, b["next_obs"])
        c = self.hp["target_noise_clip"]
        noise = (self.hp["target_noise"] * torch.randn(a.shape, generator=self.gen)).clamp(-c, c)
        a = (a + noise).clamp(0.0, 1.0) * b["next_active"]
        return a.T[None].expand(a.shape[0], -1, -1)

    def update(self, b) -> dict[str, float]:
        with torch.no_grad():
            joint_next = self.target_joint(b)
            q_next = torch.min(self.q(self.critic_target, b["next_obs"], joint_next, b["next_state"]),
                               self.q(self.critic2_target, b["next_obs"], joint_next, b["next_state"]))
            y = b["rewards"] + self.hp["gamma"] * (1.0 - b["done"]) * q_next
        joint = b["actions"].T[None].expand(self.meta["n"], -1, -1)
        critic_loss = sum(masked_mean((self.q(c, b["obs"], joint, b["state"]) - y) ** 2, b["active"], 1).sum()
                          for c in (self.critic, self.critic2))
        self.descend(self.critic_opt, critic_loss, self.critic, self.critic2)
        stats = {"critic_loss": critic_loss.item()}

        self.updates += 1
        if self.updates % self.hp["policy_delay"] == 0:
            stats["actor_loss"] = self.actor_step(b)   # on Q^1_i, as TD3
            for target, online in ((self.critic_target, self.critic), (self.critic2_target, self.critic2),
                                   (self.actor_target, self.actor)):
                polyak(target, online, self.hp["tau"])
        return stats


register("matd3", MATD3, kind="learner", family="centralised", reference=MATD3.reference, trains=True)
