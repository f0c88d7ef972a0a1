"""ReputationMarket-v0: a market that pays by public reputation tier (TR-2).

Public reputation moves by .1 (a / e - .5) each step (clipped to [0, 1]); an
agent's payoff is multiplied by the tier of its reputation *after* the step's
update (post-step): rep >= .8 x1.30, >= .5 x1.00, >= .25 x0.70, else x0.40.

Tier timing (SPEC section 6 is silent; decided here): post-step, for two reasons.
SPEC's one timing rule for a state that scales rewards is "rewards of the step
use the updated T and R" (section 2), and public reputation is such a state; and
the reference platform pays by the updated reputation too (its ReputationMarketEnv.step
updates the reputations, then applies the tiers). So the step's own action counts
at once: cutting to 0 from the initial .5 drops to probation (x.70) in that same
step. docs/reproducibility.md records the choice.
"""
import numpy as np

from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.stages import TRUST_UPDATE, TRUST_WEIGHTS, Stage
from coopgym.value_game import VALUE, VALUE_PAYOFF

TIER_FLOORS = np.array([0.25, 0.5, 0.8])
TIER_MULTIPLIERS = np.array([0.40, 0.70, 1.00, 1.30])


def tier_multiplier(reputation: np.ndarray) -> np.ndarray:
    return TIER_MULTIPLIERS[np.searchsorted(TIER_FLOORS, reputation, side="right")]


def next_reputation(reputation: np.ndarray, a: np.ndarray, e: np.ndarray) -> np.ndarray:
    """rep <- clip(rep + .1 (a / e - .5), 0, 1)."""
    return np.clip(reputation + 0.1 * (a / e - 0.5), 0.0, 1.0)


def pay_by_tier(game, k, old, new, a, pi):
    """The payoff times the tier of the reputation after the step's update (post-step tier)."""
    return pi * tier_multiplier(next_reputation(old.extra["reputation"], a, game.e))


def neutral_reputation(game, state, options, previous):
    state.extra["reputation"] = np.full((state.batch, game.n), 0.5)


def update_reputation(game, k, old, new, a):
    new.extra["reputation"] = next_reputation(old.extra["reputation"], a, game.e)


def reputation_feature(game, state):
    return [state.extra["reputation"]]


SPEC = EnvSpec(
    id="ReputationMarket-v0", mechanism="TR-2", family=VALUE,
    stages=(TRUST_UPDATE, VALUE_PAYOFF, Stage("adjust", "reputation tier", pay_by_tier), TRUST_WEIGHTS,
            Stage("state", "public reputation", update_reputation, init=neutral_reputation,
                  shared=reputation_feature)),
    n_agents=5, n_range=(2, 64), horizon=100,
    summary="public reputation sets a payoff tier (x1.3 ... x0.4); cooperation raises it, defection sinks it",
    params=dict(endowment=100.0, D=0.35, theta=18.0, gamma=0.50, baseline=35.0,
                trust=TrustParams.of(0.10, 0.30, 0.55, 0.015, 0.45, 1.0, 0.50)),
)
