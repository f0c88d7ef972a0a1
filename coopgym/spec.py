"""Environment specs: one frozen record per environment, the single source of truth.

A spec says what an environment is: its game family (whose params record holds
the numbers), the parameter values, the stages (its rules, in the order the step
runs them, ``coopgym.stages``) and the phases. ``coopgym envs`` and the README's
table are rendered from the same specs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from coopgym.params import Family
from coopgym.stages import Stage, check_stages

MECHANISMS = {
    "TR-1": "interdependence & complementarity",
    "TR-2": "trust & reputation",
    "TR-3": "collective action & loyalty",
    "TR-4": "sequential interaction & reciprocity",
}

OBSERVATIONS = ("full", "asymmetric", "minimal")


@dataclass(frozen=True)
class EnvSpec:
    """What an environment is: its family and rules (``stages``), its defaults and its limits.

    ``params`` are the family's keyword parameters at the v0 defaults; a value
    may be a callable of the agent count n when it depends on n. ``phases`` maps
    a phase name to parameter overrides (and "n_agents", "horizon");
    ``schedule`` lists the phases of ``phase="historical"`` with their lengths
    (``coopgym.phases``).
    """

    id: str
    mechanism: str
    summary: str
    family: Family
    stages: tuple[Stage, ...]
    n_agents: int
    horizon: int
    params: Mapping[str, Any] = field(default_factory=dict)
    n_range: tuple[int, int] | None = None
    case: str | None = None
    agent_names: tuple[str, ...] | None = None
    phases: Mapping[str, Mapping[str, Any]] | None = None
    default_phase: str | None = None
    schedule: tuple[tuple[str, int], ...] | None = None  # phase="historical": (phase, steps) in order
    terminates: str = "at the horizon"

    def __post_init__(self):
        if self.mechanism not in MECHANISMS:
            raise ValueError(f"{self.id}: unknown mechanism class {self.mechanism!r}")
        check_stages(self.id, self.stages)

    @property
    def allowed_n(self) -> tuple[int, int]:
        return self.n_range or (self.n_agents, self.n_agents)

    @property
    def variable_agents(self) -> bool:
        """Whether agents join and leave during an episode: a historical schedule changes the agent count."""
        return bool(self.schedule) and any("n_agents" in over for over in self.phases.values())

    @property
    def mechanism_name(self) -> str:
        return MECHANISMS[self.mechanism]

    @property
    def gym_id(self) -> str:
        return f"coopgym/{self.id}"
