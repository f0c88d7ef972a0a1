"""IPPO: independent PPO, one stable-baselines3 PPO per agent (de Witt et al. 2020, "Is Independent
Learning All You Need in the StarCraft Multi-Agent Challenge?"; PPO: Schulman et al. 2017).

Each agent i has its own SB3 PPO (actor and critic on o_i, its own optimiser), trained on
its own rewards from the reward layer, with the clipped surrogate, GAE(lambda) and SB3's
advantage normalisation; all agents collect their rollouts on the same batch of games in
lockstep. The action is a Gaussian over the fraction of the endowment, clipped to [0, 1].
"""
from __future__ import annotations

from stable_baselines3 import PPO

from coopgym.baselines import register
from coopgym.baselines.learners.independent import SB3Learner


class IPPO(SB3Learner):
    name = "ippo"
    reference = ("de Witt et al. 2020, Is Independent Learning All You Need in the StarCraft Multi-Agent "
                 "Challenge? (arXiv:2011.09533); PPO: Schulman et al. 2017 (arXiv:1707.06347)")
    ALGORITHM = PPO
    DEFAULTS = {
        "n_steps": 16, "batch_size": 512, "n_epochs": 4, "learning_rate": 3e-4, "gae_lambda": 0.95,
        "clip_range": 0.2, "ent_coef": 0.0, "vf_coef": 0.5, "max_grad_norm": 0.5,
        "policy_kwargs": {"log_std_init": -1.0},
    }
    SETTINGS = {"num_envs": 128}


register("ippo", IPPO, kind="learner", family="independent", reference=IPPO.reference, trains=True)
