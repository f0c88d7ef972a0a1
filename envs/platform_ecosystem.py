"""PlatformEcosystem-v0: one platform hub and its developers (TR-1 hub-and-spoke)."""
import numpy as np

from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.stages import Stage
from coopgym.value_game import VALUE, VALUE_STAGES


def hub_spoke(n: int, hub_on_spoke: float = 0.25, spoke_on_hub: float = 0.75) -> np.ndarray:
    """D with agent 0 the hub: D[0, j] = hub_on_spoke, D[j, 0] = spoke_on_hub, spokes independent."""
    D = np.zeros((n, n))
    D[0, 1:] = hub_on_spoke
    D[1:, 0] = spoke_on_hub
    return D


def platform_shares(n: int, platform: float = 0.30) -> np.ndarray:
    return np.r_[platform, np.full(n - 1, (1.0 - platform) / (n - 1))]


def developers_leave(game, state) -> np.ndarray:
    """The episode ends when the developers' mean trust in the platform, mean_j T[j, 0], falls below 0.15."""
    return state.T[:, 1:, 0].mean(axis=1) < 0.15 if game.trust_on else np.zeros(state.batch, dtype=bool)


SPEC = EnvSpec(
    id="PlatformEcosystem-v0", mechanism="TR-1", family=VALUE,
    stages=(*VALUE_STAGES, Stage("end", "developers' trust in the platform below 0.15", developers_leave)),
    n_agents=5, n_range=(2, 64), horizon=100,
    summary="a platform (agent 0) and n - 1 developers who depend on it far more than it on them",
    params=dict(endowment=lambda n: [150.0] + [80.0] * (n - 1), D=hub_spoke, theta=25.0, gamma=0.75,
                alpha=platform_shares, baseline_fraction=0.30,
                trust=TrustParams.of(0.08, 0.25, 0.45, 0.02, 0.40, 1.0, 0.60)),
    terminates="mean developer->platform trust < 0.15",
)
