"""The TR-4 family: TR-1 payoffs and TR-2 trust plus reciprocity with memory (SPEC section 4).

Each agent's own mechanism term is the reciprocity utility (TR-4 Eq 44-45),
added to the payoff, not multiplied into it (SPEC Decision):

    U_recip,i = lambda_R sum_j T_ij (1 + omega D_ij) rho_ij phi(s_j / sigma_j),
    rho_ij = rho0 D_ij ** eta,  phi(x) = tanh(kappa x),  s_j = a_j(t) - abar_j(t),

abar_j(t) the mean of j's actions over the last min(k, t - 1) steps (s = 0 on
the first step, when there is no memory). T is the trust after this step's
update, as for every reward of the step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopgym.mechanisms import reciprocity as rc
from coopgym.params import Family, nonnegative
from coopgym.stages import TRUST_UPDATE, TRUST_WEIGHTS, Stage
from coopgym.value_game import DEFAULTS as VALUE_DEFAULTS
from coopgym.value_game import VALUE_PAYOFF, ValueParams, value_fields


@dataclass(frozen=True)
class ReciprocityParams(ValueParams):
    """A TR-1/TR-2 game's rules plus reciprocity: sensitivity rho0 and exponent eta, response
    steepness kappa, memory length k, weight lambda_R and dependency amplification omega."""

    rho0: float
    eta: float
    kappa: float
    k: int
    lambda_R: float
    omega: float


DEFAULTS = {**VALUE_DEFAULTS, "rho0": 1.0, "eta": 1.0, "kappa": 1.0, "k": 5, "lambda_R": 1.0, "omega": 0.6}


def build(p: dict, n: int, trust_on=True, signal_scale=None) -> ReciprocityParams:
    k = p["k"]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"memory length k must be a positive integer, got {k!r}")
    return ReciprocityParams(**value_fields(p, n, trust_on, signal_scale),
                             rho0=nonnegative("rho0", p["rho0"]), eta=nonnegative("eta", p["eta"]),
                             kappa=nonnegative("kappa", p["kappa"]), k=int(k),
                             lambda_R=nonnegative("lambda_R", p["lambda_R"]), omega=nonnegative("omega", p["omega"]))


RECIPROCITY = Family("TR-4 reciprocity on TR-1/TR-2", ReciprocityParams, DEFAULTS, build)


def _reciprocity(game, k, old, new, a):
    """U_recip,i with the deviations from the pre-step memory (none before the first step)."""
    s = rc.deviation(a, rc.memory_mean(old.extra["memory"], old.t, fallback=a))
    T = new.T if game.trust_on else np.ones((old.batch, game.n, game.n))
    return rc.reciprocity_utility(s, T, game.D, k.rho0, k.eta, k.kappa, k.lambda_R, k.omega, game.sigma)


def _start_memory(game, state, options, previous):
    state.extra["memory"] = np.zeros((state.batch, game.params.k, game.n))


def _remember(game, k, old, new, a):
    """Push the step's actions into the k-step ring buffer."""
    new.extra["memory"], _ = rc.push_history(old.extra["memory"], old.t, a)


def _memory_feature(game, state):
    """abar / e: each agent's recent mean action (0 before the first step)."""
    return [rc.memory_mean(state.extra["memory"], state.t, fallback=0.0) / game.e]


RECIPROCITY_UTILITY = Stage("own", "TR-4 reciprocity utility", _reciprocity)
MEMORY = Stage("state", "memory", _remember, init=_start_memory, shared=_memory_feature)
RECIPROCITY_STAGES = (TRUST_UPDATE, VALUE_PAYOFF, RECIPROCITY_UTILITY, TRUST_WEIGHTS, MEMORY)
