"""FCP: fictitious co-play (Strouse et al. 2021, "Collaborating with Humans without Human Data", NeurIPS).

Stage 1, the partners: ``population`` self-play PPO agents (SelfPlay-PPO, different seeds),
each trained on its share of ``partner_share`` x the budget, and frozen snapshots of each at
its start, middle and end (the paper's initial, middle and final checkpoints: partners of
every skill). Stage 2, the best responder: one PPO agent (IPPO's networks and update, one
shared policy) learns to partner the frozen population on the rest of the budget. In game g it
plays seat g mod n; every other seat is played by a population snapshot drawn for that game at
each episode start, acting with its stochastic policy. Only the responder's own seat's reward
trains it. FCP's agent is one policy for any seat; after training it plays every seat.
"""
from __future__ import annotations

import numpy as np
import torch

from coopgym.baselines.learners.base import COMMON
from coopgym.baselines.learners.ippo import IPPO
from coopgym.baselines.learners.nets import GaussianPolicy, member_views
from coopgym.baselines.learners.selfplay import SelfPlayPPO

SNAPSHOTS = 3   # per partner: start, middle, end of its training


class FCP(IPPO):
    name = "fcp"
    reference = "Strouse et al. 2021, Collaborating with Humans without Human Data (arXiv:2110.08176)"
    PARTNERS = False
    DEFAULTS = {"num_envs": 128, "population": 3, "partner_share": 0.25}

    def __init__(self, seed: int = 0, share_parameters: bool = True, **hyperparameters):
        if not share_parameters:
            raise ValueError("fcp trains one agent that partners anyone in any seat: share_parameters=False "
                             "is not available")
        super().__init__(seed, True, **hyperparameters)
        population, share = self.hp["population"], self.hp["partner_share"]
        if isinstance(population, bool) or not isinstance(population, int) or population < 1:
            raise ValueError(f"fcp: population must be a positive integer, got {population!r}")
        if not 0.0 <= float(share) < 1.0:
            raise ValueError(f"fcp: partner_share must be in [0, 1), got {share!r}")

    def build(self) -> None:
        super().build()   # the responder: IPPO's actor and critic, shared by every seat
        d, h, K = self.meta["obs_dim"], self.hp["hidden"], SNAPSHOTS * self.hp["population"]
        self.population = GaussianPolicy(K, d, h, False, self.hp["init_log_std"])   # one member per snapshot
        self.population.register_buffer("filled", torch.zeros((), dtype=torch.long))
        self.population.requires_grad_(False)

    # -- stage 1: the partner population, on a share of this run's budget
    def train_population(self, env) -> None:
        per_partner = int(env.budget.total * float(self.hp["partner_share"])) // self.hp["population"]
        settings = {k: v for k, v in self.hp.items() if k in COMMON or k in IPPO.DEFAULTS}
        for k in range(self.hp["population"]):
            partner = SelfPlayPPO(seed=10_000 * (self.seed + 1) + k, **settings)
            for stage, steps in enumerate((0, per_partner // 2, per_partner - per_partner // 2)):
                seed = int(np.random.SeedSequence([self.seed, self.trains_done, k, stage]).generate_state(1)[0])
                partner_env = partner.start(env.env_id, env.env_options, env.budget.share(steps), seed)
                if steps:
                    partner.learn(partner_env)
                    partner_env.flush()
                self.snapshot(partner.actor)

    def snapshot(self, actor: GaussianPolicy) -> None:
        """Copy a shared actor (one member) into the next free member of the population."""
        slot = int(self.population.filled)
        with torch.no_grad():
            for mine, theirs in zip(member_views(self.population), member_views(actor)):
                mine[slot].copy_(theirs[0])
            self.population.filled += 1

    # -- stage 2: the best responder among the frozen population
    def learn(self, env) -> None:
        if int(self.population.filled) == 0:   # the first training run makes the population; later runs keep it
            self.train_population(env)
        n, N = env.n, env.num_envs
        self.seat = (torch.arange(N)[None, :] % n == torch.arange(n)[:, None]).float()   # (n, N): game g, seat g % n
        self.draw, self.games = torch.zeros(N, dtype=torch.long), env
        while not env.exhausted:
            with torch.no_grad():
                batch = env.collect(self.hp["rollout"], self.explore)
                last_value = self.value(env.obs, env.state)
            batch["mask"] = batch["mask"] * self.seat      # only the responder's seat trains it
            self.last_stats = self.update(batch, last_value)

    def explore(self, obs: torch.Tensor, state: torch.Tensor):
        raw, extras = super().explore(obs, state)              # the responder, in every seat
        n, N, d = obs.shape
        fresh = self.games.starting
        K = int(self.population.filled)
        self.draw = torch.where(fresh, torch.randint(K, (N,), generator=self.gen), self.draw)
        every = obs.reshape(1, n * N, d).expand(self.population.net.mlp.k, -1, -1)
        mean, log_std = self.population(every)                                 # every snapshot on every seat
        pick = self.draw[None, :].expand(n, N).reshape(1, n * N)
        mean = mean.gather(0, pick).reshape(n, N)
        partner = mean + log_std[self.draw][None, :, 0].exp() * torch.randn((n, N), generator=self.gen)
        return torch.where(self.seat.bool(), raw, partner), extras
