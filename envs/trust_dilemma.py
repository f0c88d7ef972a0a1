"""TrustDilemma-v0: two symmetric partners whose trust can collapse (TR-2)."""
import numpy as np

from coopgym.mechanisms.trust import TrustParams, mean_trust
from coopgym.spec import EnvSpec
from coopgym.stages import Stage
from coopgym.value_game import VALUE, VALUE_STAGES


def trust_collapsed(game, state) -> np.ndarray:
    """The episode ends when the mean trust falls below 0.05 (never without trust)."""
    return mean_trust(state.T) < 0.05 if game.trust_on else np.zeros(state.batch, dtype=bool)


SPEC = EnvSpec(
    id="TrustDilemma-v0", mechanism="TR-2", family=VALUE,
    stages=(*VALUE_STAGES, Stage("end", "mean trust below 0.05", trust_collapsed)),
    n_agents=2, n_range=(2, 64), horizon=100,
    summary="symmetric partners; cooperation builds trust slowly, defection erodes it fast",
    params=dict(endowment=100.0, D=0.60, gamma=0.70, alpha=None, baseline=40.0,
                trust=TrustParams.of(0.15, 0.45, 0.50, 0.02, 0.60, 1.5, 0.50)),
    terminates="mean trust < 0.05",
)
