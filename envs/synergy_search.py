"""SynergySearch-v0: the complementarity gamma is hidden and must be discovered (TR-1).

gamma ~ U(.20, .90) is drawn per episode from the reset seed and replaces the
family's gamma in the payoff; agents never observe it.
"""
import numpy as np

from coopgym import rng
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.stages import TRUST_UPDATE, TRUST_WEIGHTS, Stage
from coopgym.value_game import VALUE, payoff_at

GAMMA_RANGE = (0.20, 0.90)


def draw_gamma(game, state, options, previous):
    lo, hi = GAMMA_RANGE
    u = rng.uniform(state.keys, np.zeros(state.batch, dtype=np.uint64), stream=1)
    state.extra["gamma"] = lo + (hi - lo) * u


def payoff_at_hidden_gamma(game, k, old, new, a):
    """The TR-1 payoff with the episode's own gamma."""
    return payoff_at(k, a, new.extra["gamma"])


SPEC = EnvSpec(
    id="SynergySearch-v0", mechanism="TR-1", family=VALUE,
    stages=(TRUST_UPDATE, Stage("payoff", "TR-1 value creation at the hidden gamma", payoff_at_hidden_gamma),
            TRUST_WEIGHTS, Stage("state", "hidden gamma", init=draw_gamma)),
    n_agents=2, n_range=(2, 64), horizon=100,
    summary="the synergy strength gamma ~ U(.2, .9) is hidden; learn how much joint investment pays",
    params=dict(endowment=100.0, D=0.5, baseline=40.0, trust=TrustParams.of(0.10, 0.30, 0.60, 0.03, 0.50, 1.0, 0.55)),
)
