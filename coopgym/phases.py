"""Phases: the one place where an environment's phases become the rules of each step.

A spec may name phases (``spec.phases``: name -> overrides of its parameters, and
of "n_agents" and "horizon") and a historical schedule (``spec.schedule``: the
phases in order with their lengths in steps). ``phase=<name>`` plays one phase
for the whole episode; ``phase="historical"`` walks through the schedule in one
episode, each step under the rules of the phase it falls in. A single phase
that is part of the schedule starts the schedule's clock where the phase
stands in it (AppleAppStore's quarter 49 for "conflict"); stages read the clock
from the step constants (``k.clock``).

When the schedule changes the agent count (ApacheProject), the game holds the
largest count and marks who is in the game (``state.active``) at every step;
the schedule then also fixes the horizon and the agent count.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from coopgym.params import positive_int

HISTORICAL = "historical"
SCHEDULE_KEYS = ("n_agents", "horizon")   # phase overrides that are not parameters of the family


@dataclass(frozen=True)
class PhasePlan:
    """The phases an episode plays: ``names[i]`` while t < ``ends[i]`` (the last one to the end of the
    episode), with ``active[i]`` agents in the game and rules ``params[i]``; the schedule's clock
    stands at ``start`` at t = 0."""

    names: tuple[str | None, ...]
    ends: tuple[int, ...]
    active: tuple[int, ...]
    params: tuple[Any, ...]
    start: int = 0

    @cached_property
    def moves_agents(self) -> bool:
        """Whether agents join or leave during an episode."""
        return len(set(self.active)) > 1

    @cached_property
    def scheduled(self) -> bool:
        """Whether the rules change along an episode (more than one phase)."""
        return len(self.names) > 1

    def index(self, t: np.ndarray) -> np.ndarray:
        """The phase of step t (B,): the first phase with t < its end, the last one beyond."""
        return np.minimum(np.searchsorted(self.ends, t, side="right"), len(self.ends) - 1)


@dataclass(frozen=True)
class Layout:
    """What ``resolve`` decides before any parameter is read: the phase option, the agent count,
    the horizon, and each phase played with its parameter overrides, end step and agent count."""

    phase: str | None
    n: int
    horizon: int
    names: tuple[str | None, ...]
    overrides: tuple[dict, ...]
    ends: tuple[int, ...]
    active: tuple[int, ...]
    start: int


def resolve(spec, phase: str | None, n_agents: int | None, horizon: int | None) -> Layout:
    """The phases of ``spec`` played under the options phase, n_agents and horizon (validated)."""
    phase = _phase(spec, phase)
    if phase != HISTORICAL:
        over = dict(spec.phases[phase]) if phase is not None else {}
        n = _agents(spec, n_agents, over.pop("n_agents", spec.n_agents))
        length = positive_int("horizon", over.pop("horizon", spec.horizon) if horizon is None else horizon)
        return Layout(phase, n, length, (phase,), (over,), (length,), (n,), _offset(spec, phase))
    order = [name for name, _ in spec.schedule]
    counts = [spec.phases[name].get("n_agents") for name in order]
    length = int(sum(steps for _, steps in spec.schedule))
    if any(c is not None for c in counts):   # the schedule moves agents: it fixes the count and the horizon
        if n_agents is not None:
            raise ValueError(f"{spec.id}: phase='historical' sets the agent count of each phase; drop n_agents")
        if horizon is not None and horizon != length:
            raise ValueError(f"{spec.id}: phase='historical' runs {length} steps; drop horizon")
        active = [spec.n_agents if c is None else c for c in counts]
        n = _agents(spec, None, max(active))
    else:
        n = _agents(spec, n_agents, spec.n_agents)
        active = [n] * len(order)
        length = positive_int("horizon", length if horizon is None else horizon)
    overrides = tuple({k: v for k, v in spec.phases[name].items() if k not in SCHEDULE_KEYS} for name in order)
    ends = tuple(int(x) for x in np.cumsum([steps for _, steps in spec.schedule]))
    return Layout(phase, n, length, tuple(order), overrides, ends, tuple(active), 0)


def _phase(spec, phase):
    if not spec.phases:
        if phase is not None:
            raise ValueError(f"{spec.id} has no phases; phase={phase!r} is not allowed")
        return None
    if phase is None:
        return spec.default_phase
    allowed = list(spec.phases) + ([HISTORICAL] if spec.schedule else [])
    if phase not in allowed:
        raise ValueError(f"{spec.id}: unknown phase {phase!r}; choose one of {allowed}")
    return phase


def _agents(spec, n_agents, default) -> int:
    lo, hi = spec.allowed_n
    n = default if n_agents is None else n_agents
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n_agents must be an integer, got {n_agents!r}")
    if not lo <= n <= hi:
        allowed = f"{lo}" if lo == hi else f"{lo}..{hi}"
        raise ValueError(f"{spec.id}: n_agents={n} is impossible; allowed: {allowed}")
    return int(n)


def _offset(spec, phase) -> int:
    """Steps of the historical schedule before ``phase`` (0 outside a schedule)."""
    offset = 0
    for name, steps in spec.schedule or ():
        if name == phase:
            return offset
        offset += steps
    return 0
