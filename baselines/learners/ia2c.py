"""IA2C: independent advantage actor-critic, one stable-baselines3 A2C per agent (Mnih et al. 2016,
"Asynchronous Methods for Deep Reinforcement Learning", synchronous form; independent use as in
Papoudakis et al. 2021, "Benchmarking Multi-Agent Deep Reinforcement Learning Algorithms").

Each agent i has its own SB3 A2C (actor and critic on o_i, its own RMSprop optimiser), updated
once per short rollout from its own rewards' n-step advantages; all agents collect in lockstep
on the same batch of games.
"""
from __future__ import annotations

from stable_baselines3 import A2C

from coopgym.baselines import register
from coopgym.baselines.learners.independent import SB3Learner


class IA2C(SB3Learner):
    name = "ia2c"
    reference = ("Mnih et al. 2016, Asynchronous Methods for Deep Reinforcement Learning (arXiv:1602.01783); "
                 "independent: Papoudakis et al. 2021 (arXiv:2006.07869)")
    ALGORITHM = A2C
    DEFAULTS = {
        "n_steps": 8, "learning_rate": 7e-4, "gae_lambda": 1.0, "ent_coef": 0.0, "vf_coef": 0.5,
        "max_grad_norm": 0.5, "normalize_advantage": False, "policy_kwargs": {"log_std_init": -1.0},
    }
    SETTINGS = {"num_envs": 64}


register("ia2c", IA2C, kind="learner", family="independent", reference=IA2C.reference, trains=True)
