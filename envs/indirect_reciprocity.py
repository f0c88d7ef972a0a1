"""IndirectReciprocity-v0: four agents who answer each other's deviations, with a 7-step memory (TR-4)."""
from coopgym.reciprocity_game import RECIPROCITY, RECIPROCITY_STAGES
from coopgym.spec import EnvSpec

SPEC = EnvSpec(
    id="IndirectReciprocity-v0", mechanism="TR-4", family=RECIPROCITY, stages=RECIPROCITY_STAGES,
    n_agents=4, n_range=(2, 64), horizon=150,
    summary="every agent weighs every other's deviation from habit: kindness to one is seen by all",
    params=dict(endowment=100.0, D=0.4, baseline=30.0, rho0=0.8, eta=1.0, kappa=1.0, k=7, lambda_R=1.5, omega=0.5),
)
