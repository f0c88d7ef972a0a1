"""The TR-3 family: team production with loyalty (SPEC section 3).

Payoff pi_i = Q / m - c a_i with Q = omega (sum of the members' efforts) ** beta
split among the m members; the agent's own mechanism term is the loyalty
modifier L_i = theta_i (phi_B mean_{j != i} pi_j + phi_C c a_i), so the private
reward is the TR-3 utility U_i = pi_i + L_i (SPEC Decision: TR-3 environments
pay the TR-3 utility). Loyalty theta starts at ``loyalty0`` (.5) and moves with
each agent's cooperation rate a_i / e_i (reference-platform dynamics, capped).

Decisions where SPEC is silent:
- Interdependence for the integrated reward: every member depends on the team
  as a whole with weight ``D_team`` (default .5), spread evenly over its
  teammates, D_ij = D_team / (n - 1).
- The trust signal's baseline b is the free-riding Nash effort a* of the
  configuration (effort above what self-interest alone gives reads as
  cooperation); environments with a documented expected effort use that.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopgym.mechanisms import collective as tc
from coopgym.mechanisms.trust import TrustParams
from coopgym.params import Family, agent_vector, positive, trust_fields, unit_interval, vector
from coopgym.stages import TRUST_UPDATE, TRUST_WEIGHTS, Stage

TR3_TRUST = TrustParams.of(0.10, 0.25, 0.40, 0.02, 0.50, 1.0, 0.50)


@dataclass(frozen=True)
class TeamParams:
    """The rules of a TR-3 game: endowments e (the effort bound), team production omega and
    beta, effort cost c, loyalty benefit phi_B and cost tolerance phi_C, the loyalty cap and start,
    the team dependency D_team, the trust baselines b and signal scales sigma, TR-2 parameters."""

    e: tuple[float, ...]
    omega: float
    beta: float
    c: float
    phi_B: float
    phi_C: float
    loyalty_cap: float
    loyalty0: float
    D_team: float
    baseline: tuple[float, ...]
    sigma: tuple[float, ...]
    trust: TrustParams | None
    trust_on: bool

    def arrays(self) -> dict[str, np.ndarray]:
        """e, baseline, sigma and D_ij = D_team / (n - 1) off the diagonal."""
        n = len(self.e)
        D = np.full((n, n), self.D_team / max(n - 1, 1))
        np.fill_diagonal(D, 0.0)
        return {"e": np.array(self.e), "D": D, "baseline": np.array(self.baseline), "sigma": np.array(self.sigma)}


DEFAULTS = {
    "endowment": 50.0, "omega": 25.0, "beta": 0.7, "c": 1.0, "phi_B": 0.0, "phi_C": 0.0,
    "loyalty_cap": 1.0, "loyalty0": tc.LOYALTY_START, "D_team": 0.5, "baseline": None,
    "trust": TR3_TRUST, "T0": None, "R0": None,
}


def build(p: dict, n: int, trust_on=True, signal_scale=None) -> TeamParams:
    e = agent_vector("endowment", p["endowment"], n, positive=True)
    omega, beta, c = positive("omega", p["omega"]), float(p["beta"]), positive("c", p["c"])
    if not 0.0 < beta <= 1.0:
        raise ValueError(f"beta must be in (0, 1], got {p['beta']!r}")
    a_star = float(tc.free_riding_effort(omega, beta, c, n, e.min()))
    baseline = agent_vector("baseline", a_star if p["baseline"] is None else p["baseline"], n)
    return TeamParams(e=vector(e), omega=omega, beta=beta, c=c, phi_B=unit_interval("phi_B", p["phi_B"]),
                      phi_C=unit_interval("phi_C", p["phi_C"]),
                      loyalty_cap=unit_interval("loyalty_cap", p["loyalty_cap"]),
                      loyalty0=unit_interval("loyalty0", p["loyalty0"]), D_team=unit_interval("D_team", p["D_team"]),
                      baseline=vector(baseline), **trust_fields(p, e, trust_on, signal_scale))


TEAM = Family("TR-3 team production with loyalty", TeamParams, DEFAULTS, build,
              phased=("omega", "loyalty_cap", "baseline"))


def _team_payoff(game, k, old, new, a):
    """pi_i = Q / m - c a_i for the members (Q of their efforts), -c a_i for the others."""
    return tc.base_payoff(a, k.omega, k.beta, k.c, game.members(old))


def _loyalty_modifier(game, k, old, new, a):
    """L_i = theta_i (phi_B mean_{j != i} pi_j + phi_C c a_i) at the pre-step loyalty."""
    return tc.loyalty_modifier(a, old.extra["loyalty"], k.omega, k.beta, k.c, k.phi_B, k.phi_C, game.members(old))


def _start_loyalty(game, state, options, previous):
    state.extra["loyalty"] = np.full((state.batch, game.n), game.params.loyalty0)


def _update_loyalty(game, k, old, new, a):
    """theta += .02 r if r >= .5 else theta -= .05 (.5 - r), r = a_i / e_i, clipped to [0, cap];
    an agent who joins the game (a phase schedule) starts again from loyalty0."""
    loyalty = tc.loyalty_update(old.extra["loyalty"], a, game.e, k.loyalty_cap)
    if game.plan.moves_agents:
        loyalty = np.where(new.active & ~old.active, k.loyalty0, loyalty)
    new.extra["loyalty"] = loyalty


def _loyalty_feature(game, state):
    return [state.extra["loyalty"]]


TEAM_PAYOFF = Stage("payoff", "TR-3 team production", _team_payoff)
LOYALTY_MODIFIER = Stage("own", "TR-3 loyalty modifier", _loyalty_modifier)
LOYALTY = Stage("state", "loyalty", _update_loyalty, init=_start_loyalty, shared=_loyalty_feature)
TEAM_STAGES = (TRUST_UPDATE, TEAM_PAYOFF, LOYALTY_MODIFIER, TRUST_WEIGHTS, LOYALTY)
