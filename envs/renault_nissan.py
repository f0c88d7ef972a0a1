"""RenaultNissan-v0: the Renault-Nissan alliance, 1999-2025, in four phases (TR-2 case study)."""
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.value_game import VALUE, VALUE_STAGES

# (D, T0, R0) per phase; agent 0 is Nissan, agent 1 Renault
PHASES = {
    "formation": dict(D=[[0.0, 0.78], [0.66, 0.0]], T0=0.45, R0=0.05),
    "mature": dict(D=[[0.0, 0.51], [0.66, 0.0]], T0=0.70, R0=0.02),
    "crisis": dict(D=[[0.0, 0.35], [0.72, 0.0]], T0=0.30, R0=0.45),
    "strained": dict(D=[[0.0, 0.28], [0.65, 0.0]], T0=0.40, R0=0.35),
}

SPEC = EnvSpec(
    id="RenaultNissan-v0", mechanism="TR-2", family=VALUE, stages=VALUE_STAGES, n_agents=2, horizon=100,
    case="Renault-Nissan alliance (1999-2025)", agent_names=("Nissan", "Renault"),
    summary="cross-shareholding alliance; phases formation, mature, crisis (2018 Ghosn arrest), strained",
    params=dict(endowment=[90.0, 100.0], theta=22.0, gamma=0.58, alpha=[0.48, 0.52], baseline=[27.0, 30.0],
                trust=TrustParams.of(0.08, 0.25, 0.55, 0.02, 0.50, 1.0)),
    phases=PHASES, default_phase="mature",
)
