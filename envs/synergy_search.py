"""SynergySearch-v0: the complementarity gamma is hidden and must be discovered (TR-1)."""
import numpy as np

from coopgym import rng
from coopgym.game import CoopetitionGame
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec

GAMMA_RANGE = (0.20, 0.90)


class SynergySearch(CoopetitionGame):
    """gamma ~ U(.20, .90) per episode, drawn from the reset seed; agents never observe it."""

    def init_extra(self, state, options, previous):
        lo, hi = GAMMA_RANGE
        u = rng.uniform(state.keys, np.zeros(state.batch, dtype=np.uint64), stream=1)
        state.extra["gamma"] = lo + (hi - lo) * u

    def gamma_of(self, state):
        return state.extra["gamma"]


SPEC = EnvSpec(
    id="SynergySearch-v0", mechanism="TR-1", game=SynergySearch, n_agents=2, n_range=(2, 64), horizon=100,
    summary="the synergy strength gamma ~ U(.2, .9) is hidden; learn how much joint investment pays",
    params=dict(endowment=100.0, D=0.5, baseline=40.0, trust=TrustParams.of(0.10, 0.30, 0.60, 0.03, 0.50, 1.0, 0.55)),
)
