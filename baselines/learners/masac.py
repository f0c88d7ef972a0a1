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
    # a gradient step through centralised twin critics cost ~1.3 x ISAC's when this was set (1.1 x since both
    # evaluate their twins together), so 2/3 of ISAC's update-to-data ratio (learning check, seeds 0-2,
    # 1/192 vs 1/128: SLCD-v0 private 0.38 vs 0.26, TeamProduction-v0 cooperative 0.99 vs 0.99,
    # ReciprocalDilemma-v0 integrated 0.13 vs 0.31)
    DEFAULTS = {"utd": 1 / 192}

    def make_critic(self) -> torch.nn.Module:
        return self.centralised(self.meta["obs_dim"] + self.meta["n"])      # Q_i(s, o_i, joint action)

    def q(self, critics, obs, state, replayed, own) -> torch.Tensor:
        """Q^1_i and Q^2_i(s, o_i, a_-i = replayed_-i, a_i = own_i) for every agent: (2, n, B)."""
        return critics(torch.cat([obs, with_own(replayed, own)], -1), state)[..., 0]
