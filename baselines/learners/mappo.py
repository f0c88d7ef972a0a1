"""MAPPO: PPO with centralised critics (Yu et al. 2022, "The Surprising Effectiveness of PPO
in Cooperative Multi-Agent Games", NeurIPS Datasets & Benchmarks).

Each agent i has a decentralised actor pi_i(a_i | o_i): a Gaussian over the fraction of its
endowment with mean sigmoid(mlp(o_i)) and a learned std (the env clips samples to [0, 1];
the log-probability is the unclipped sample's). Each agent has **its own centralised critic**
V_i(s, o_i) on the global state plus its own observation (the paper's agent-specific
global state) that estimates agent i's return under agent i's reward as the reward layer
gives it. Advantages are GAE(lambda) from agent i's rewards and V_i only, normalised per
agent; the clipped surrogate is summed over agents, so agent i's actor gradient comes
from its own term alone. Rewards are scaled per agent instead of the paper's PopArt.
"""
from __future__ import annotations

import numpy as np
import torch

from coopgym.baselines import register
from coopgym.baselines.learners.common import (
    AgentMLP, OnPolicyLearner, PolicyNet, gaussian_log_prob, masked_mean,
    normalise_per_agent, tensor)


class MAPPO(OnPolicyLearner):
    name = "mappo"
    reference = "Yu et al. 2022, The Surprising Effectiveness of PPO in Cooperative Multi-Agent Games"
    DEFAULTS = {
        "num_envs": 512, "rollout": 16, "epochs": 4, "minibatches": 4, "lr": 5e-4, "critic_lr": 1e-3,
        "gae_lambda": 0.95, "clip": 0.2, "value_clip": None, "entropy_coef": 0.0, "init_log_std": -1.0,
        "max_grad_norm": 0.5,
    }
    ADAM_EPS = 1e-5

    def build(self) -> None:
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.actor = PolicyNet(n, d, h, 1, self.share_parameters, "tanh")
        self.actor.log_std = torch.nn.Parameter(
            torch.full((1 if self.share_parameters else n, 1, 1), float(self.hp["init_log_std"])))
        self.critic = AgentMLP(n, d, ds, [h, h], 1, "tanh", out_gain=1.0)
        self.make_optimisers()

    # -- the policy and the critic, on (n, B, ...) tensors
    def _mean(self, obs_t: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.actor(obs_t)[..., 0])                       # (n, B)

    def _log_std(self) -> torch.Tensor:
        return self.actor.log_std[..., 0].clamp(-5.0, 1.0)                     # (n or 1, 1)

    def _value(self, obs_t: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return self.critic(obs_t, state)[..., 0]                               # (n, B)

    def policy_fractions(self, obs):
        return self._mean(obs.transpose(0, 1)).T

    # -- data
    def collect(self, env) -> dict[str, torch.Tensor]:
        """``rollout`` steps of every game with the stochastic policy; tensors (T, N, ...)."""
        keys = ("obs", "state", "active", "raw", "logp", "value", "rewards", "done")
        buf = {k: [] for k in keys}
        with torch.no_grad():
            for _ in range(self.hp["rollout"]):
                obs_t = tensor(env.obs).transpose(0, 1)                          # (n, N, d)
                state = tensor(env.state)
                mean, log_std = self._mean(obs_t), self._log_std()
                raw = mean + log_std.exp() * torch.randn(mean.shape, generator=self.gen)
                tr = env.step(raw.clamp(0.0, 1.0).T.numpy())
                buf["obs"].append(obs_t)
                buf["state"].append(state)
                buf["active"].append(tensor(tr["active"]).T)
                buf["raw"].append(raw)
                buf["logp"].append(gaussian_log_prob(raw, mean, log_std))
                buf["value"].append(self._value(obs_t, state))
                buf["rewards"].append(tensor(self.scaler(tr["rewards"], tr["done"])).T)
                buf["done"].append(tensor(tr["done"]))
            last = self._value(tensor(env.obs).transpose(0, 1), tensor(env.state))
        batch = {k: torch.stack(v) for k, v in buf.items()}
        batch["last_value"] = last
        return batch

    def advantages(self, b) -> tuple[torch.Tensor, torch.Tensor]:
        """GAE(lambda) per agent from its own rewards and its own critic: (T, n, N) each."""
        gamma, lam = self.hp["gamma"], self.hp["gae_lambda"]
        T = b["rewards"].shape[0]
        adv = torch.zeros_like(b["rewards"])
        running = torch.zeros_like(b["last_value"])
        for t in reversed(range(T)):
            nxt = b["last_value"] if t == T - 1 else b["value"][t + 1]
            live = 1.0 - b["done"][t]
            delta = b["rewards"][t] + gamma * live * nxt - b["value"][t]
            running = delta + gamma * lam * live * running
            adv[t] = running
        return adv, adv + b["value"]

    def update(self, b) -> dict[str, float]:
        adv, ret = self.advantages(b)
        T, n, N = adv.shape
        per_agent = lambda x: x.transpose(0, 1).reshape(n, T * N, *x.shape[3:])   # (T, n, N, ...) -> (n, T*N, ...)
        obs, raw, logp0, v0 = (per_agent(b[k]) for k in ("obs", "raw", "logp", "value"))
        adv, ret, mask = per_agent(adv), per_agent(ret), per_agent(b["active"])
        state = b["state"].reshape(T * N, -1)
        adv = normalise_per_agent(adv, mask)
        size = T * N
        mb = max(1, size // self.hp["minibatches"])
        stats = {}
        for _ in range(self.hp["epochs"]):
            perm = torch.randperm(size, generator=self.gen)
            for start in range(0, size, mb):
                i = perm[start:start + mb]
                o, m = obs[:, i], mask[:, i]
                log_std = self._log_std()
                logp = gaussian_log_prob(raw[:, i], self._mean(o), log_std)
                ratio = (logp - logp0[:, i]).exp()
                a = adv[:, i]
                surrogate = torch.min(ratio * a, ratio.clamp(1 - self.hp["clip"], 1 + self.hp["clip"]) * a)
                entropy = (0.5 + 0.5 * np.log(2 * np.pi) + log_std).expand_as(ratio)
                actor_loss = -masked_mean(surrogate + self.hp["entropy_coef"] * entropy, m, 1).sum()
                self.descend(self.actor_opt, actor_loss, self.actor)

                v = self._value(o, state[i])
                v_loss = (v - ret[:, i]) ** 2
                if self.hp["value_clip"]:
                    vc = v0[:, i] + (v - v0[:, i]).clamp(-self.hp["value_clip"], self.hp["value_clip"])
                    v_loss = torch.max(v_loss, (vc - ret[:, i]) ** 2)
                critic_loss = 0.5 * masked_mean(v_loss, m, 1).sum()
                self.descend(self.critic_opt, critic_loss, self.critic)
        stats.update(actor_loss=actor_loss.item(), critic_loss=critic_loss.item())
        return stats


register("mappo", MAPPO, kind="learner", family="centralised", reference=MAPPO.reference, trains=True)
