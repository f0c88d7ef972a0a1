"""IREINFORCE: independent REINFORCE with a learned baseline, one per agent (Williams 1992, "Simple
Statistical Gradient-Following Algorithms for Connectionist Reinforcement Learning").

IA2C's networks, acting and gradient step (see :mod:`ia2c`); each batch is one whole episode of every game,
started together, and each agent follows its own Monte-Carlo return (no bootstrapping):

    G_i(t) = sum_{t' >= t} gamma^(t' - t) r_i(t'),   A_i = G_i - b_i(o_i)   (normalised per agent)
    L_i = -log pi_i(a_t | o_i) A_i + c_v (b_i(o_i) - G_i)^2

Steps after a game's end within the batch (a game that ended early starts again) carry no
gradient.
"""
from __future__ import annotations

import torch

from coopgym.baselines.learners.ia2c import IA2C
from coopgym.baselines.learners.nets import lambda_returns, normalise_per_agent, per_agent


def first_episode(done: torch.Tensor) -> torch.Tensor:
    """(T, N) 1 until and including each game's first end, 0 after."""
    return (torch.cumsum(done, 0) - done == 0).float()


class IREINFORCE(IA2C):
    name = "ireinforce"
    reference = ("Williams 1992, Simple Statistical Gradient-Following Algorithms for Connectionist "
                 "Reinforcement Learning, Machine Learning 8")
    DEFAULTS = {"lr": 5e-3, "num_envs": 32}
    NOT_USED = ("rollout", "gae_lambda")   # a batch is an episode; Monte-Carlo returns

    def learn(self, env) -> None:
        while not env.exhausted:
            self.last_stats = self.update(env.episode(self.explore))

    def explore(self, obs, state):
        return self.actor.explore(obs, self.gen)   # the baseline is evaluated on the whole batch, in update

    def update(self, b: dict[str, torch.Tensor]) -> dict[str, float]:
        # reward-to-go within each episode: TD(1) targets with nothing to bootstrap from
        returns = lambda_returns(b["rewards"], b["done"], torch.zeros_like(b["rewards"]), self.hp["gamma"], 1.0)
        mask = b["mask"] * first_episode(b["done"])[:, None]
        obs, raw, mask, returns = map(per_agent, (b["obs"], b["raw"], mask, returns))
        with torch.no_grad():
            adv = normalise_per_agent(returns - self.value(obs, None), mask)
        return self.gradient_step(obs, raw, None, adv, returns, mask)
