"""The TR-3 game: team production with loyalty, on the batched core (SPEC section 3).

Payoff pi_i = Q / m - c a_i with Q = omega (sum of the members' efforts) ** beta
split among the m members; the agent's own mechanism term is the loyalty
modifier L_i = theta_i (phi_B mean_{j != i} pi_j + phi_C c a_i), so the private
reward is the TR-3 utility U_i = pi_i + L_i (SPEC Decision: TR-3 environments
pay the TR-3 utility). Loyalty theta starts at .5 and moves with each agent's
cooperation rate a_i / e_i (reference-platform dynamics, capped).

Decisions where SPEC is silent:
- Interdependence for the integrated reward: every member depends on the team
  as a whole with weight ``D_team`` (default .5), spread evenly over its
  teammates, D_ij = D_team / (n - 1); cohesion uses D_Ti = D_team.
- The trust signal's baseline b is the free-riding Nash effort a* of the
  configuration (effort above what self-interest alone gives reads as
  cooperation); environments with a documented expected effort use that.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from coopgym.game import CoopetitionGame, agent_vector, positive, trust_with_start, unit_interval
from coopgym.mechanisms import collective as tc
from coopgym.mechanisms.trust import TrustParams

TR3_TRUST = TrustParams.of(0.10, 0.25, 0.40, 0.02, 0.50, 1.0, 0.50)


class TeamGame(CoopetitionGame):
    PARAMS: ClassVar[dict] = {
        "endowment": 50.0, "omega": 25.0, "beta": 0.7, "c": 1.0, "phi_B": 0.0, "phi_C": 0.0,
        "loyalty_cap": 1.0, "loyalty0": tc.LOYALTY_START, "D_team": 0.5, "baseline": None,
        "trust": TR3_TRUST, "T0": None, "R0": None,
    }

    def configure(self, p):
        n = self.n
        self.e = agent_vector("endowment", p["endowment"], n, positive=True)
        self.omega, self.team_beta, self.c = positive("omega", p["omega"]), float(p["beta"]), positive("c", p["c"])
        if not 0.0 < self.team_beta <= 1.0:
            raise ValueError(f"beta must be in (0, 1], got {p['beta']!r}")
        self.phi_B, self.phi_C = unit_interval("phi_B", p["phi_B"]), unit_interval("phi_C", p["phi_C"])
        self.loyalty_cap = unit_interval("loyalty_cap", p["loyalty_cap"])
        self.loyalty0 = unit_interval("loyalty0", p["loyalty0"])
        self.D_team = unit_interval("D_team", p["D_team"])
        self.D = np.full((n, n), self.D_team / max(n - 1, 1))
        np.fill_diagonal(self.D, 0.0)
        self.alpha = np.full(n, 1.0 / n)
        self.a_star = float(tc.free_riding_effort(self.omega, self.team_beta, self.c, n, self.e.min()))
        self.baseline = agent_vector("baseline", self.a_star if p["baseline"] is None else p["baseline"], n)
        self.trust_params = trust_with_start(p["trust"], p["T0"], p["R0"])
        # TR-1 fields the base class and the oracles read; the TR-3 payoff does not use them
        self.value_spec, self.theta, self.beta, self.gamma = "team", 0.0, self.team_beta, 0.0

    def init_extra(self, state, options, previous):
        state.extra["loyalty"] = np.full((state.batch, self.n), self.loyalty0)

    def members(self, state) -> np.ndarray | None:
        """Who shares the team output this step (None: everyone)."""
        return None

    def team_parameters(self, state):
        """(omega, loyalty cap) for every game in the batch; phases override."""
        return self.omega, self.loyalty_cap

    def payoff(self, old, new, a):
        omega, _ = self.team_parameters(old)
        members = self.members(old)
        pi = tc.base_payoff(a, omega, self.team_beta, self.c, members)
        own = tc.loyalty_modifier(a, old.extra["loyalty"], omega, self.team_beta, self.c, self.phi_B, self.phi_C,
                                  members)
        return pi, own

    def advance(self, old, new, a):
        _, cap = self.team_parameters(old)
        new.extra["loyalty"] = tc.loyalty_update(old.extra["loyalty"], a, self.e, cap)

    def cohesion(self, state) -> np.ndarray:
        return tc.cohesion(state.extra["loyalty"], np.full(self.n, self.D_team), self.members(state))

    def shared_features(self, state):
        return [state.extra["loyalty"]]
