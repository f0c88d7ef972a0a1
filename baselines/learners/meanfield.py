"""Mean-field actor-critic (Yang et al. 2018, "Mean Field Multi-Agent Reinforcement Learning",
ICML): MF-AC.

Each agent i's critic sees its partners only through their **mean action**,
Q_i(s, o_i, a_i, abar_-i) with abar_-i the mean played fraction of the other active agents,
so the critic's input does not grow with the number of agents. One critic per agent, of
**its own** return, trained on r_i alone with TD(lambda) on the taken actions (the paper's
v^MF(s') = E_{a ~ pi} Q(s', a, abar') estimated by the next action actually played).
The actor is continuous (the paper's is discrete): a Gaussian over the fraction with mean
sigmoid(mlp(o_i)) and a learned std, as in :mod:`mappo`; its advantage

    A_i = Q_i(s, o_i, a_i, abar_-i) - mean_k Q_i(s, o_i, a'_k, abar_-i),   a'_k ~ pi_i(. | o_i)

uses ``baseline_samples`` fresh actions for the mean-field value. On-policy, like COMA:
each iteration collects ``rollout`` steps of ``num_envs`` games, fits the critics, then
takes policy-gradient steps.
"""
from __future__ import annotations

import torch

from coopgym.baselines import register
from coopgym.baselines.learners.common import (
    AgentMLP, OnPolicyLearner, PolicyNet, gaussian_log_prob, lambda_returns, masked_mean,
    normalise_per_agent, tensor)


def mean_of_others(frac: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """abar_-i (n, B): mean played fraction of the other active agents (0 if there are none)."""
    total, count = (frac * active).sum(0, keepdim=True), active.sum(0, keepdim=True)
    return (total - frac * active) / (count - active).clamp(min=1.0)


class MeanFieldAC(OnPolicyLearner):
    name = "meanfield_ac"
    reference = "Yang et al. 2018, Mean Field Multi-Agent Reinforcement Learning"
    DEFAULTS = {"num_envs": 256, "rollout": 16, "lr": 5e-4, "critic_lr": 1e-3, "td_lambda": 0.8,
                "critic_epochs": 2, "minibatches": 4, "entropy_coef": 0.0, "init_log_std": -1.0,
                "baseline_samples": 4, "max_grad_norm": 1.0}

    def build(self) -> None:
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.actor = PolicyNet(n, d, h, 1, self.share_parameters, "tanh")
        self.actor.log_std = torch.nn.Parameter(
            torch.full((1 if self.share_parameters else n, 1, 1), float(self.hp["init_log_std"])))
        self.critic = AgentMLP(n, d + 2, ds, [h, h], 1, "relu")
        self.make_optimisers()

    def _mean(self, obs):
        return torch.sigmoid(self.actor(obs)[..., 0])                            # (n, B)

    def _log_std(self):
        return self.actor.log_std[..., 0].clamp(-5.0, 1.0)

    def policy_fractions(self, obs):
        return self._mean(obs.transpose(0, 1)).T

    def sample(self, obs) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self._mean(obs), self._log_std()
        return mean + log_std.exp() * torch.randn(mean.shape, generator=self.gen), mean

    def q(self, obs, own, abar, state) -> torch.Tensor:
        """Q_i(s, o_i, a_i, abar_-i): obs (n, B, d), own and abar (n, B) -> (n, B)."""
        return self.critic(torch.cat([obs, own[..., None], abar[..., None]], -1), state)[..., 0]

    def collect(self, env) -> dict[str, torch.Tensor]:
        buf = {k: [] for k in ("obs", "state", "raw", "frac", "abar", "active", "rewards", "done")}
        with torch.no_grad():
            for _ in range(self.hp["rollout"]):
                obs = tensor(env.obs).transpose(0, 1)
                raw, _ = self.sample(obs)
                tr = env.step(raw.clamp(0.0, 1.0).T.numpy())
                frac, active = tensor(tr["actions"]).T, tensor(tr["active"]).T
                for k, v in (("obs", obs), ("state", tensor(tr["state"])), ("raw", raw), ("frac", frac),
                             ("abar", mean_of_others(frac, active)), ("active", active),
                             ("rewards", tensor(self.scaler(tr["rewards"], tr["done"])).T),
                             ("done", tensor(tr["done"]))):
                    buf[k].append(v)
            b = {k: torch.stack(v) for k, v in buf.items()}
            obs, state, active = tensor(env.obs).transpose(0, 1), tensor(env.state), tensor(env.active).T
            frac = self.sample(obs)[0].clamp(0.0, 1.0) * active
            b["q_last"] = self.q(obs, frac, mean_of_others(frac, active), state)
        return b

    def update(self, b) -> dict[str, float]:
        T, n, N = b["raw"].shape
        flat = lambda x: x.transpose(0, 1).reshape(n, T * N, *x.shape[3:])
        obs, raw, frac, abar, mask = (flat(b[k]) for k in ("obs", "raw", "frac", "abar", "active"))
        state = b["state"].reshape(T * N, -1)
        with torch.no_grad():
            q_taken = self.q(obs, frac, abar, state).reshape(n, T, N).transpose(0, 1)
            q_next = torch.cat([q_taken[1:], b["q_last"][None]])
            target = flat(lambda_returns(b["rewards"], b["done"], q_next, self.hp["gamma"], self.hp["td_lambda"]))
        size = T * N
        mb = max(1, size // self.hp["minibatches"])
        for _ in range(self.hp["critic_epochs"]):
            perm = torch.randperm(size, generator=self.gen)
            for start in range(0, size, mb):
                i = perm[start:start + mb]
                critic_loss = masked_mean((self.q(obs[:, i], frac[:, i], abar[:, i], state[i]) - target[:, i]) ** 2,
                                          mask[:, i], 1).sum()
                self.descend(self.critic_opt, critic_loss, self.critic)

        with torch.no_grad():   # advantages from the refitted critics, mean-field value by sampling
            q_taken = self.q(obs, frac, abar, state)
            value = torch.stack([self.q(obs, self.sample(obs)[0].clamp(0.0, 1.0), abar, state)
                                 for _ in range(self.hp["baseline_samples"])]).mean(0)
            adv = normalise_per_agent(q_taken - value, mask)
        perm = torch.randperm(size, generator=self.gen)
        for start in range(0, size, mb):
            i = perm[start:start + mb]
            log_std = self._log_std()
            logp = gaussian_log_prob(raw[:, i], self._mean(obs[:, i]), log_std)
            entropy = (log_std + 1.4189385).expand_as(logp)
            actor_loss = -masked_mean(logp * adv[:, i] + self.hp["entropy_coef"] * entropy, mask[:, i], 1).sum()
            self.descend(self.actor_opt, actor_loss, self.actor)
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item()}


register("meanfield_ac", MeanFieldAC, kind="learner", family="centralised", reference=MeanFieldAC.reference,
         trains=True)
