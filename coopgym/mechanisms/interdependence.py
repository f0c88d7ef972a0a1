"""The i* dependency model that compiles to the interdependence matrix D (TR-1 Eq 1).

An actor *depends on* another for a dependum (a goal, task or resource) of a
given importance; the criticality of that dependency says how replaceable the
provider is. Then

    D_ij = sum_d w_d * dep(i, j, d) * crit(i, j, d) / sum_d w_d,

the sums running over the dependums d that actor i needs (from anyone).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SOLE_PROVIDER = 1.0
FULLY_SUBSTITUTABLE = 0.2  # the middle of the reports' 0.1 - 0.3 band


def alternatives(k: int) -> float:
    """Criticality of a provider that is one of k equal alternatives: 1/k."""
    if k < 1:
        raise ValueError(f"number of alternatives must be >= 1, got {k}")
    return 1.0 / k


@dataclass(frozen=True)
class Dependum:
    """Something ``depender`` needs, with importance ``importance`` (w_d > 0)."""

    name: str
    depender: str
    importance: float = 1.0
    providers: dict[str, float] = field(default_factory=dict)  # dependee -> criticality in [0, 1]


@dataclass
class DependencyModel:
    """Actors and dependums; ``matrix()`` compiles them to D."""

    actors: list[str]
    dependums: list[Dependum] = field(default_factory=list)

    def need(self, depender: str, name: str, importance: float = 1.0, **providers: float) -> "DependencyModel":
        """Record that ``depender`` needs ``name`` from ``providers`` (dependee=criticality)."""
        self.dependums.append(Dependum(name, depender, importance, dict(providers)))
        return self

    def matrix(self) -> np.ndarray:
        index = {a: k for k, a in enumerate(self.actors)}
        n = len(self.actors)
        weighted = np.zeros((n, n))
        total = np.zeros(n)
        for d in self.dependums:
            if d.depender not in index:
                raise ValueError(f"dependum {d.name!r}: unknown depender {d.depender!r}; actors are {self.actors}")
            if not d.importance > 0:
                raise ValueError(f"dependum {d.name!r}: importance must be > 0, got {d.importance}")
            i = index[d.depender]
            total[i] += d.importance
            for dependee, crit in d.providers.items():
                if dependee not in index:
                    raise ValueError(f"dependum {d.name!r}: unknown dependee {dependee!r}; actors are {self.actors}")
                if dependee == d.depender:
                    raise ValueError(f"dependum {d.name!r}: an actor cannot depend on itself")
                if not 0.0 <= crit <= 1.0:
                    raise ValueError(f"dependum {d.name!r}: criticality must be in [0, 1], got {crit}")
                weighted[i, index[dependee]] += d.importance * crit
        with np.errstate(invalid="ignore", divide="ignore"):
            D = np.where(total[:, None] > 0, weighted / total[:, None], 0.0)
        np.fill_diagonal(D, 0.0)
        return D


def power_index(D: np.ndarray) -> np.ndarray:
    """Power_i = sum_j D_ji / (1 + sum_j D_ij): how much others depend on i."""
    return D.sum(axis=-2) / (1.0 + D.sum(axis=-1))


def vulnerability_index(D: np.ndarray) -> np.ndarray:
    """Vulnerability_i = sum_j D_ij / (1 + sum_j D_ji): how much i depends on others."""
    return D.sum(axis=-1) / (1.0 + D.sum(axis=-2))


def uniform_matrix(n: int, d: float) -> np.ndarray:
    """D with every off-diagonal entry equal to d."""
    D = np.full((n, n), float(d))
    np.fill_diagonal(D, 0.0)
    return D
