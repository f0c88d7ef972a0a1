"""COMA: counterfactual multi-agent policy gradients (Foerster et al. 2018, "Counterfactual
Multi-Agent Policy Gradients", AAAI).

Actions are discretised into ``bins`` fractions of the endowment (as QMIX, default 11).
Each agent i has a categorical actor pi_i(. | o_i). The paper's one critic of the shared
team reward becomes **one centralised critic per agent of its own return**:
Q_i(s, o_i, a_-i, .) gives, for the partners' actions a_-i, agent i's value of each of its
own bins, trained with TD(lambda) on r_i alone. Agent i's counterfactual advantage

    A_i = Q_i(s, a_-i, a_i) - sum_b pi_i(b | o_i) Q_i(s, a_-i, b)

keeps the paper's credit assignment (what did my action change, the others held fixed)
while measuring it in agent i's own reward. On-policy: each iteration collects ``rollout``
steps of ``num_envs`` games, fits the critics (targets from the critics before the fit),
then takes policy-gradient steps with the refitted critics. Feed-forward actors: the
observation holds the last joint action, trust and t / horizon. Untrained, the greedy
action is the middle bin (``nets.middle_preference``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from coopgym.baselines.learners.base import Learner
from coopgym.baselines.learners.nets import (
    AgentNets, adam, bin_fractions, descend, lambda_returns, masked_mean, middle_preference,
    minibatches, normalise_per_agent, per_agent, sample_categorical)


class COMA(Learner):
    name = "coma"
    family = "centralised"
    reference = "Foerster et al. 2018, Counterfactual Multi-Agent Policy Gradients"
    DEFAULTS = {"rollout": 16, "bins": 11, "lr": 5e-4, "critic_lr": 1e-3, "td_lambda": 0.8,
                "critic_epochs": 8, "minibatches": 4, "entropy_coef": 0.01, "max_grad_norm": 1.0}

    # -- networks: a categorical actor per agent, a critic per agent of its own bins given the others' actions
    def build(self) -> None:
        n, d, h = self.meta["n"], self.meta["obs_dim"], self.hp["hidden"]
        self.fractions = bin_fractions(self.hp["bins"])
        self.actor = AgentNets(n, d, h, len(self.fractions), self.share_parameters, out_gain=0.01,
                               out_bias=middle_preference(self.fractions))
        self.critic = self.centralised(d + n, len(self.fractions))
        self.actor_opt = adam((self.actor, self.hp["lr"]))
        self.critic_opt = adam((self.critic, self.hp["critic_lr"]))

    def q_all(self, obs, actions, state) -> torch.Tensor:
        """Q_i(s, o_i, a_-i, b) for every own bin b: obs (n, B, d), played fractions (n, B) -> (n, B, bins)."""
        n = obs.shape[0]
        others = actions.T[None] * (1.0 - torch.eye(n))[:, None, :]           # (n, B, n), own slot zeroed
        return self.critic(torch.cat([obs, others], -1), state)

    # -- acting
    def policy(self, obs):
        return self.fractions[self.actor(obs).argmax(-1)]

    def explore(self, obs, state):
        idx = sample_categorical(self.actor(obs), self.gen)
        return self.fractions[idx], {"idx": idx}

    # -- training
    def learn(self, env) -> None:
        while not env.exhausted:
            with torch.no_grad():
                b = env.collect(self.hp["rollout"], self.explore)
                # the bootstrap: the critics' value of the current step under actions sampled now
                frac, extras = self.explore(env.obs, env.state)
                q_last = self.q_all(env.obs, frac * env.active, env.state).gather(-1, extras["idx"][..., None])[..., 0]
            self.last_stats = self.update(b, q_last)

    def update(self, b, q_last) -> dict[str, float]:
        T, n, N = b["idx"].shape
        obs, idx, frac, mask = per_agent(b["obs"]), per_agent(b["idx"]), per_agent(b["actions"]), per_agent(b["mask"])
        state = b["state"].flatten(0, 1)
        with torch.no_grad():   # TD(lambda) targets from the critics as they were before this fit
            q_taken = self.q_all(obs, frac, state).gather(-1, idx[..., None])[..., 0].reshape(n, T, N).transpose(0, 1)
            q_next = torch.cat([q_taken[1:], q_last[None]])
            target = per_agent(lambda_returns(b["rewards"], b["done"], q_next, self.hp["gamma"], self.hp["td_lambda"]))
        for _ in range(self.hp["critic_epochs"]):
            for i in minibatches(T * N, self.hp["minibatches"], self.gen):
                q = self.q_all(obs[:, i], frac[:, i], state[i]).gather(-1, idx[:, i, None])[..., 0]
                critic_loss = masked_mean((q - target[:, i]) ** 2, mask[:, i], 1).sum()
                descend(self.critic_opt, critic_loss, self.hp["max_grad_norm"], self.critic)

        with torch.no_grad():
            q = self.q_all(obs, frac, state)                                       # (n, T*N, bins)
        for i in minibatches(T * N, self.hp["minibatches"], self.gen):
            logp = F.log_softmax(self.actor(obs[:, i]), -1)
            p = logp.exp()
            adv = q[:, i].gather(-1, idx[:, i, None])[..., 0] - (p.detach() * q[:, i]).sum(-1)   # counterfactual
            adv = normalise_per_agent(adv, mask[:, i])
            entropy = -(p * logp).sum(-1)
            chosen = logp.gather(-1, idx[:, i, None])[..., 0]
            actor_loss = -masked_mean(chosen * adv + self.hp["entropy_coef"] * entropy, mask[:, i], 1).sum()
            descend(self.actor_opt, actor_loss, self.hp["max_grad_norm"], self.actor)
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item()}
