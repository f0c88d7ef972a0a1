"""coopgym: strategic-coopetition environments for multi-agent RL.

    import gymnasium, coopgym
    env = gymnasium.make("coopgym/SLCD-v0", reward="integrated")       # one focal learner
    venv = gymnasium.make_vec("coopgym/SLCD-v0", num_envs=4096)         # native batched VectorEnv
    par = coopgym.parallel_env("SLCD-v0")                               # PettingZoo Parallel
    aec = coopgym.aec_env("SLCD-v0")                                    # PettingZoo AEC
    multi = coopgym.vector_env("SLCD-v0", num_envs=1024)                # (N, n) actions -> (N, n) rewards

Importing coopgym registers every environment with Gymnasium.
"""
from __future__ import annotations

__version__ = "0.1.0"

import gymnasium

from coopgym.envs import REGISTRY, env_ids, get_spec, make_game


def _register() -> None:
    for spec in REGISTRY.values():
        if spec.gym_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=spec.gym_id,
            entry_point="coopgym.adapters.gym_env:CoopEnv",
            vector_entry_point="coopgym.adapters.vector:CoopVectorEnv",
            kwargs={"env_id": spec.id},
        )


_register()


def parallel_env(env_id: str, **options):
    """PettingZoo ParallelEnv of ``env_id`` (e.g. "SLCD-v0")."""
    from coopgym.adapters.pettingzoo_env import parallel_env as make

    return make(env_id, **options)


def aec_env(env_id: str, **options):
    """PettingZoo AECEnv of ``env_id``."""
    from coopgym.adapters.pettingzoo_env import aec_env as make

    return make(env_id, **options)


def vector_env(env_id: str, num_envs: int, **options):
    """Batched multi-agent env: actions (N, n) in, observations (N, n, d) and rewards (N, n) out."""
    from coopgym.adapters.vector import MultiAgentVectorEnv

    return MultiAgentVectorEnv(env_id, num_envs, **options)


__all__ = ["parallel_env", "aec_env", "vector_env", "make_game", "env_ids", "get_spec", "REGISTRY"]
