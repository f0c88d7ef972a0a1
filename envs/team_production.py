"""TeamProduction-v0: the pure free-riding problem of team production (TR-3, no loyalty)."""
from coopgym.spec import EnvSpec
from coopgym.team_game import TEAM, TEAM_STAGES

SPEC = EnvSpec(
    id="TeamProduction-v0", mechanism="TR-3", family=TEAM, stages=TEAM_STAGES, n_agents=4, n_range=(2, 64), horizon=100,
    summary="Q = omega (sum a)^beta shared equally; effort costs c a: each agent is tempted to free-ride",
    params=dict(endowment=50.0, omega=25.0, beta=0.7, c=1.0, phi_B=0.0, phi_C=0.0),
)
