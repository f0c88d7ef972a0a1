"""LoyaltyTeam-v0: team production where loyalty pays (TR-3)."""
from coopgym.spec import EnvSpec
from coopgym.team_game import TEAM, TEAM_STAGES

SPEC = EnvSpec(
    id="LoyaltyTeam-v0", mechanism="TR-3", family=TEAM, stages=TEAM_STAGES, n_agents=4, n_range=(2, 64), horizon=100,
    summary="team production with loyalty benefit phi_B .8 and cost tolerance phi_C .3; loyalty grows with effort",
    params=dict(endowment=50.0, omega=25.0, beta=0.7, c=1.0, phi_B=0.8, phi_C=0.3),
)
