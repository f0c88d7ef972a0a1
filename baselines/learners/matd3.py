"""MATD3: MADDPG with TD3's three fixes (Ackermann et al. 2019, "Reducing Overestimation Bias
in Multi-Agent Domains Using Double Centralized Critics"; Fujimoto et al. 2018, TD3).

As :mod:`maddpg` (centralised critics, each estimating **its own agent's** return from its own
reward), plus: twin critics Q_i^1, Q_i^2 with the minimum in the target, target policy
smoothing (clipped Gaussian noise on the target actions), and delayed actor and target updates
(every ``policy_delay`` critic updates).

    y_i = r_i + gamma (1 - done) min_k Q'^k_i(s', o'_i, clip(mu'(o') + clip(eps, -c, c), 0, 1))
"""
from __future__ import annotations

import torch

from coopgym.baselines.learners.maddpg import MADDPG, everyone
from coopgym.baselines.learners.nets import Twin, descend, polyak


class MATD3(MADDPG):
    name = "matd3"
    reference = ("Ackermann et al. 2019, Reducing Overestimation Bias in Multi-Agent Domains Using "
                 "Double Centralized Critics")
    DEFAULTS = {"policy_delay": 2, "target_noise": 0.05, "target_noise_clip": 0.1,
                "lr": 2e-3}   # the actor steps every policy_delay updates: twice the rate of MADDPG's

    def build(self) -> None:
        super().build()
        self.updates = 0

    def make_critic(self) -> Twin:
        """Q^1_i and Q^2_i, evaluated together (``nets.Twin``)."""
        return Twin(super().make_critic(), super().make_critic())

    def actor_critic(self):
        return self.critic.first   # the actor's loss reads Q^1_i, as TD3

    def target_joint(self, b) -> torch.Tensor:
        a = self.mu(self.actor_target, b["next_obs"])
        c = self.hp["target_noise_clip"]
        noise = (self.hp["target_noise"] * torch.randn(a.shape, generator=self.gen)).clamp(-c, c)
        return everyone((a + noise).clamp(0.0, 1.0) * b["next_active"])

    def next_value(self, b) -> torch.Tensor:
        return self.q(self.critic_target, b["next_obs"], self.target_joint(b), b["next_state"]).amin(0)

    def update(self, b) -> dict[str, float]:
        critic_loss = self.critic_loss(b)
        stats = {"critic_loss": critic_loss.item()}
        self.updates += 1
        delayed = self.updates % self.hp["policy_delay"] == 0
        if delayed:
            actor_loss = self.actor_loss(b)
            stats["actor_loss"] = actor_loss.item()
        descend(self.opt, critic_loss + actor_loss if delayed else critic_loss, self.hp["max_grad_norm"],
                self.critic, self.actor)
        if delayed:
            polyak(self.critic_target, self.critic, self.hp["tau"])
            polyak(self.actor_target, self.actor, self.hp["tau"])
        return stats
