"""ReciprocalDilemma-v0: a repeated two-partner game where partners answer deviations in kind (TR-4)."""
from coopgym.reciprocity_game import RECIPROCITY, RECIPROCITY_STAGES
from coopgym.spec import EnvSpec

SPEC = EnvSpec(
    id="ReciprocalDilemma-v0", mechanism="TR-4", family=RECIPROCITY, stages=RECIPROCITY_STAGES,
    n_agents=2, n_range=(2, 64), horizon=100,
    summary="reciprocity with 5-step memory: rising above your own habit is rewarded, falling below punished",
    params=dict(endowment=100.0, D=0.5, baseline=30.0, rho0=1.0, eta=1.0, kappa=1.0, k=5, lambda_R=1.0, omega=0.6),
)
