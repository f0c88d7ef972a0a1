"""MADDPG: deterministic policy gradients with centralised critics (Lowe et al. 2017,
"Multi-Agent Actor-Critic for Mixed Cooperative-Competitive Environments", NeurIPS).

Each agent i has a deterministic actor mu_i(o_i) = sigmoid(mlp(o_i)) (a fraction of its
endowment) and its own centralised critic Q_i(s, o_i, a_1..a_n) of **its own** return,
trained on its own reward:

    y_i = r_i + gamma (1 - done) Q'_i(s', o'_i, mu'_1(o'_1), ..., mu'_n(o'_n))

Agent i's actor ascends Q_i(s, o_i, a_1, .., mu_i(o_i), .., a_n) with the partners' actions
from the replay sample, as in the paper. Mixed-motive games are what MADDPG was made for:
nothing here sums rewards. Exploration: Gaussian noise on the fraction.
"""
from __future__ import annotations

import copy

import torch

from coopgym.baselines import register
from coopgym.baselines.learners.common import (
    AgentMLP, OffPolicyLearner, PolicyNet, frozen, masked_mean, polyak)


def with_own(actions: torch.Tensor, own: torch.Tensor) -> torch.Tensor:
    """Joint actions (n, B, n) for the n critics: row i is the replayed joint action (n, B)
    with agent i's entry replaced by ``own[i]``."""
    n = actions.shape[0]
    eye = torch.eye(n)[:, None, :]                                        # (n, 1, n)
    return actions.T[None] * (1.0 - eye) + own[..., None] * eye


class MADDPG(OffPolicyLearner):
    name = "maddpg"
    reference = "Lowe et al. 2017, Multi-Agent Actor-Critic for Mixed Cooperative-Competitive Environments"
    DEFAULTS = {"lr": 1e-3, "critic_lr": 1e-3, "tau": 0.01, "noise": 0.1, "preact_reg": 1e-3}

    def build(self) -> None:
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.actor = PolicyNet(n, d, h, 1, self.share_parameters, "relu", out_gain=0.01)
        self.critic = self.make_critic(n, d, ds, h)
        self.actor_target, self.critic_target = copy.deepcopy(self.actor), copy.deepcopy(self.critic)
        self.make_optimisers()

    def make_critic(self, n, d, ds, h) -> torch.nn.Module:
        """n critics, one per agent: input (own observation, joint action) per agent + global state."""
        return AgentMLP(n, d + n, ds, [h, h], 1, "relu")

    def modules(self):
        return {"actor": self.actor, "critic": self.critic, "actor_target": self.actor_target,
                "critic_target": self.critic_target}

    @staticmethod
    def q(critic, obs, joint, state) -> torch.Tensor:
        """Q_i(s, o_i, joint_i) for every agent i: obs (n, B, d), joint (n, B, n) -> (n, B)."""
        return critic(torch.cat([obs, joint], -1), state)[..., 0]

    def mu(self, actor, obs) -> torch.Tensor:
        return torch.sigmoid(actor(obs)[..., 0])                          # (n, B)

    def policy_fractions(self, obs):
        return self.mu(self.actor, obs.transpose(0, 1)).T

    def explore(self, obs, state):
        a = self.mu(self.actor, obs)
        return (a + self.hp["noise"] * torch.randn(a.shape, generator=self.gen)).clamp(0.0, 1.0)

    # -- the two joint actions the algorithm variants change
    def target_joint(self, b) -> torch.Tensor:
        """The joint action (n, B, n) each target critic evaluates at s'."""
        a = self.mu(self.actor_target, b["next_obs"]) * b["next_active"]
        return a.T[None].expand(a.shape[0], -1, -1)

    def actor_joint(self, b, own: torch.Tensor) -> torch.Tensor:
        """The joint action (n, B, n) critic i scores for agent i's actor: replayed partners, own mu_i."""
        return with_own(b["actions"], own)

    def update(self, b) -> dict[str, float]:
        with torch.no_grad():
            q_next = self.q(self.critic_target, b["next_obs"], self.target_joint(b), b["next_state"])
            y = b["rewards"] + self.hp["gamma"] * (1.0 - b["done"]) * q_next
        joint = b["actions"].T[None].expand(self.meta["n"], -1, -1)
        critic_loss = masked_mean((self.q(self.critic, b["obs"], joint, b["state"]) - y) ** 2, b["active"], 1).sum()
        self.descend(self.critic_opt, critic_loss, self.critic)

        actor_loss = self.actor_step(b)
        polyak(self.critic_target, self.critic, self.hp["tau"])
        polyak(self.actor_target, self.actor, self.hp["tau"])
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss}

    def actor_step(self, b) -> float:
        """One ascent step of every agent's Q_i in its own action. The pre-sigmoid output is kept
        small (``preact_reg``, as the authors' code does) so a policy pushed to 0 or 1 can come back."""
        u = self.actor(b["obs"])[..., 0]
        own = torch.sigmoid(u) * b["active"]
        with frozen(self.critic):
            q = self.q(self.critic, b["obs"], self.actor_joint(b, own), b["state"])
        loss = masked_mean(self.hp["preact_reg"] * u ** 2 - q, b["active"], 1).sum()
        self.descend(self.actor_opt, loss, self.actor)
        return loss.item()


register("maddpg", MADDPG, kind="learner", family="centralised", reference=MADDPG.reference, trains=True)
