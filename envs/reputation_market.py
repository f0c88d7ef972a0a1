"""ReputationMarket-v0: a market that pays by public reputation tier (TR-2).

Public reputation moves by .1 (a / e - .5) each step (clipped to [0, 1]); an
agent's payoff is multiplied by its tier at the start of the step:
rep >= .8 x1.30, >= .5 x1.00, >= .25 x0.70, else x0.40.
"""
import numpy as np

from coopgym.game import CoopetitionGame
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec

TIER_FLOORS = np.array([0.25, 0.5, 0.8])
TIER_MULTIPLIERS = np.array([0.40, 0.70, 1.00, 1.30])


def tier_multiplier(reputation: np.ndarray) -> np.ndarray:
    return TIER_MULTIPLIERS[np.searchsorted(TIER_FLOORS, reputation, side="right")]


class ReputationMarket(CoopetitionGame):
    def init_extra(self, state, options, previous):
        state.extra["reputation"] = np.full((state.batch, self.n), 0.5)

    def payoff(self, old, new, a):
        pi, own = super().payoff(old, new, a)
        return pi * tier_multiplier(old.extra["reputation"]), own

    def advance(self, old, new, a):
        new.extra["reputation"] = np.clip(old.extra["reputation"] + 0.1 * (a / self.e - 0.5), 0.0, 1.0)

    def shared_features(self, state):
        return [state.extra["reputation"]]


SPEC = EnvSpec(
    id="ReputationMarket-v0", mechanism="TR-2", game=ReputationMarket, n_agents=5, n_range=(2, 64), horizon=100,
    summary="public reputation sets a payoff tier (x1.3 ... x0.4); cooperation raises it, defection sinks it",
    params=dict(endowment=100.0, D=0.35, theta=18.0, gamma=0.50, baseline=35.0,
                trust=TrustParams.of(0.10, 0.30, 0.55, 0.015, 0.45, 1.0, 0.50)),
)
