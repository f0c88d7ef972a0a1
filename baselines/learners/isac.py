"""ISAC: independent soft actor-critic, one stable-baselines3 SAC per agent (Haarnoja et al. 2018,
"Soft Actor-Critic: Off-Policy Maximum Entropy Deep Reinforcement Learning with a Stochastic Actor").

Each agent i has its own SB3 SAC (squashed Gaussian actor, twin critics on (o_i, a_i), its own
replay buffer of its own transitions and rewards, automatic entropy tuning); all agents act in
lockstep on the same batch of games and each takes ``gradient_steps`` updates per step of the
games. Other agents are part of agent i's (non-stationary) environment.
"""
from __future__ import annotations

from stable_baselines3 import SAC

from coopgym.baselines import register
from coopgym.baselines.learners.independent import SB3Learner


class ISAC(SB3Learner):
    name = "isac"
    reference = ("Haarnoja et al. 2018, Soft Actor-Critic: Off-Policy Maximum Entropy Deep RL with a "
                 "Stochastic Actor (arXiv:1801.01290)")
    ALGORITHM = SAC
    DEFAULTS = {
        "learning_rate": 3e-4, "buffer_size": 200_000, "learning_starts": 1_000, "batch_size": 256,
        "tau": 0.005, "gradient_steps": 1, "ent_coef": "auto_0.1", "policy_kwargs": {},
    }
    SETTINGS = {"num_envs": 16, "buffer_memory_mb": 1024}   # all agents' replay buffers together

    def build(self, venv, seed: int):
        """SAC on ``venv``, its replay buffer shrunk so that every agent's buffer fits ``buffer_memory_mb``."""
        d, models = venv.observation_space.shape[0], len(self.units(self.meta["n"]))
        row = 4 * (2 * d + 4)   # float32 obs, next obs, action, reward, done, timeout
        fit = int(self.hp["buffer_memory_mb"] * 2 ** 20 / models / row)
        size = max(int(self.hp["batch_size"]) * venv.num_envs, min(int(self.hp["buffer_size"]), fit))
        return SAC("MlpPolicy", venv, seed=seed, **dict(self.sb3_kwargs(), buffer_size=size))


register("isac", ISAC, kind="learner", family="independent", reference=ISAC.reference, trains=True)
