"""IPPO: independent PPO, one actor and one critic per agent (de Witt et al. 2020, "Is Independent
Learning All You Need in the StarCraft Multi-Agent Challenge?"; PPO: Schulman et al. 2017).

Each agent i has its own Gaussian actor pi_i(a | o_i) over the fraction of its endowment (mean
sigmoid(mlp(o_i)), learned std; samples clipped to [0, 1] by the environment) and its own
critic V_i(o_i), trained on **its own** rewards from the reward layer. Every ``rollout`` steps
of the ``num_envs`` games, each agent takes PPO's clipped-surrogate steps on its own samples:

    A_i = GAE(lambda) of r_i with V_i,   normalised over agent i's samples
    L_i = -min(rho A_i, clip(rho, 1 - eps, 1 + eps) A_i) + c_v (V_i(o_i) - (A_i + V_i^old))^2 - c_H H(pi_i)

summed over agents (agent i's parameters get agent i's term alone). ``share_parameters=True``:
one actor and one critic for every seat (the observation carries the seat's one-hot id).
``partners={seat: registered policy}`` plays some seats with fixed policies.
"""
from __future__ import annotations

import torch

from coopgym.baselines.learners.base import Learner
from coopgym.baselines.learners.nets import (
    AgentNets, GaussianPolicy, adam, descend, gae, masked_mean, minibatches, normalise_per_agent, per_agent)


class IPPO(Learner):
    name = "ippo"
    family = "independent"
    reference = ("de Witt et al. 2020, Is Independent Learning All You Need in the StarCraft Multi-Agent "
                 "Challenge? (arXiv:2011.09533); PPO: Schulman et al. 2017 (arXiv:1707.06347)")
    PARTNERS = True
    DEFAULTS = {"rollout": 16, "epochs": 4, "minibatches": 4, "lr": 1e-3, "gae_lambda": 0.95, "clip": 0.2,
                "vf_coef": 0.5, "entropy_coef": 0.0, "init_log_std": -1.0}

    # -- networks: a Gaussian actor and a critic per agent, on the agent's own observation
    def build(self) -> None:
        n, d, h = self.meta["n"], self.meta["obs_dim"], self.hp["hidden"]
        self.actor = GaussianPolicy(n, d, h, self.share_parameters, self.hp["init_log_std"])
        self.critic = self.make_critic()
        self.opt = adam((self.actor, self.hp["lr"]), (self.critic, self.hp["lr"]), eps=1e-5)

    def make_critic(self) -> torch.nn.Module:
        return AgentNets(self.meta["n"], self.meta["obs_dim"], self.hp["hidden"], 1, self.share_parameters)

    def value(self, obs: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return self.critic(obs)[..., 0]                                          # (n, B)

    # -- acting: the mean when evaluated, a sample when training
    def policy(self, obs: torch.Tensor) -> torch.Tensor:
        return self.actor(obs)[0]

    def explore(self, obs: torch.Tensor, state: torch.Tensor):
        raw, logp = self.actor.sample(obs, self.gen)
        return raw, {"raw": raw, "logp": logp, "value": self.value(obs, state)}

    # -- training
    def learn(self, env) -> None:
        while not env.exhausted:
            with torch.no_grad():
                batch = env.collect(self.hp["rollout"], self.explore)
                last_value = self.value(env.obs, env.state)
            self.last_stats = self.update(batch, last_value)

    def update(self, b: dict[str, torch.Tensor], last_value: torch.Tensor) -> dict[str, float]:
        adv = gae(b["rewards"], b["value"], b["done"], last_value, self.hp["gamma"], self.hp["gae_lambda"])
        ret = adv + b["value"]
        obs, raw, logp_old, mask, adv, ret = map(per_agent, (b["obs"], b["raw"], b["logp"], b["mask"], adv, ret))
        state = b["state"].flatten(0, 1)
        adv = normalise_per_agent(adv, mask)
        clip = self.hp["clip"]
        for _ in range(self.hp["epochs"]):
            for i in minibatches(state.shape[0], self.hp["minibatches"], self.gen):
                logp, entropy = self.actor.log_prob(obs[:, i], raw[:, i])
                ratio = (logp - logp_old[:, i]).exp()
                a = adv[:, i]
                policy_loss = -torch.min(ratio * a, ratio.clamp(1 - clip, 1 + clip) * a)
                value_loss = (self.value(obs[:, i], state[i]) - ret[:, i]) ** 2
                loss = masked_mean(policy_loss + self.hp["vf_coef"] * value_loss - self.hp["entropy_coef"] * entropy,
                                   mask[:, i], 1).sum()
                descend(self.opt, loss, self.hp["max_grad_norm"], self.actor, self.critic)
        return {"policy_loss": masked_mean(policy_loss, mask[:, i], 1).mean().item(),
                "value_loss": masked_mean(value_loss, mask[:, i], 1).mean().item()}
