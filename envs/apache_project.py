"""ApacheProject-v0: the Apache HTTP Server community, 1995-2023, in four phases (TR-3 case study).

Each phase sets the number of contributors n, the team productivity omega, the
loyalty cap and the documented expected effort (the trust baseline).
``phase="historical"`` walks through the four phases in one episode, with
steps in proportion to the phases' years (3, 6, 12, 8 of 29 -> 6, 12, 25, 17
of 60): contributors join at the growth and maturity boundaries and leave at
the evolution boundary (PettingZoo's ``agents`` list follows them).
"""
import numpy as np

from coopgym.spec import EnvSpec
from coopgym.team_game import TeamGame

PHASES = {  # n, omega, loyalty cap, expected effort
    "emergence": dict(n_agents=8, omega=20.0, loyalty_cap=1.0, baseline=35.0),
    "growth": dict(n_agents=15, omega=25.0, loyalty_cap=0.85, baseline=30.0),
    "maturity": dict(n_agents=40, omega=30.0, loyalty_cap=0.70, baseline=22.0),
    "evolution": dict(n_agents=35, omega=28.0, loyalty_cap=0.60, baseline=18.0),
}
SCHEDULE = (("emergence", 6), ("growth", 12), ("maturity", 25), ("evolution", 17))


class ApacheProject(TeamGame):
    VARIABLE_AGENTS = True

    def __init__(self, spec, *, phase=None, n_agents=None, horizon=None, **options):
        historical = phase == "historical"
        if historical and n_agents is not None:
            raise ValueError("ApacheProject-v0: phase='historical' sets the agent count of each phase; drop n_agents")
        length = sum(steps for _, steps in SCHEDULE)
        if historical and horizon is not None and horizon != length:
            raise ValueError(f"ApacheProject-v0: phase='historical' runs {length} steps; drop horizon")
        if historical:
            n_agents = max(p["n_agents"] for p in PHASES.values())
        super().__init__(spec, phase=phase, n_agents=n_agents, horizon=horizon, **options)

    def configure(self, p):
        super().configure(p)
        self.historical = self.phase == "historical"
        order = [name for name, _ in SCHEDULE] if self.historical else [self.phase]
        steps = [s for _, s in SCHEDULE] if self.historical else [self.horizon]
        self._ends = np.cumsum(steps)                     # step t belongs to the first phase with t < end
        pick = (lambda key, own: np.array([PHASES[q][key] for q in order]) if self.historical else np.array([own]))
        self._n = pick("n_agents", self.n)
        self._omega = pick("omega", self.omega)
        self._cap = pick("loyalty_cap", self.loyalty_cap)
        self._baseline = pick("baseline", self.baseline[0])

    def phase_index(self, state) -> np.ndarray:
        return np.minimum(np.searchsorted(self._ends, state.t, side="right"), len(self._ends) - 1)

    def _active(self, state):
        return np.arange(self.n) < self._n[self.phase_index(state)][:, None]

    def init_extra(self, state, options, previous):
        super().init_extra(state, options, previous)
        state.active = self._active(state)

    def members(self, state):
        return state.active

    def team_parameters(self, state):
        k = self.phase_index(state)
        return self._omega[k], self._cap[k]

    def update_trust(self, old, new, a):
        if not self.historical:
            return super().update_trust(old, new, a)
        from coopgym.mechanisms import trust as tr
        baseline = self._baseline[self.phase_index(old)][:, None]
        s = np.tanh((a - baseline) * self._signal_gain)
        pairs = old.active[:, :, None] & old.active[:, None, :]
        new.T, new.R = tr.trust_update(old.T, old.R, s, self.D, self.trust_params, mask=pairs, rates=self._rates)

    def advance(self, old, new, a):
        super().advance(old, new, a)
        new.active = self._active(new)
        joined = new.active & ~old.active
        new.extra["loyalty"] = np.where(joined, self.loyalty0, new.extra["loyalty"])

    def shared_features(self, state):
        return super().shared_features(state) + [state.active.astype(np.float64)]


SPEC = EnvSpec(
    id="ApacheProject-v0", mechanism="TR-3", game=ApacheProject, n_agents=40, n_range=(2, 64), horizon=60,
    case="Apache HTTP Server (1995-2023)",
    summary="open-source community: phases emergence, growth, maturity, evolution change n, omega and loyalty cap",
    params=dict(endowment=50.0, beta=0.70, c=1.0, phi_B=0.75, phi_C=0.25),
    phases=PHASES, default_phase="maturity", schedule=SCHEDULE,
)
