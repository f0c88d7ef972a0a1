"""Mean-field actor-critic (Yang et al. 2018, "Mean Field Multi-Agent Reinforcement Learning",
ICML): MF-AC.

Each agent i's critic sees its partners only through their **mean action**,
Q_i(s, o_i, a_i, abar_-i) with abar_-i the mean played fraction of the other active agents,
so the critic's input does not grow with the number of agents. One critic per agent, of
**its own** return, trained on r_i alone with TD(lambda) on the taken actions (the paper's
v^MF(s') = E_{a ~ pi} Q(s', a, abar') estimated by the next action actually played).
The actor is continuous (the paper's is discrete): IPPO's Gaussian over the fraction
(see ``nets.GaussianPolicy``); its advantage

    A_i = Q_i(s, o_i, a_i, abar_-i) - mean_k Q_i(s, o_i, a'_k, abar_-i),   a'_k ~ pi_i(. | o_i)

uses ``baseline_samples`` fresh actions for the mean-field value. On-policy, like COMA:
each iteration collects ``rollout`` steps of ``num_envs`` games, fits the critics, then
takes policy-gradient steps.
"""
from __future__ import annotations

import torch

from coopgym.baselines.learners.base import Learner
from coopgym.baselines.learners.nets import (
    GaussianPolicy, adam, descend, lambda_returns, masked_mean, minibatches, normalise_per_agent,
    per_agent)


def mean_of_others(frac: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """abar_-i (n, B): mean played fraction of the other active agents (0 if there are none)."""
    total, count = (frac * active).sum(0, keepdim=True), active.sum(0, keepdim=True)
    return (total - frac * active) / (count - active).clamp(min=1.0)


class MeanFieldAC(Learner):
    name = "meanfield_ac"
    family = "centralised"
    reference = "Yang et al. 2018, Mean Field Multi-Agent Reinforcement Learning"
    DEFAULTS = {"rollout": 16, "lr": 1e-3, "critic_lr": 1e-3, "td_lambda": 0.8, "critic_epochs": 2,
                "minibatches": 4, "entropy_coef": 0.0, "init_log_std": -1.0, "baseline_samples": 4,
                "max_grad_norm": 1.0}

    # -- networks: IPPO's Gaussian actor per agent; a critic per agent of (s, o_i, a_i, abar_-i)
    def build(self) -> None:
        n, d, h = self.meta["n"], self.meta["obs_dim"], self.hp["hidden"]
        self.actor = GaussianPolicy(n, d, h, self.share_parameters, self.hp["init_log_std"])
        self.critic = self.centralised(d + 2)
        self.actor_opt = adam((self.actor, self.hp["lr"]))
        self.critic_opt = adam((self.critic, self.hp["critic_lr"]))

    def q(self, obs, own, abar, state) -> torch.Tensor:
        """Q_i(s, o_i, a_i, abar_-i): obs (n, B, d), own and abar (n, B) -> (n, B)."""
        return self.critic(torch.cat([obs, own[..., None], abar[..., None]], -1), state)[..., 0]

    # -- acting
    def policy(self, obs):
        return self.actor(obs)[0]

    def explore(self, obs, state):
        return self.actor.explore(obs, self.gen)

    # -- training
    def learn(self, env) -> None:
        while not env.exhausted:
            with torch.no_grad():
                b = env.collect(self.hp["rollout"], self.explore)
                b["abar"] = mean_of_others(b["actions"], b["active"])
                frac = self.explore(env.obs, env.state)[0].clamp(0.0, 1.0) * env.active
                q_last = self.q(env.obs, frac, mean_of_others(frac, env.active), env.state)
            self.last_stats = self.update(b, q_last)

    def update(self, b, q_last) -> dict[str, float]:
        T, n, N = b["raw"].shape
        obs, raw, frac, abar, mask = (per_agent(b[k]) for k in ("obs", "raw", "actions", "abar", "mask"))
        state = b["state"].flatten(0, 1)
        with torch.no_grad():
            q_taken = self.q(obs, frac, abar, state).reshape(n, T, N).transpose(0, 1)
            q_next = torch.cat([q_taken[1:], q_last[None]])
            target = per_agent(lambda_returns(b["rewards"], b["done"], q_next, self.hp["gamma"], self.hp["td_lambda"]))
        for _ in range(self.hp["critic_epochs"]):
            for i in minibatches(T * N, self.hp["minibatches"], self.gen):
                q = self.q(obs[:, i], frac[:, i], abar[:, i], state[i])
                critic_loss = masked_mean((q - target[:, i]) ** 2, mask[:, i], 1).sum()
                descend(self.critic_opt, critic_loss, self.hp["max_grad_norm"], self.critic)

        with torch.no_grad():   # advantages from the refitted critics, the mean-field value by sampling
            q_taken = self.q(obs, frac, abar, state)
            value = torch.stack([self.q(obs, self.actor.sample(obs, self.gen)[0].clamp(0.0, 1.0), abar, state)
                                 for _ in range(self.hp["baseline_samples"])]).mean(0)
            adv = normalise_per_agent(q_taken - value, mask)
        for i in minibatches(T * N, self.hp["minibatches"], self.gen):
            logp, entropy = self.actor.log_prob(obs[:, i], raw[:, i])
            actor_loss = -masked_mean(logp * adv[:, i] + self.hp["entropy_coef"] * entropy, mask[:, i], 1).sum()
            descend(self.actor_opt, actor_loss, self.hp["max_grad_norm"], self.actor)
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item()}
