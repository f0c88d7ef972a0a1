"""One registry of reference policies: learners, oracles, heuristics and constants.

Names are stable: ``constant/37``, ``heuristic/random``, ``heuristic/tit_for_tat``,
``oracle/equilibrium``, ``ippo``, ``probe/temporal/switch_at_0.9``, ... ``make_policy(name)`` builds one;
``policy_names()`` lists them. Oracles and learners register themselves from
their own packages (``coopgym.oracles``, ``coopgym.baselines.learners``).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from coopgym.baselines.heuristics import ConstantPolicy, RandomPolicy, TitForTat
from coopgym.baselines.probes import probes
from coopgym.policy import Policy


@dataclass(frozen=True)
class PolicyEntry:
    name: str
    factory: Callable[..., Policy]
    kind: str          # learner | oracle | heuristic | constant
    family: str
    reference: str
    trains: bool


REGISTRY: dict[str, PolicyEntry] = {}


def register(name: str, factory: Callable[..., Policy], *, kind: str, family: str, reference: str,
             trains: bool = False) -> None:
    if name in REGISTRY:
        raise ValueError(f"policy {name!r} is already registered")
    REGISTRY[name] = PolicyEntry(name, factory, kind, family, reference, trains)


for _level in range(101):
    register(f"constant/{_level}", (lambda level=_level: ConstantPolicy(level)), kind="constant",
             family="constant", reference=ConstantPolicy.reference)
register("heuristic/random", RandomPolicy, kind="heuristic", family="heuristic", reference=RandomPolicy.reference)
register("heuristic/tit_for_tat", TitForTat, kind="heuristic", family="heuristic", reference=TitForTat.reference)
for _name, _probe in probes().items():  # the behavioural audit's scripted profiles
    register(_name, (lambda probe=_probe: probe), kind="probe", family="audit", reference=_probe.reference)

# packages that add their policies to the registry when they are present
for _module in ("coopgym.oracles.policies", "coopgym.baselines.learners"):
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as err:
        if err.name != _module:
            raise


def policy_names(kind: str | None = None) -> list[str]:
    return [name for name, entry in REGISTRY.items() if kind is None or entry.kind == kind]


def make_policy(name: str | Policy, **kwargs) -> Policy:
    """The policy called ``name`` (a Policy instance passes through)."""
    if isinstance(name, Policy):
        return name
    if name not in REGISTRY:
        raise ValueError(f"unknown policy {name!r}; see `coopgym policies` (e.g. constant/50, heuristic/tit_for_tat, oracle/equilibrium)")
    return REGISTRY[name].factory(**kwargs)
