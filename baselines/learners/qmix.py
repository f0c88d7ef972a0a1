"""QMIX: monotonic value factorisation (Rashid et al. 2018, "QMIX: Monotonic Value Function
Factorisation for Deep Multi-Agent Reinforcement Learning", ICML).

Actions are discretised into ``bins`` fractions of the endowment (default 11: 0, .1, .., 1).
Agent utilities Q_j(o_j, a_j) are mixed by a network whose non-negative weights come from
hypernetworks on the global state, Q_tot = M(Q_1, .., Q_n; s), so each agent's greedy action
on its own utility is greedy on Q_tot. Feed-forward utilities: the observation already holds
the last joint action, trust and t / horizon (the paper's GRU is for partial observability).

How this stays honest about rewards (the issue's rule: each agent learns from its own
reward; nothing may silently optimise the sum). A team value is every agent's value only
when every agent gets the same reward, i.e. the reward layer is "cooperative"
(mutuality 2). So ``factorisation`` is:

- ``"team"`` (what ``"auto"`` picks when mutuality == 2): the paper's QMIX, one mixer, the
  target is the common reward (the mean over active agents, equal to each agent's reward).
  Asked for with any other reward layer, it is refused with an error.
- ``"per_agent"`` (``"auto"`` otherwise): **agent k has its own factorisation of its own
  return**: its own utility network Q^k_j(o_j, .) for every agent j (how j's action bears
  on k's return; j is told apart by the one-hot id in o_j) and its own mixer M_k, trained
  on r_k alone. The next joint action in agent k's target is every agent's own greedy
  choice (argmax_a Q^j_j(o'_j, a)), so each agent evaluates the others' actual policies
  under its own reward and acts greedily on Q^k_k: a best response within its own monotonic
  factorisation. Another agent's reward never reaches an owner's networks. The price: n
  factorisations cost about n times the compute of one (n^2 utilities per sample).

``share_parameters=True`` shares the utility network (per_agent: between owners, with the
owner's one-hot id appended); mixers are never shared. Exploration: epsilon-greedy, epsilon
annealed linearly from ``eps_start`` to ``eps_end`` over ``eps_fraction`` of training.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from coopgym.baselines import register
from coopgym.baselines.learners.common import (
    AgentMLP, OffPolicyLearner, adam, bin_fractions, polyak)

COOPERATIVE = 2.0  # the reward layer's mutuality at which every agent's reward is the team mean


class Utilities(nn.Module):
    """Q^k_j(o_j, .) for the owners k of the factorisations (1 in team mode, n in per_agent mode)."""

    def __init__(self, n: int, owners: int, d: int, hidden: int, bins: int, shared: bool):
        super().__init__()
        self.n, self.owners, self.shared = n, owners, shared
        if shared:   # one network; per_agent: the owner's one-hot id appended
            self.mlp = AgentMLP(1, d + (n if owners > 1 else 0), 0, [hidden, hidden], bins, "relu")
        elif owners == 1:   # team: one network per agent j
            self.mlp = AgentMLP(n, d, 0, [hidden, hidden], bins, "relu")
        else:   # per_agent: one network per owner k, every owner reading every agent's observation
            self.mlp = AgentMLP(owners, 0, d, [hidden, hidden], bins, "relu")

    def _owner_ids(self, owners_of_rows: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        return torch.cat([obs, F.one_hot(owners_of_rows, self.n).float()], -1)

    def all(self, obs: torch.Tensor) -> torch.Tensor:
        """Every owner's utilities of every agent: obs (n, B, d) -> (K, n, B, bins)."""
        n, B, d = obs.shape
        K = self.owners
        if K == 1:
            return (self.mlp(obs.reshape(1, n * B, d)).reshape(n, B, -1) if self.shared else self.mlp(obs))[None]
        if not self.shared:
            return self.mlp(None, obs.reshape(n * B, d)).reshape(K, n, B, -1)
        owner = torch.arange(K)[:, None, None].expand(K, n, B)
        x = self._owner_ids(owner, obs[None].expand(K, -1, -1, -1))
        return self.mlp(x.reshape(1, K * n * B, -1)).reshape(K, n, B, -1)

    def own(self, obs: torch.Tensor) -> torch.Tensor:
        """Each agent's utility in its own factorisation (the team's in team mode): (n, B, bins)."""
        n, B, d = obs.shape
        if self.owners == 1:
            return self.all(obs)[0]
        if not self.shared:
            return self.mlp.each(obs)
        x = self._owner_ids(torch.arange(n)[:, None].expand(n, B), obs)
        return self.mlp(x.reshape(1, n * B, -1)).reshape(n, B, -1)


class Mixer(nn.Module):
    """K monotonic mixers: Q_tot^k = w2^k(s) . elu(q W1^k(s) + b1^k(s)) + v^k(s), |W| from hypernetworks."""

    def __init__(self, owners: int, n: int, ds: int, embed: int, hyper_hidden: int):
        super().__init__()
        self.n, self.embed = n, embed
        self.w1 = AgentMLP(owners, 0, ds, [hyper_hidden], n * embed, "relu")
        self.b1 = AgentMLP(owners, 0, ds, [], embed)
        self.w2 = AgentMLP(owners, 0, ds, [hyper_hidden], embed, "relu")
        self.v = AgentMLP(owners, 0, ds, [embed], 1, "relu")

    def forward(self, q: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """q (K, B, n) chosen utilities, state (B, ds) -> Q_tot (K, B)."""
        K, B, n = q.shape
        w1 = self.w1(None, state).abs().reshape(K * B, n, self.embed)
        h = F.elu(torch.bmm(q.reshape(K * B, 1, n), w1).reshape(K, B, self.embed) + self.b1(None, state))
        return (h * self.w2(None, state).abs()).sum(-1) + self.v(None, state)[..., 0]


class QMIX(OffPolicyLearner):
    name = "qmix"
    reference = ("Rashid et al. 2018, QMIX: Monotonic Value Function Factorisation for Deep "
                 "Multi-Agent Reinforcement Learning")
    DEFAULTS = {"bins": 11, "lr": 5e-4, "tau": 0.01, "eps_start": 1.0, "eps_end": 0.05, "eps_fraction": 0.3,
                "factorisation": "auto", "double_q": True, "mixer_embed": 32, "hyper_hidden": 64}

    def factorisation(self) -> str:
        mode, m = self.hp["factorisation"], self.meta["mutuality"]
        if mode not in ("auto", "team", "per_agent"):
            raise ValueError(f"{self.name}: factorisation must be 'auto', 'team' or 'per_agent', got {mode!r}")
        if mode == "team" and m != COOPERATIVE:
            raise ValueError(
                f"{self.name}: factorisation='team' trains every agent on one team value, which is each agent's "
                f"own return only under reward='cooperative' (mutuality 2); this environment has mutuality {m:g}. "
                "Use factorisation='per_agent' (each agent factorises its own return) or reward='cooperative'.")
        return mode if mode != "auto" else ("team" if m == COOPERATIVE else "per_agent")

    def build(self) -> None:
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.team = self.factorisation() == "team"
        owners = 1 if self.team else n
        self.fractions = bin_fractions(int(self.hp["bins"]))
        self.utilities = Utilities(n, owners, d, h, len(self.fractions), self.share_parameters)
        self.mixer = self.make_mixer(owners, n, ds)
        self.utilities_target, self.mixer_target = copy.deepcopy(self.utilities), copy.deepcopy(self.mixer)
        self.make_optimisers()

    def make_mixer(self, owners: int, n: int, ds: int) -> nn.Module:
        return Mixer(owners, n, ds, self.hp["mixer_embed"], self.hp["hyper_hidden"])

    def make_optimisers(self) -> None:
        self.opt = adam([*self.utilities.parameters(), *self.mixer.parameters()], lr=self.hp["lr"])

    def modules(self):
        return {"utilities": self.utilities, "mixer": self.mixer, "utilities_target": self.utilities_target,
                "mixer_target": self.mixer_target}

    def policy_fractions(self, obs):
        return self.fractions[self.utilities.own(obs.transpose(0, 1)).argmax(-1)].T

    def epsilon(self) -> float:
        span = max(1.0, self.hp["eps_fraction"] * self.total_steps)
        progress = min(1.0, self.env_steps / span)
        return self.hp["eps_start"] + progress * (self.hp["eps_end"] - self.hp["eps_start"])

    def explore(self, obs, state):
        greedy = self.utilities.own(obs).argmax(-1)                                       # (n, N)
        random = torch.randint(len(self.fractions), greedy.shape, generator=self.gen)
        pick = torch.rand(greedy.shape, generator=self.gen) < self.epsilon()
        return self.fractions[torch.where(pick, random, greedy)]

    def mixed(self, utilities, mixer, obs, actions, active, state) -> torch.Tensor:
        """Q_tot^k of the joint action ``actions`` (n, B) bin indices, absent agents left out: (K, B)."""
        U = utilities.all(obs)                                                             # (K, n, B, bins)
        q = U.gather(-1, actions[None, ..., None].expand(U.shape[0], -1, -1, 1))[..., 0] * active
        return mixer(q.transpose(1, 2), state)

    def update(self, b) -> dict[str, float]:
        bins = len(self.fractions)
        actions = (b["actions"] * (bins - 1)).round().long()
        with torch.no_grad():
            chooser = self.utilities if self.hp["double_q"] else self.utilities_target
            a_next = chooser.own(b["next_obs"]).argmax(-1)                                 # each agent's own greedy
            q_next = self.mixed(self.utilities_target, self.mixer_target, b["next_obs"], a_next,
                                b["next_active"], b["next_state"])
            if self.team:   # cooperative: every active agent's reward is the same team reward
                reward = (b["rewards"] * b["active"]).sum(0, keepdim=True) / b["active"].sum(0).clamp(min=1.0)
                weight = (b["active"].sum(0, keepdim=True) > 0).float()
            else:           # agent k's factorisation learns agent k's reward
                reward, weight = b["rewards"], b["active"]
            y = reward + self.hp["gamma"] * (1.0 - b["done"]) * q_next
        q = self.mixed(self.utilities, self.mixer, b["obs"], actions, b["active"], b["state"])
        loss = (((q - y) ** 2 * weight).sum(1) / weight.sum(1).clamp(min=1.0)).sum()
        self.descend(self.opt, loss, self.utilities, self.mixer)
        polyak(self.utilities_target, self.utilities, self.hp["tau"])
        polyak(self.mixer_target, self.mixer, self.hp["tau"])
        return {"loss": loss.item(), "epsilon": self.epsilon()}


register("qmix", QMIX, kind="learner", family="centralised", reference=QMIX.reference, trains=True)
