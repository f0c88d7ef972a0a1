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
observation holds the last joint action, trust and t / horizon.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from coopgym.baselines import register
from coopgym.baselines.learners.common import (
    AgentMLP, OnPolicyLearner, PolicyNet, bin_fractions, lambda_returns, masked_mean,
    normalise_per_agent, tensor)


def sample_categorical(logits: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Gumbel-max sampling from the learner's seeded generator (torch.distributions takes none)."""
    u = torch.rand(logits.shape, generator=gen).clamp_(1e-10, 1.0)
    return (logits - torch.log(-torch.log(u))).argmax(-1)


class COMA(OnPolicyLearner):
    name = "coma"
    reference = "Foerster et al. 2018, Counterfactual Multi-Agent Policy Gradients"
    DEFAULTS = {"num_envs": 256, "rollout": 16, "bins": 11, "lr": 5e-4, "critic_lr": 1e-3, "td_lambda": 0.8,
                "critic_epochs": 2, "minibatches": 4, "entropy_coef": 0.01, "max_grad_norm": 1.0}

    def build(self) -> None:
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.fractions = bin_fractions(int(self.hp["bins"]))
        self.actor = PolicyNet(n, d, h, len(self.fractions), self.share_parameters, "tanh")
        self.critic = AgentMLP(n, d + n, ds, [h, h], len(self.fractions), "relu")
        self.make_optimisers()

    def policy_fractions(self, obs):
        return self.fractions[self.actor(obs.transpose(0, 1)).argmax(-1)].T

    def q_all(self, obs, actions, state) -> torch.Tensor:
        """Q_i(s, o_i, a_-i, b) for every own bin b: obs (n, B, d), played fractions (n, B) -> (n, B, bins)."""
        n = obs.shape[0]
        others = actions.T[None] * (1.0 - torch.eye(n))[:, None, :]           # (n, B, n), own slot zeroed
        return self.critic(torch.cat([obs, others], -1), state)

    def sample(self, obs) -> tuple[torch.Tensor, torch.Tensor]:
        """Bins (n, B) sampled from the policies and their played fractions."""
        idx = sample_categorical(self.actor(obs), self.gen)
        return idx, self.fractions[idx]

    def collect(self, env) -> dict[str, torch.Tensor]:
        buf = {k: [] for k in ("obs", "state", "idx", "frac", "active", "rewards", "done")}
        with torch.no_grad():
            for _ in range(self.hp["rollout"]):
                obs = tensor(env.obs).transpose(0, 1)
                idx, _ = self.sample(obs)
                tr = env.step(self.fractions[idx].T.numpy())
                buf["obs"].append(obs)
                buf["state"].append(tensor(tr["state"]))
                buf["idx"].append(idx)
                buf["frac"].append(tensor(tr["actions"]).T)                    # played (0 for absent agents)
                buf["active"].append(tensor(tr["active"]).T)
                buf["rewards"].append(tensor(self.scaler(tr["rewards"], tr["done"])).T)
                buf["done"].append(tensor(tr["done"]))
            b = {k: torch.stack(v) for k, v in buf.items()}
            # bootstrap: the critics' value of the current step under actions sampled now
            obs, state = tensor(env.obs).transpose(0, 1), tensor(env.state)
            idx, frac = self.sample(obs)
            frac = frac * tensor(env.active).T
            b["q_last"] = self.q_all(obs, frac, state).gather(-1, idx[..., None])[..., 0]
        return b

    def update(self, b) -> dict[str, float]:
        T, n, N = b["idx"].shape
        flat = lambda x: x.transpose(0, 1).reshape(n, T * N, *x.shape[3:])       # (T, n, N, ..) -> (n, T*N, ..)
        obs, idx, frac, mask = flat(b["obs"]), flat(b["idx"]), flat(b["frac"]), flat(b["active"])
        state = b["state"].reshape(T * N, -1)
        with torch.no_grad():   # TD(lambda) targets from the critics as they were before this fit
            q_taken = self.q_all(obs, frac, state).gather(-1, idx[..., None])[..., 0].reshape(n, T, N).transpose(0, 1)
            q_next = torch.cat([q_taken[1:], b["q_last"][None]])
            target = flat(lambda_returns(b["rewards"], b["done"], q_next, self.hp["gamma"], self.hp["td_lambda"]))
        size = T * N
        mb = max(1, size // self.hp["minibatches"])
        for _ in range(self.hp["critic_epochs"]):
            perm = torch.randperm(size, generator=self.gen)
            for start in range(0, size, mb):
                i = perm[start:start + mb]
                q = self.q_all(obs[:, i], frac[:, i], state[i]).gather(-1, idx[:, i, None])[..., 0]
                critic_loss = masked_mean((q - target[:, i]) ** 2, mask[:, i], 1).sum()
                self.descend(self.critic_opt, critic_loss, self.critic)

        with torch.no_grad():
            q = self.q_all(obs, frac, state)                                       # (n, T*N, bins)
        perm = torch.randperm(size, generator=self.gen)
        for start in range(0, size, mb):
            i = perm[start:start + mb]
            logp = F.log_softmax(self.actor(obs[:, i]), -1)
            p = logp.exp()
            adv = q[:, i].gather(-1, idx[:, i, None])[..., 0] - (p.detach() * q[:, i]).sum(-1)
            adv = normalise_per_agent(adv, mask[:, i])
            entropy = -(p * logp).sum(-1)
            chosen = logp.gather(-1, idx[:, i, None])[..., 0]
            actor_loss = -masked_mean(chosen * adv + self.hp["entropy_coef"] * entropy, mask[:, i], 1).sum()
            self.descend(self.actor_opt, actor_loss, self.actor)
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item()}


register("coma", COMA, kind="learner", family="centralised", reference=COMA.reference, trains=True)
