"""The 20 coopgym environments: one module each, a ``SPEC`` plus its special rules.

``REGISTRY`` maps an id ("SLCD-v0") to its :class:`coopgym.spec.EnvSpec`;
``make_game(id, **options)`` builds the batched game every interface drives.
"""
from __future__ import annotations

import importlib

from coopgym.spec import EnvSpec

_MODULES = (
    # TR-1 / TR-2: interdependence & complementarity, trust & reputation
    "trust_dilemma", "partner_hold_up", "platform_ecosystem", "dynamic_partner_selection", "recovery_race",
    "synergy_search", "slcd", "renault_nissan", "cooperative_negotiation", "reputation_market",
    # TR-3: collective action & loyalty
    "team_production", "loyalty_team", "coalition_formation", "apache_project", "public_goods",
    # TR-4: sequential interaction & reciprocity
    "reciprocal_dilemma", "gift_exchange", "indirect_reciprocity", "graduated_sanction", "apple_app_store",
)

REGISTRY: dict[str, EnvSpec] = {}
for _name in _MODULES:
    try:
        _module = importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as err:  # environments still being written land module by module
        if err.name != f"{__name__}.{_name}":
            raise
        continue
    REGISTRY[_module.SPEC.id] = _module.SPEC


def env_ids() -> list[str]:
    return list(REGISTRY)


def get_spec(env_id: str) -> EnvSpec:
    """The spec of ``env_id``; accepts "SLCD-v0" and "coopgym/SLCD-v0"."""
    key = env_id.removeprefix("coopgym/")
    if key not in REGISTRY:
        raise ValueError(f"unknown environment {env_id!r}; choose one of {env_ids()}")
    return REGISTRY[key]


GAME_OPTIONS = ("n_agents", "horizon", "phase", "trust", "signal_scale", "reward", "mutuality",
                "observation", "params", "reward_scale", "normalize_reward")


def make_game(env_id: str, **options):
    """The batched game of ``env_id`` with validated keyword options."""
    unknown = sorted(set(options) - set(GAME_OPTIONS))
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for {env_id}; allowed: {list(GAME_OPTIONS)}")
    spec = get_spec(env_id)
    return spec.game(spec, **options)
