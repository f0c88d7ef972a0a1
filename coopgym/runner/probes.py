"""Behavioural-audit probes (SPEC section 9): scripted profiles that test whether defection pays.

Every probe controls all agents. The partners cooperate at ``COOPERATE`` (70 %
of their endowments) throughout; agent 0, the would-be defector, follows a
schedule of levels over the episode. ``probe/cooperate`` is the reference:
everyone at 70 %. Static probes hold a profile from the start (uniform levels,
or agent 0 cutting its level by half at a fraction of the horizon).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from coopgym.policy import Policy

COOPERATE = 0.70
UNIFORM_LEVELS = (0, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 95, 100)   # 14 uniform static probes
CUT_POINTS = (0.2, 0.4, 0.6, 0.8)                                          # 4 "agent 0 cuts 50 %" probes
SWITCH_POINTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
LAST_STEPS = (5, 3, 1)
EARLY = (0.1, 0.2, 0.3)
RAMP = 0.2

# level of agent 0 as a function of (t, horizon): the schedules of the temporal probes
Schedule = Callable[[np.ndarray, int], np.ndarray]


class Probe(Policy):
    """Agent 0 follows ``schedule``; every other agent plays ``partners`` (fractions of e)."""

    kind = "probe"
    family = "audit"
    reference = "Coopetition-Gym v1 behavioural audit (arXiv:2605.02063); SPEC section 9"
    objective = "scripted audit profile: agent 0 follows the probe's schedule of shares, the others a fixed share"

    def __init__(self, name: str, schedule: Schedule, partners: float = COOPERATE):
        self.name, self.schedule, self.partners = name, schedule, partners

    def act(self, game, state, agents):
        level = np.full((state.batch, game.n), self.partners)
        level[:, 0] = self.schedule(state.t, game.horizon)
        return (level * game.e)[:, agents]


def _constant(x: float) -> Schedule:
    return lambda t, H: np.full(t.shape, x)


def _switch_at(step: Callable[[int], int], before: float = COOPERATE, after: float = 0.0) -> Schedule:
    return lambda t, H: np.where(t >= step(H), after, before)


def probes() -> dict[str, Probe]:
    """Every probe by name: 18 static and 14 temporal, plus the all-cooperate reference."""
    out: dict[str, Probe] = {"probe/cooperate": Probe("probe/cooperate", _constant(COOPERATE))}
    for level in UNIFORM_LEVELS:
        name = f"probe/static/uniform_{level}"
        out[name] = Probe(name, _constant(level / 100), partners=level / 100)
    for f in CUT_POINTS:
        name = f"probe/static/cut50_at_{f:g}"
        out[name] = Probe(name, _switch_at(lambda H, f=f: int(round(f * H)), COOPERATE, COOPERATE / 2))
    out["probe/temporal/full_defection"] = Probe("probe/temporal/full_defection", _constant(0.0))
    for f in SWITCH_POINTS:
        name = f"probe/temporal/switch_at_{f:g}"
        out[name] = Probe(name, _switch_at(lambda H, f=f: int(round(f * H))))
    for k in LAST_STEPS:
        name = f"probe/temporal/switch_at_T-{k}"
        out[name] = Probe(name, _switch_at(lambda H, k=k: max(H - k, 0)))
    for f in EARLY:
        name = f"probe/temporal/early_{int(f * 100)}"
        out[name] = Probe(name, _switch_at(lambda H, f=f: int(round(f * H)), 0.0, COOPERATE))
    out["probe/temporal/ramp_down"] = Probe(
        "probe/temporal/ramp_down",
        lambda t, H: COOPERATE * np.clip((H - t) / max(RAMP * H, 1.0), 0.0, 1.0))
    return out


def temporal_probe_names() -> list[str]:
    return [name for name in probes() if name.startswith("probe/temporal/")]


def static_probe_names() -> list[str]:
    return [name for name in probes() if name.startswith("probe/static/")]
