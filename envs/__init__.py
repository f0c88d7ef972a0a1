"""The 20 coopgym environments: one module each, a ``SPEC`` plus the stages of its special rules.

``REGISTRY`` maps an id ("SLCD-v0") to its :class:`coopgym.spec.EnvSpec`;
``make_game(id, **options)`` builds the batched game every interface drives.
"""
from __future__ import annotations

import importlib

from coopgym.layout import require_same_tree

require_same_tree(__file__, "coopgym.envs")

from coopgym.game import Game  # noqa: E402  (after the check: never run another checkout's core)
from coopgym.spec import EnvSpec  # noqa: E402

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
    _spec = importlib.import_module(f"{__name__}.{_name}").SPEC
    REGISTRY[_spec.id] = _spec


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
#: options the interfaces take on top of the game's (README, "Using it")
INTERFACE_OPTIONS = {"gymnasium.make and make_vec": ("focal", "coplayers", "joint", "action_units", "render_mode"),
                     "PettingZoo": ("action_units", "render_mode"), "coopgym.vector_env": ("action_units",)}


def make_game(env_id: str, **options) -> Game:
    """The batched game of ``env_id`` with validated keyword options."""
    unknown = sorted(set(options) - set(GAME_OPTIONS))
    if unknown:
        where = "; ".join(f"{k}: {', '.join(v)}" for k, v in INTERFACE_OPTIONS.items())
        raise TypeError(f"unknown option(s) {unknown} for {env_id}; environment options: {', '.join(GAME_OPTIONS)} "
                        f"(and the interfaces' own: {where})")
    return Game(get_spec(env_id), **options)
