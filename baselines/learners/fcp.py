"""FCP: fictitious co-play (Strouse et al. 2021, "Collaborating with Humans without Human Data", NeurIPS).

Stage 1, the partners: ``population`` self-play PPO agents (SelfPlay-PPO, different seeds),
each trained for its share of ``partner_share`` x the budget, and frozen snapshots of each at
its start, middle and end (the paper's initial, middle and final checkpoints: partners of
every skill). Stage 2, the best responder: one PPO agent learns to partner the frozen
population. In game g it plays seat g mod n; every other seat is played by a population
member drawn for that game at each episode start, acting with its stochastic policy. Only
the responder's own seat's reward trains it. FCP's agent is one policy for any seat
(parameter sharing is inherent); after training it plays every seat of a game.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.policies import ActorCriticPolicy

from coopgym.baselines import register
from coopgym.baselines.learners.independent import COMMON, SB3Learner, check_steps
from coopgym.baselines.learners.ippo import IPPO
from coopgym.baselines.learners.sb3_vec import JointGames, SeatView
from coopgym.baselines.learners.selfplay import SelfPlayPPO


def _frozen(policy: ActorCriticPolicy) -> ActorCriticPolicy:
    """A detached copy of an SB3 policy (through its own save/load)."""
    buf = io.BytesIO()
    policy.save(buf)
    buf.seek(0)
    copy = ActorCriticPolicy.load(buf, device="cpu")
    copy.set_training_mode(False)
    return copy


class FCP(SB3Learner):
    name = "fcp"
    reference = "Strouse et al. 2021, Collaborating with Humans without Human Data (arXiv:2110.08176)"
    ALGORITHM = PPO
    DEFAULTS = dict(IPPO.DEFAULTS)
    SETTINGS = {"num_envs": 256, "population": 3, "partner_share": 0.5}

    def __init__(self, seed: int = 0, share_parameters: bool = True, **hyperparameters):
        if not share_parameters:
            raise ValueError("fcp trains one agent that partners anyone in any seat: share_parameters=False "
                             "is not available")
        if hyperparameters.get("partners"):
            raise ValueError("fcp trains its own partner population; fixed partners are not available")
        super().__init__(seed, True, **hyperparameters)
        if int(self.hp["population"]) < 1 or not 0.0 <= float(self.hp["partner_share"]) < 1.0:
            raise ValueError("fcp needs population >= 1 and partner_share in [0, 1)")
        self.population: list[ActorCriticPolicy] = []

    def train(self, env_id: str, steps: int, env_options: dict | None = None, callback=None, sb3_callbacks=None):
        """Train the partner population (first call only), then the best responder, within ``steps``."""
        steps = check_steps(steps)
        curve, used = [], 0
        if not self.population:
            k_total = int(self.hp["population"])
            share = int(steps * float(self.hp["partner_share"])) // k_total
            settings = {k: v for k, v in self.hp.items()
                        if (k in COMMON or k in IPPO.DEFAULTS) and k not in ("partners", "tensorboard_log")}
            for k in range(k_total):
                partner = SelfPlayPPO(seed=10_000 * (self.seed + 1) + k, **settings)
                for budget in (0, share // 2, share - share // 2):   # snapshots: start, middle, end
                    curve += [(used + s, r) for s, r in partner.train(env_id, budget, env_options)]
                    used += partner.env_steps
                    self.population.append(_frozen(partner.models[0].policy))
        rest = super().train(env_id, max(steps - used, 0), env_options, callback, sb3_callbacks)
        return curve + [(used + s, r) for s, r in rest]

    def make_views(self, games: JointGames) -> list[SeatView]:
        self._rng = np.random.default_rng(self.seed + 100_003 * self._trains)
        self._draw = None
        return [SeatView(games, np.arange(games.num_envs), np.arange(games.num_envs) % games.n)]

    def coplayer_fractions(self, games: JointGames) -> np.ndarray:
        """Every seat of game g by its drawn population member (the responder's seat is overwritten)."""
        N, n, K = games.num_envs, games.n, len(self.population)
        if self._draw is None:
            self._draw = self._rng.integers(K, size=N)
        fresh = games.state.t == 0
        self._draw[fresh] = self._rng.integers(K, size=int(fresh.sum()))
        out = np.zeros((N, n))
        for k in np.unique(self._draw):
            rows = np.flatnonzero(self._draw == k)
            a, _ = self.population[k].predict(games.obs[rows].reshape(len(rows) * n, -1), deterministic=False)
            out[rows] = a.reshape(len(rows), n)
        return out

    def save(self, path: str | Path) -> None:
        super().save(path)
        with zipfile.ZipFile(Path(path), "a") as z:
            for k, policy in enumerate(self.population):
                buf = io.BytesIO()
                policy.save(buf)
                z.writestr(f"partner_{k}.pt", buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> "FCP":
        learner = super().load(path)
        with zipfile.ZipFile(Path(path)) as z:
            names = sorted((n for n in z.namelist() if n.startswith("partner_")), key=lambda n: int(n[8:-3]))
            learner.population = [ActorCriticPolicy.load(io.BytesIO(z.read(n)), device="cpu") for n in names]
        return learner


register("fcp", FCP, kind="learner", family="independent", reference=FCP.reference, trains=True)
