"""SLCD-v0: the Samsung-Sony S-LCD joint venture, 2004-2011 (TR-1 case study)."""
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.value_game import VALUE, VALUE_STAGES

SPEC = EnvSpec(
    id="SLCD-v0", mechanism="TR-1", family=VALUE, stages=VALUE_STAGES, n_agents=2, horizon=100,
    case="Samsung-Sony S-LCD (2004-2011)", agent_names=("Samsung", "Sony"),
    summary="LCD-panel joint venture: Sony depends on Samsung (D .86) more than Samsung on Sony (D .64)",
    params=dict(endowment=100.0, D=[[0.0, 0.64], [0.86, 0.0]], gamma=0.65, alpha=[0.55, 0.45], baseline=30.0,
                trust=TrustParams.of(0.08, 0.28, 0.50, 0.02, 0.45, 1.0, 0.65)),
)
