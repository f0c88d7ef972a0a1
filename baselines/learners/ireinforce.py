"""IREINFORCE: independent REINFORCE with a learned baseline, one per agent (Williams 1992, "Simple
Statistical Gradient-Following Algorithms for Connectionist Reinforcement Learning").

Each agent i follows grad log pi_i(a_i | o_i) (G_t^i - b_i(o_i)), with G_t^i agent i's own
Monte-Carlo return (no bootstrapping: every rollout plays whole episodes of all games from
their start) and b_i a learned value baseline. Built on stable-baselines3's A2C machinery
(one gradient step per batch of episodes, lambda = 1, zero bootstrap); steps after a
game's end within the rollout carry no gradient.
"""
from __future__ import annotations

from stable_baselines3 import A2C

from coopgym.baselines import register
from coopgym.baselines.learners.independent import SB3Learner


class IREINFORCE(SB3Learner):
    name = "ireinforce"
    reference = ("Williams 1992, Simple Statistical Gradient-Following Algorithms for Connectionist "
                 "Reinforcement Learning, Machine Learning 8")
    ALGORITHM = A2C
    DEFAULTS = {
        "learning_rate": 1e-3, "ent_coef": 0.0, "vf_coef": 0.5, "max_grad_norm": 0.5,
        "normalize_advantage": True, "policy_kwargs": {"log_std_init": -1.0},
    }
    SETTINGS = {"num_envs": 64, "bootstrap_truncation": False}
    EPISODIC = True

    def __init__(self, seed: int = 0, share_parameters: bool = False, **hyperparameters):
        if hyperparameters.get("bootstrap_truncation"):
            raise ValueError("ireinforce uses Monte-Carlo returns: bootstrap_truncation must be False")
        super().__init__(seed, share_parameters, **hyperparameters)

    def _check_meta(self, env_id, games, env_options) -> None:
        if self.models and self.models[0].n_steps != games.game.horizon:
            raise ValueError(f"ireinforce was built for episodes of {self.models[0].n_steps} steps; "
                             f"{env_id} here runs {games.game.horizon}")
        super()._check_meta(env_id, games, env_options)

    def sb3_kwargs(self):
        # one rollout = one whole episode of every game: n_steps is the horizon
        return dict(super().sb3_kwargs(), n_steps=int(self.meta["horizon"]), gae_lambda=1.0)


register("ireinforce", IREINFORCE, kind="learner", family="independent", reference=IREINFORCE.reference,
         trains=True)
