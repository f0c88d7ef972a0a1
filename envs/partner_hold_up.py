"""PartnerHoldUp-v0: a strong and a dependent partner (TR-1 asymmetric interdependence)."""
import numpy as np

from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.stages import Stage
from coopgym.value_game import VALUE, VALUE_STAGES


def dependent_partner_quits(game, state) -> np.ndarray:
    """The episode ends when the dependent partner's trust in the strong one, T[1, 0], falls below 0.10."""
    return state.T[:, 1, 0] < 0.10 if game.trust_on else np.zeros(state.batch, dtype=bool)


SPEC = EnvSpec(
    id="PartnerHoldUp-v0", mechanism="TR-1", family=VALUE,
    stages=(*VALUE_STAGES, Stage("end", "dependent partner's trust below 0.10", dependent_partner_quits)),
    n_agents=2, horizon=100,
    summary="asymmetric dependency: the weak partner (D10 .85) is exposed to hold-up by the strong one",
    params=dict(endowment=[120.0, 80.0], D=[[0.0, 0.35], [0.85, 0.0]], gamma=0.60, alpha=[0.6, 0.4],
                baseline_fraction=0.35, trust=TrustParams.of(0.10, 0.35, 0.55, 0.025, 0.70, 1.2, 0.55)),
    terminates="T[1,0] < 0.10",
)
