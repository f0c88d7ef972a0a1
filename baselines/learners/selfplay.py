"""SelfPlay-PPO: one PPO policy playing every seat against itself (self-play as in Tesauro 1995
and Bansal et al. 2018, "Emergent Complexity via Multi-Agent Competition").

IPPO (see :mod:`ippo`) with parameter sharing as the point of the learner: one actor and one
critic for all seats (the observation carries the seat's one-hot id, so seats with different
endowments can still act differently). Every sample keeps **its own seat's** reward from the
reward layer, never a sum; the shared parameters follow the sum of the seats' own policy
gradients. ``share_parameters=False`` is refused (that is IPPO).
"""
from __future__ import annotations

from coopgym.baselines.learners.ippo import IPPO


class SelfPlayPPO(IPPO):
    name = "selfplay_ppo"
    reference = ("Bansal et al. 2018, Emergent Complexity via Multi-Agent Competition (arXiv:1710.03748); "
                 "Tesauro 1995, TD-Gammon; PPO: Schulman et al. 2017")

    def __init__(self, seed: int = 0, share_parameters: bool = True, **hyperparameters):
        if not share_parameters:
            raise ValueError("selfplay_ppo is one policy for every seat: share_parameters=False is IPPO")
        super().__init__(seed, True, **hyperparameters)
