"""CooperativeNegotiation-v0: reach an agreement, then keep it (TR-2).

An agreement forms when |a0 - a1| <= 10 (at their mean). While it stands, an
agent who deviates more than 10 from it breaches: its payoff loses
3 |a_i - agreement| and the agreement dissolves (a new one may form later).
"""
import numpy as np

from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.stages import TRUST_UPDATE, TRUST_WEIGHTS, Stage
from coopgym.value_game import VALUE, VALUE_PAYOFF

TOLERANCE = 10.0
PENALTY = 3.0


def no_agreement(game, state, options, previous):
    state.extra["agreed"] = np.zeros(state.batch, dtype=bool)
    state.extra["agreement"] = np.zeros(state.batch)


def breaches(old, a) -> np.ndarray:
    """(B, n) true where an agent breaks a standing agreement."""
    deviation = np.abs(a - old.extra["agreement"][:, None])
    return old.extra["agreed"][:, None] & (deviation > TOLERANCE)


def breach_penalty(game, k, old, new, a, pi):
    """A breaching agent loses 3 |a_i - agreement|."""
    return pi - PENALTY * np.abs(a - old.extra["agreement"][:, None]) * breaches(old, a)


def negotiate(game, k, old, new, a):
    """A breach dissolves the agreement; without one standing, actions within 10 form one at their mean."""
    breached = breaches(old, a).any(axis=1)
    standing = old.extra["agreed"] & ~breached
    forms = ~standing & ~breached & (np.abs(a[:, 0] - a[:, 1]) <= TOLERANCE)
    new.extra["agreed"] = standing | forms
    new.extra["agreement"] = np.where(forms, a.mean(axis=1), np.where(standing, old.extra["agreement"], 0.0))


def agreement_features(game, state):
    return [state.extra["agreed"][:, None].astype(np.float64), (state.extra["agreement"] / game.e.max())[:, None]]


SPEC = EnvSpec(
    id="CooperativeNegotiation-v0", mechanism="TR-2", family=VALUE,
    stages=(TRUST_UPDATE, VALUE_PAYOFF, Stage("adjust", "breach penalty", breach_penalty), TRUST_WEIGHTS,
            Stage("state", "agreement", negotiate, init=no_agreement, shared=agreement_features)),
    n_agents=2, horizon=100,
    summary="converge within 10 to form an agreement; a later deviation > 10 is a breach costing 3x the gap",
    params=dict(endowment=100.0, D=0.55, gamma=0.60, baseline=35.0,
                trust=TrustParams.of(0.12, 0.40, 0.65, 0.02, 0.55, 1.2, 0.50)),
)
