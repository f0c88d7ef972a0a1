"""RecoveryRace-v0: rebuild trust after a violation, against hysteresis (TR-2)."""
from coopgym.game import CoopetitionGame
from coopgym.mechanisms.trust import TrustParams, mean_trust
from coopgym.spec import EnvSpec


class RecoveryRace(CoopetitionGame):
    """Starts damaged (T0 .25, R0 .50); ends in success when mean trust reaches 0.90."""

    def terminated(self, state):
        if not self.trust_on:
            return super().terminated(state)
        return mean_trust(state.T) >= 0.90


SPEC = EnvSpec(
    id="RecoveryRace-v0", mechanism="TR-2", game=RecoveryRace, n_agents=2, n_range=(2, 64), horizon=150,
    summary="partners start after a trust violation and race to rebuild trust under a lowered ceiling",
    params=dict(endowment=100.0, D=0.55, gamma=0.60, baseline=35.0,
                trust=TrustParams.of(0.08, 0.35, 0.70, 0.01, 0.40, 1.0, T0=0.25, R0=0.50)),
    terminates="success: mean trust >= 0.90",
)
