"""VDN: value decomposition networks (Sunehag et al. 2018, "Value-Decomposition Networks For
Cooperative Multi-Agent Learning Based On Team Reward", AAMAS).

QMIX (see :mod:`qmix`) with the mixer replaced by a plain sum, Q_tot = sum_j Q_j(o_j, a_j):
the same discretised actions (``bins``, default 11), the same epsilon-greedy exploration,
and the same honesty rule, with the same two factorisations:

- ``"team"`` (``"auto"`` under reward="cooperative", refused otherwise): the paper's VDN on
  the common reward.
- ``"per_agent"`` (``"auto"`` otherwise): agent k decomposes **its own** return,
  Q_tot^k = sum_j Q^k_j(o_j, a_j), trained on r_k alone, and acts greedily on Q^k_k.
"""
from __future__ import annotations

import torch
from torch import nn

from coopgym.baselines.learners.qmix import QMIX


class SumMixer(nn.Module):
    def forward(self, q: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """q (K, B, n) -> (K, B): the sum over the agents of owner k's utilities."""
        return q.sum(-1)


class VDN(QMIX):
    name = "vdn"
    reference = ("Sunehag et al. 2018, Value-Decomposition Networks For Cooperative Multi-Agent Learning "
                 "Based On Team Reward")
    NOT_USED = ("mixer_embed", "hyper_hidden")
    # targets follow twice as fast as QMIX's (with QMIX's rate, seed 1 of TeamProduction-v0 cooperative stayed
    # at 0.76; README learning check)
    DEFAULTS = {"tau": 0.02}

    def make_mixer(self, owners: int, n: int, ds: int) -> nn.Module:
        return SumMixer()
