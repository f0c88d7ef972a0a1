"""The TR-1/TR-2 family: value creation with trust (SPEC sections 1, 2).

    pi_i = e_i - a_i + f(a_i) + alpha_i gamma g(a),   f(a) = theta ln(1 + a) (log) or a^beta (power),
    g(a) = (prod_i a_i)^(1/n);   W = D min(T, 1 - R) with trust, D without.

``VALUE_STAGES`` is the plain game (trust update, payoff, weights); environments
add their own rules as further stages (``coopgym.stages``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopgym.mechanisms import trust as tr
from coopgym.mechanisms import value as tv
from coopgym.params import Family, agent_matrix, agent_vector, matrix, nonnegative, trust_fields, vector
from coopgym.stages import TRUST_UPDATE, TRUST_WEIGHTS, Stage


@dataclass(frozen=True)
class ValueParams:
    """The rules of a TR-1/TR-2 game: endowments e, interdependence D, the value function
    (``value`` "log" with theta or "power" with beta), complementarity gamma, surplus shares
    alpha (summing to 1), the trust baselines b and signal scales sigma, the TR-2 parameters."""

    e: tuple[float, ...]
    D: tuple[tuple[float, ...], ...]
    value: str
    theta: float
    beta: float
    gamma: float
    alpha: tuple[float, ...]
    baseline: tuple[float, ...]
    sigma: tuple[float, ...]
    trust: tr.TrustParams | None
    trust_on: bool

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-agent arrays the step reads: e, D, alpha, baseline, sigma."""
        return {"e": np.array(self.e), "D": np.array(self.D), "alpha": np.array(self.alpha),
                "baseline": np.array(self.baseline), "sigma": np.array(self.sigma)}


DEFAULTS = {
    "endowment": 100.0, "D": 0.0, "value": "log", "theta": 20.0, "beta": 0.75, "gamma": 0.65,
    "alpha": None, "baseline": None, "baseline_fraction": None, "trust": tr.TrustParams(), "T0": None, "R0": None,
}


def value_fields(p: dict, n: int, trust_on, signal_scale) -> dict:
    """The fields of ``ValueParams`` from resolved keyword values (validated)."""
    e = agent_vector("endowment", p["endowment"], n, positive=True)
    if p["value"] not in ("log", "power"):
        raise ValueError(f"value spec must be 'log' or 'power', got {p['value']!r}")
    beta, gamma = float(p["beta"]), float(p["gamma"])
    if not 0.0 < beta <= 1.0:
        raise ValueError(f"beta must be in (0, 1], got {p['beta']!r}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {p['gamma']!r}")
    alpha = tv.normalise_shares(np.full(n, 1.0 / n) if p["alpha"] is None else agent_vector("alpha", p["alpha"], n))
    if p["baseline"] is not None:
        baseline = agent_vector("baseline", p["baseline"], n)
    else:
        baseline = (0.35 if p["baseline_fraction"] is None else float(p["baseline_fraction"])) * e
    return dict(e=vector(e), D=matrix(agent_matrix("D", p["D"], n)), value=p["value"],
                theta=nonnegative("theta", p["theta"]), beta=beta, gamma=gamma, alpha=vector(alpha),
                baseline=vector(baseline), **trust_fields(p, e, trust_on, signal_scale))


def build(p: dict, n: int, trust_on=True, signal_scale=None) -> ValueParams:
    return ValueParams(**value_fields(p, n, trust_on, signal_scale))


VALUE = Family("TR-1/TR-2 value creation with trust", ValueParams, DEFAULTS, build)


def value(k, a: np.ndarray) -> np.ndarray:
    """f(a): theta ln(1 + a) (log spec) or a^beta (power spec), the individual value."""
    return tv.log_value(a, k.theta) if k.value == "log" else tv.power_value(a, k.beta)


def payoff_at(k, a: np.ndarray, gamma) -> np.ndarray:
    """pi_i = e_i - a_i + f(a_i) + alpha_i gamma g(a) (TR-1) with complementarity ``gamma``."""
    return tv.private_payoff(a, k.e, value(k, a), tv.synergy(a), k.alpha, gamma)


def _value_payoff(game, k, old, new, a):
    return tv.private_payoff(a, k.e, value(k, a), tv.synergy(a), k.alpha, k.gamma)   # payoff_at, one call fewer


VALUE_PAYOFF = Stage("payoff", "TR-1 value creation", _value_payoff)
VALUE_STAGES = (TRUST_UPDATE, VALUE_PAYOFF, TRUST_WEIGHTS)
