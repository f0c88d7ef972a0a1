"""GiftExchange-v0: an employer and a worker trading effort for generosity (TR-4, asymmetric)."""
from coopgym.reciprocity_game import RECIPROCITY, RECIPROCITY_STAGES
from coopgym.spec import EnvSpec

SPEC = EnvSpec(
    id="GiftExchange-v0", mechanism="TR-4", family=RECIPROCITY, stages=RECIPROCITY_STAGES, n_agents=2, horizon=100,
    summary="asymmetric gift exchange (D01 .4, D10 .7): the dependent side reciprocates more strongly",
    params=dict(endowment=[100.0, 80.0], D=[[0.0, 0.4], [0.7, 0.0]], baseline=[30.0, 24.0],
                rho0=1.2, eta=1.5, kappa=1.0, k=3, lambda_R=1.2, omega=0.8),
)
