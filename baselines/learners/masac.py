"""MASAC: soft actor-critic with centralised critics (Haarnoja et al. 2018, "Soft Actor-Critic
Algorithms and Applications"; centralised soft critics per agent as in Iqbal & Sha 2019,
"Actor-Attention-Critic for Multi-Agent Reinforcement Learning", ICML).

ISAC (see :mod:`isac`: squashed Gaussian actors, twin soft critics, one temperature per agent,
the same losses) with centralised critics: agent i's critics Q_i^{1,2}(s, o_i, a_1..a_n) read
the global state and the joint action, and still estimate **its own** return from its own
reward. In the actor's loss the partners' actions come from the replay sample, agent i's own
from its policy; in the target every agent's next action is sampled from its policy.
"""
from __future__ import annotations

import torch

from coopgym.baselines.learners.isac import ISAC
from coopgym.baselines.learners.maddpg import with_own


class MASAC(ISAC):
    name = "masac"
    family = "centralised"
    reference = "Haarnoja et al. 2018, Soft Actor-Critic; centralised soft critics as in Iqbal & Sha 2019 (MAAC)"

    def make_critic(self) -> torch.nn.Module:
        return self.centralised(self.meta["obs_dim"] + self.meta["n"])      # Q_i(s, o_i, joint action)

    def q(self, critic, obs, state, replayed, own) -> torch.Tensor:
        """Q_i(s, o_i, a_-i = replayed_-i, a_i = own_i) for every agent: (n, B)."""
        return critic(torch.cat([obs, with_own(replayed, own)], -1), state)[..., 0]
