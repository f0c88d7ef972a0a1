"""MADDPG: deterministic policy gradients with centralised critics (Lowe et al. 2017,
"Multi-Agent Actor-Critic for Mixed Cooperative-Competitive Environments", NeurIPS).

Each agent i has a deterministic actor mu_i(o_i) = sigmoid(mlp(o_i)) (a fraction of its
endowment; 0.5 untrained) and its own centralised critic Q_i(s, o_i, a_1..a_n) of **its own**
return, trained on its own reward:

    y_i = r_i + gamma (1 - done) Q'_i(s', o'_i, mu'_1(o'_1), ..., mu'_n(o'_n))
    critic i: minimise (Q_i(s, o_i, a) - y_i)^2
    actor i:  maximise Q_i(s, o_i, a_1, .., mu_i(o_i), .., a_n), partners' actions from the replay sample

Mixed-motive games are what MADDPG was made for: nothing here sums rewards. Exploration:
Gaussian noise on the fraction. Targets follow the online networks by Polyak averaging.
Training runs at a fixed update-to-data ratio (see ``OffPolicyLearner``).
"""
from __future__ import annotations

import copy

import torch

from coopgym.baselines.learners.base import OffPolicyLearner
from coopgym.baselines.learners.nets import AgentMLP, AgentNets, adam, descend, frozen, masked_mean, polyak


def with_own(actions: torch.Tensor, own: torch.Tensor) -> torch.Tensor:
    """Joint actions (n, B, n) for the n critics: row i is the replayed joint action (n, B)
    with agent i's entry replaced by ``own[i]``."""
    n = actions.shape[0]
    eye = torch.eye(n)[:, None, :]                                        # (n, 1, n)
    return actions.T[None] * (1.0 - eye) + own[..., None] * eye


def everyone(actions: torch.Tensor) -> torch.Tensor:
    """The same joint action (n, B) for each of the n critics: (n, B, n)."""
    return actions.T[None].expand(actions.shape[0], -1, -1)


class MADDPG(OffPolicyLearner):
    name = "maddpg"
    family = "centralised"
    reference = "Lowe et al. 2017, Multi-Agent Actor-Critic for Mixed Cooperative-Competitive Environments"
    DEFAULTS = {"lr": 1e-3, "critic_lr": 1e-3, "tau": 0.01, "noise": 0.2, "preact_reg": 1e-3}

    # -- networks: an actor per agent on its observation, a critic per agent on (s, o_i, joint action)
    def build(self) -> None:
        n, d, h = self.meta["n"], self.meta["obs_dim"], self.hp["hidden"]
        self.actor = AgentNets(n, d, h, 1, self.share_parameters, "relu", out_gain=0.01)
        self.critic = self.make_critic()
        self.actor_target, self.critic_target = copy.deepcopy(self.actor), copy.deepcopy(self.critic)
        self.opt = adam((self.actor, self.hp["lr"]), (self.critic, self.hp["critic_lr"]))

    def make_critic(self) -> AgentMLP:
        return self.centralised(self.meta["obs_dim"] + self.meta["n"])

    def actor_critic(self):
        """The critic an actor's loss reads (MATD3: the first of its twins)."""
        return self.critic

    @staticmethod
    def q(critic, obs, joint, state) -> torch.Tensor:
        """Q_i(s, o_i, joint_i) for every agent i: obs (n, B, d), joint (n, B, n), state (B, ds) -> (n, B)."""
        return critic(torch.cat([obs, joint], -1), state)[..., 0]

    # -- acting
    def mu(self, actor, obs) -> torch.Tensor:
        return torch.sigmoid(actor(obs)[..., 0])                          # (n, B)

    def policy(self, obs):
        return self.mu(self.actor, obs)

    def explore(self, obs, state):
        a = self.mu(self.actor, obs)
        return a + self.hp["noise"] * torch.randn(a.shape, generator=self.gen)   # the driver clips to [0, 1]

    # -- the two joint actions the variants (MATD3, M3DDPG) change
    def target_joint(self, b) -> torch.Tensor:
        """The joint action (n, B, n) each target critic evaluates at s'."""
        return everyone(self.mu(self.actor_target, b["next_obs"]) * b["next_active"])

    def actor_joint(self, b, own: torch.Tensor) -> torch.Tensor:
        """The joint action (n, B, n) critic i scores for agent i's actor: replayed partners, own mu_i."""
        return with_own(b["actions"], own)

    # -- training
    def next_value(self, b) -> torch.Tensor:
        """Q'_i at s' for every agent (n, B): the target of the critic's regression, after r and gamma."""
        return self.q(self.critic_target, b["next_obs"], self.target_joint(b), b["next_state"])

    def update(self, b) -> dict[str, float]:
        """One step of every critic and actor (one optimiser step: the actor's loss sees the critic as it
        was before this step's change)."""
        critic_loss, actor_loss = self.critic_loss(b), self.actor_loss(b)
        descend(self.opt, critic_loss + actor_loss, self.hp["max_grad_norm"], self.critic, self.actor)
        polyak(self.critic_target, self.critic, self.hp["tau"])
        polyak(self.actor_target, self.actor, self.hp["tau"])
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item()}

    def critic_loss(self, b) -> torch.Tensor:
        """Each agent's TD error on its own reward, summed over agents (and over twin critics)."""
        with torch.no_grad():
            y = b["rewards"] + b["discount"] * self.next_value(b)
        q = self.q(self.critic, b["obs"], everyone(b["actions"]), b["state"])      # (n, B), twins (2, n, B)
        return masked_mean((q - y) ** 2, b["mask"], -1).sum()

    def actor_loss(self, b) -> torch.Tensor:
        """-Q_i in agent i's own action, summed over agents. The pre-sigmoid output is kept small
        (``preact_reg``, as the authors' code does) so a policy pushed to 0 or 1 can come back."""
        u = self.actor(b["obs"])[..., 0]
        own = torch.sigmoid(u) * b["active"]
        with frozen(self.critic):
            q = self.q(self.actor_critic(), b["obs"], self.actor_joint(b, own), b["state"])
        return masked_mean(self.hp["preact_reg"] * u ** 2 - q, b["mask"], 1).sum()
