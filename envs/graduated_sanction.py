"""GraduatedSanction-v0: six agents with a long memory and steep, bounded sanctions (TR-4)."""
from coopgym.reciprocity_game import RECIPROCITY, RECIPROCITY_STAGES
from coopgym.spec import EnvSpec

SPEC = EnvSpec(
    id="GraduatedSanction-v0", mechanism="TR-4", family=RECIPROCITY, stages=RECIPROCITY_STAGES,
    n_agents=6, n_range=(2, 64), horizon=200,
    summary="10-step memory, softer response (kappa .8), strong weight (lambda_R 1.8): graduated, bounded sanctions",
    params=dict(endowment=100.0, D=0.35, baseline=40.0, rho0=0.6, eta=1.5, kappa=0.8, k=10, lambda_R=1.8, omega=1.0),
)
