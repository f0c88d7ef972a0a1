"""ApacheProject-v0: the Apache HTTP Server community, 1995-2023, in four phases (TR-3 case study).

Each phase sets the number of contributors n, the team productivity omega, the
loyalty cap and the documented expected effort (the trust baseline).
``phase="historical"`` walks through the four phases in one episode, with
steps in proportion to the phases' years (3, 6, 12, 8 of 29 -> 6, 12, 25, 17
of 60): contributors join at the growth and maturity boundaries and leave at
the evolution boundary (PettingZoo's ``agents`` list follows them); only the
contributors in the project share its output and update their trust.
"""
from coopgym.spec import EnvSpec
from coopgym.team_game import TEAM, TEAM_STAGES

PHASES = {  # n, omega, loyalty cap, expected effort
    "emergence": dict(n_agents=8, omega=20.0, loyalty_cap=1.0, baseline=35.0),
    "growth": dict(n_agents=15, omega=25.0, loyalty_cap=0.85, baseline=30.0),
    "maturity": dict(n_agents=40, omega=30.0, loyalty_cap=0.70, baseline=22.0),
    "evolution": dict(n_agents=35, omega=28.0, loyalty_cap=0.60, baseline=18.0),
}
SCHEDULE = (("emergence", 6), ("growth", 12), ("maturity", 25), ("evolution", 17))

SPEC = EnvSpec(
    id="ApacheProject-v0", mechanism="TR-3", family=TEAM, stages=TEAM_STAGES, n_agents=40, n_range=(2, 64),
    horizon=60, case="Apache HTTP Server (1995-2023)",
    summary="open-source community: phases emergence, growth, maturity, evolution change n, omega and loyalty cap",
    params=dict(endowment=50.0, beta=0.70, c=1.0, phi_B=0.75, phi_C=0.25),
    phases=PHASES, default_phase="maturity", schedule=SCHEDULE,
)
