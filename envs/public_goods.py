"""PublicGoods-v0: a linear public good, Q = 2 sum a (TR-3 with beta = 1)."""
from coopgym.spec import EnvSpec
from coopgym.team_game import TEAM, TEAM_STAGES

SPEC = EnvSpec(
    id="PublicGoods-v0", mechanism="TR-3", family=TEAM, stages=TEAM_STAGES, n_agents=5, n_range=(2, 64), horizon=100,
    summary="linear public good (marginal return 2/n < 1 per unit): contributing is dominated without loyalty",
    # the free-riding effort is 0 here, which would make every action read as cooperation;
    # half the endowment is the trust baseline instead
    params=dict(endowment=50.0, omega=2.0, beta=1.0, c=1.0, phi_B=0.6, phi_C=0.2, baseline=25.0),
)
