"""RecoveryRace-v0: rebuild trust after a violation, against hysteresis (TR-2)."""
import numpy as np

from coopgym.mechanisms.trust import TrustParams, mean_trust
from coopgym.spec import EnvSpec
from coopgym.stages import Stage
from coopgym.value_game import VALUE, VALUE_STAGES


def trust_recovered(game, state) -> np.ndarray:
    """Success: the episode ends when the mean trust reaches 0.90."""
    return mean_trust(state.T) >= 0.90 if game.trust_on else np.zeros(state.batch, dtype=bool)


SPEC = EnvSpec(
    id="RecoveryRace-v0", mechanism="TR-2", family=VALUE,
    stages=(*VALUE_STAGES, Stage("end", "mean trust reaches 0.90", trust_recovered)),
    n_agents=2, n_range=(2, 64), horizon=150,
    summary="partners start after a trust violation and race to rebuild trust under a lowered ceiling",
    params=dict(endowment=100.0, D=0.55, gamma=0.60, baseline=35.0,
                trust=TrustParams.of(0.08, 0.35, 0.70, 0.01, 0.40, 1.0, T0=0.25, R0=0.50)),
    terminates="success: mean trust >= 0.90",
)
