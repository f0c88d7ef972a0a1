"""MAPPO: PPO with centralised critics (Yu et al. 2022, "The Surprising Effectiveness of PPO
in Cooperative Multi-Agent Games", NeurIPS Datasets & Benchmarks).

IPPO (see :mod:`ippo`: the same Gaussian actors, rollouts, GAE and clipped surrogate) with
one change: each agent's critic V_i(s, o_i) reads the global state as well as its own
observation (the paper's agent-specific global state). Every agent has **its own** critic,
of its own return under its own reward as the reward layer gives it, even with
``share_parameters=True`` (which shares the actors only): a critic shared between agents
with different rewards would learn their mixture. Rewards are scaled per agent instead of
the paper's PopArt. With many agents the critic reads a per-agent summary of the trust
matrices (``critic_state``, see ``rollout.StateSummary``).
"""
from __future__ import annotations

import torch

from coopgym.baselines.learners.ippo import IPPO


class MAPPO(IPPO):
    name = "mappo"
    family = "centralised"
    reference = "Yu et al. 2022, The Surprising Effectiveness of PPO in Cooperative Multi-Agent Games"

    def make_critic(self) -> torch.nn.Module:
        return self.centralised(self.meta["obs_dim"])        # V_i(o_i, s): own observation + the shared state

    def value(self, obs: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return self.critic(obs, state)[..., 0]
