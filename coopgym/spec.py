"""Environment specs: one frozen record per environment, the single source of truth.

The game classes read their defaults from a spec, ``coopgym envs`` and the
README's table are rendered from the same specs, and every keyword option of
every entry point is validated here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

MECHANISMS = {
    "TR-1": "interdependence & complementarity",
    "TR-2": "trust & reputation",
    "TR-3": "collective action & loyalty",
    "TR-4": "sequential interaction & reciprocity",
}

OBSERVATIONS = ("full", "asymmetric", "minimal")
ACTION_UNITS = ("endowment", "fraction")


@dataclass(frozen=True)
class EnvSpec:
    """What an environment is: its rules (``game``), its defaults and its limits.

    ``params`` are the game class's keyword parameters at the v0 defaults; a
    value may be a callable of the agent count n when it depends on n.
    ``phases`` maps a phase name to parameter overrides (including "n_agents").
    """

    id: str
    mechanism: str
    summary: str
    game: Callable[..., Any]
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

    @property
    def allowed_n(self) -> tuple[int, int]:
        return self.n_range or (self.n_agents, self.n_agents)

    @property
    def mechanism_name(self) -> str:
        return MECHANISMS[self.mechanism]

    @property
    def gym_id(self) -> str:
        return f"coopgym/{self.id}"
