"""PartnerHoldUp-v0: a strong and a dependent partner (TR-1 asymmetric interdependence)."""
from coopgym.game import CoopetitionGame
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec


class PartnerHoldUp(CoopetitionGame):
    """Ends when the dependent partner's trust in the strong one, T[1, 0], falls below 0.10."""

    def terminated(self, state):
        if not self.trust_on:
            return super().terminated(state)
        return state.T[:, 1, 0] < 0.10


SPEC = EnvSpec(
    id="PartnerHoldUp-v0", mechanism="TR-1", game=PartnerHoldUp, n_agents=2, horizon=100,
    summary="asymmetric dependency: the weak partner (D10 .85) is exposed to hold-up by the strong one",
    params=dict(endowment=[120.0, 80.0], D=[[0.0, 0.35], [0.85, 0.0]], gamma=0.60, alpha=[0.6, 0.4],
                baseline_fraction=0.35, trust=TrustParams.of(0.10, 0.35, 0.55, 0.025, 0.70, 1.2, 0.55)),
    terminates="T[1,0] < 0.10",
)
