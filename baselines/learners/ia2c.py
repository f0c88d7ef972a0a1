"""IA2C: independent advantage actor-critic, one actor and one critic per agent (Mnih et al. 2016,
"Asynchronous Methods for Deep Reinforcement Learning", synchronous form; independent use as in
Papoudakis et al. 2021, "Benchmarking Multi-Agent Deep Reinforcement Learning Algorithms").

IPPO's networks, acting and rollouts (see :mod:`ippo`), with A2C's update: one gradient step
per short rollout of ``rollout`` steps of every game, on each agent's n-step advantages of its
own rewards (GAE with lambda = 1 is the n-step return minus V_i):

    L_i = -log pi_i(a | o_i) A_i + c_v (V_i(o_i) - G_i)^2 - c_H H(pi_i)
"""
from __future__ import annotations

import torch

from coopgym.baselines.learners.ippo import IPPO
from coopgym.baselines.learners.nets import descend, gae, masked_mean, per_agent


class IA2C(IPPO):
    name = "ia2c"
    reference = ("Mnih et al. 2016, Asynchronous Methods for Deep Reinforcement Learning (arXiv:1602.01783); "
                 "independent: Papoudakis et al. 2021 (arXiv:2006.07869)")
    DEFAULTS = {"num_envs": 64, "rollout": 8, "lr": 3e-3, "gae_lambda": 1.0}
    NOT_USED = ("epochs", "minibatches", "clip")

    def update(self, b: dict[str, torch.Tensor], last_value: torch.Tensor) -> dict[str, float]:
        adv = gae(b["rewards"], b["value"], b["done"], last_value, self.hp["gamma"], self.hp["gae_lambda"])
        returns = adv + b["value"]
        obs, raw, mask, adv, returns = map(per_agent, (b["obs"], b["raw"], b["mask"], adv, returns))
        return self.gradient_step(obs, raw, b["state"].flatten(0, 1), adv, returns, mask)

    def gradient_step(self, obs, raw, state, adv, returns, mask) -> dict[str, float]:
        """One step of every agent on its own samples (n, B): policy gradient with advantage ``adv``,
        value regression on ``returns``."""
        logp, entropy = self.actor.log_prob(obs, raw)
        policy_loss = -logp * adv
        value_loss = (self.value(obs, state) - returns) ** 2
        loss = masked_mean(policy_loss + self.hp["vf_coef"] * value_loss - self.hp["entropy_coef"] * entropy,
                           mask, 1).sum()
        descend(self.opt, loss, self.hp["max_grad_norm"], self.actor, self.critic)
        return {"policy_loss": masked_mean(policy_loss, mask, 1).mean().item(),
                "value_loss": masked_mean(value_loss, mask, 1).mean().item()}
