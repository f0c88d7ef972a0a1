"""QMIX: monotonic value factorisation (Rashid et al. 2018, "QMIX: Monotonic Value Function
Factorisation for Deep Multi-Agent Reinforcement Learning", ICML).

Actions are discretised into ``bins`` fractions of the endowment (default 11: 0, .1, .., 1).
Agent utilities Q_j(o_j, a_j) are mixed by a network whose non-negative weights come from
hypernetworks on the global state, Q_tot = M(Q_1, .., Q_n; s), so each agent's greedy action
on its own utility is greedy on Q_tot. Feed-forward utilities: the observation already holds
the last joint action, trust and t / horizon (the paper's GRU is for partial observability).
Untrained, every greedy action is the middle bin (``nets.middle_preference``).

How this stays honest about rewards (each agent learns from its own reward; nothing may
silently optimise the sum). A team value is every agent's value only when every agent gets
the same reward, i.e. the reward layer is "cooperative" (mutuality 2). So ``factorisation`` is:

- ``"team"`` (what ``"auto"`` picks when mutuality == 2): the paper's QMIX, one mixer, the
  target is the common reward (the mean over active agents, equal to each agent's reward).
  Asked for with any other reward layer, it is refused with an error.
- ``"per_agent"`` (``"auto"`` otherwise): **agent k has its own factorisation of its own
  return**, trained on r_k alone: its own mixer M_k and its own utility heads Q^k_j = h_kj(phi_j)
  for every agent j (how j's action bears on k's return), on agent j's features phi_j(o_j).
  Agent k's features are trained by agent k's factorisation only: in the others' they enter
  as constants (a stopped gradient), so another agent's reward never reaches agent k's
  networks. The next joint action in agent k's target is every agent's own greedy choice
  (argmax_a Q^j_j(o'_j, a)), so each agent evaluates the others' actual policies under its
  own reward and acts greedily on Q^k_k: a best response within its own monotonic
  factorisation. The n^2 heads are linear, so n factorisations cost little more than one.

``share_parameters=True`` shares the feature network (and, per_agent, each owner's head over
the agents it scores); mixers are never shared. Exploration: epsilon-greedy, epsilon annealed
linearly from ``eps_start`` to ``eps_end`` over ``eps_fraction`` of the run's budget.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from coopgym.baselines.learners.base import OffPolicyLearner
from coopgym.baselines.learners.nets import AgentMLP, adam, bin_fractions, descend, middle_preference, polyak

COOPERATIVE = 2.0  # the reward layer's mutuality at which every agent's reward is the team mean


class Utilities(nn.Module):
    """Q^k_j(o_j, .) = phi_j(o_j) W_kj + c_kj for the owners k of the factorisations (1 in team mode,
    n in per_agent mode); phi_j is agent j's feature network (one hidden layer, ReLU)."""

    def __init__(self, n: int, owners: int, d: int, hidden: int, fractions: torch.Tensor, shared: bool):
        super().__init__()
        bins, agents = len(fractions), 1 if shared else n
        self.n, self.owners, self.shared = n, owners, shared
        self.features = AgentMLP(agents, d, 0, [], hidden)
        scale = 0.01 / math.sqrt(hidden)   # small utilities: the untrained argmax is the bias's middle bin
        self.w = nn.Parameter(torch.randn(owners, agents, hidden, bins) * scale)
        self.c = nn.Parameter(middle_preference(fractions).expand(owners, agents, 1, bins).clone())

    def phi(self, obs: torch.Tensor) -> torch.Tensor:
        n, B, d = obs.shape
        x = obs.reshape(1, n * B, d) if self.shared else obs
        return F.relu(self.features(x)).reshape(n, B, -1)

    def chosen(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Every owner's utility of every agent's action, ``actions`` (n, B) bin indices -> (K, B, n). Agent j's
        features train only through its own factorisation (k = j): in the others' they are a constant."""
        phi = self.phi(obs)
        own = self.own_utilities(phi).gather(-1, actions[..., None])[..., 0]             # (n, B): Q^j_j
        if self.owners == 1:
            return own.T[None]
        K, (agents, h, bins), (n, B) = self.owners, self.w.shape[1:], phi.shape[:2]
        heads = self.w.permute(1, 2, 0, 3).reshape(agents, h, K * bins)                  # agent j's heads, every owner
        every = torch.matmul(phi.detach(), heads) + self.c.permute(1, 2, 0, 3).reshape(agents, 1, K * bins)
        q = every.view(n, B, K, bins).gather(-1, actions[:, :, None, None].expand(n, B, K, 1))[..., 0]
        q = torch.where(torch.eye(n, dtype=torch.bool)[:, None, :], own[..., None], q)     # (n, B, K)
        return q.permute(2, 1, 0)

    def own(self, obs: torch.Tensor) -> torch.Tensor:
        """Each agent's utility in its own factorisation (the team's in team mode): (n, B, bins)."""
        return self.own_utilities(self.phi(obs))

    def own_utilities(self, phi: torch.Tensor) -> torch.Tensor:
        """Q^j_j(o_j, .) from agent j's features phi_j: (n, B, hidden) -> (n, B, bins)."""
        if self.owners == 1:
            return torch.matmul(phi, self.w[0]) + self.c[0]
        diag = torch.arange(self.n)
        pick = (diag, torch.zeros_like(diag)) if self.shared else (diag, diag)
        return torch.matmul(phi, self.w[pick]) + self.c[pick]


class Mixer(nn.Module):
    """K monotonic mixers: Q_tot^k = w2^k(s) . elu(q W1^k(s) + b1^k(s)) + v^k(s), |W| from hypernetworks.

    As in the paper (section 4), each hypernetwork of W1, b1 and w2 is one linear layer of the state
    and v's has a ReLU hidden layer. ``hyper_hidden`` > 0 gives W1's and w2's a hidden layer of that
    width (pymarl's ``hypernet_layers=2``)."""

    def __init__(self, owners: int, n: int, ds: int, embed: int, hyper_hidden: int):
        super().__init__()
        self.n, self.embed = n, embed
        hidden = [hyper_hidden] if hyper_hidden else []
        self.w1 = AgentMLP(owners, 0, ds, hidden, n * embed)
        self.b1 = AgentMLP(owners, 0, ds, [], embed)
        self.w2 = AgentMLP(owners, 0, ds, hidden, embed)
        self.v = AgentMLP(owners, 0, ds, [embed], 1)

    def forward(self, q: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """q (K, B, n) chosen utilities, state (B, ds) -> Q_tot (K, B)."""
        K, B, n = q.shape
        w1 = self.w1(None, state).abs().reshape(K, B, n, self.embed)
        h = F.elu((q[..., None] * w1).sum(-2) + self.b1(None, state))      # q W1: n is small, no batched matmul
        return (h * self.w2(None, state).abs()).sum(-1) + self.v(None, state)[..., 0]


class QMIX(OffPolicyLearner):
    name = "qmix"
    family = "centralised"
    reference = ("Rashid et al. 2018, QMIX: Monotonic Value Function Factorisation for Deep "
                 "Multi-Agent Reinforcement Learning")
    # one-step targets: an n-step return under epsilon-greedy play counts the exploring teammates' random
    # actions as if they were the policy (no off-policy correction), which made all-in effort look worse than
    # it is (TeamProduction-v0 cooperative: 0.72-0.77 with 5 steps, 0.83-0.96 with one; README learning check)
    DEFAULTS = {"bins": 11, "lr": 5e-4, "tau": 0.01, "n_step": 1, "eps_start": 1.0, "eps_end": 0.05,
                "eps_fraction": 0.3, "factorisation": "auto", "double_q": True, "mixer_embed": 32, "hyper_hidden": "auto"}

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

    # -- networks: utilities and mixers, with Polyak-averaged targets
    def build(self) -> None:
        n, d, ds, h = self.meta["n"], self.meta["obs_dim"], self.meta["state_dim"], self.hp["hidden"]
        self.team = self.factorisation() == "team"
        owners = 1 if self.team else n
        self.fractions = bin_fractions(self.hp["bins"])
        self.utilities = Utilities(n, owners, d, h, self.fractions, self.share_parameters)
        self.mixer = self.make_mixer(owners, n, ds)
        self.utilities_target, self.mixer_target = copy.deepcopy(self.utilities), copy.deepcopy(self.mixer)
        self.opt = adam((self.utilities, self.hp["lr"]), (self.mixer, self.hp["lr"]))

    def make_mixer(self, owners: int, n: int, ds: int) -> nn.Module:
        return Mixer(owners, n, ds, self.hp["mixer_embed"], self.hyper_hidden(ds))

    def hyper_hidden(self, ds: int) -> int:
        """``"auto"``: the paper's single linear layer for a state of up to 64 numbers, a 64-unit hidden layer
        for a wider one, where it is the cheaper map (ApacheProject-v0's 281 numbers to 40 x 32 weights for
        each of 40 owners: 2.4 x faster per gradient step). The single layer takes a third less time on a
        small state; TeamProduction-v0 cooperative scored the same either way (0.88, seeds 3-5)."""
        hidden = self.hp["hyper_hidden"]
        if hidden == "auto":
            return 64 if ds > 64 else 0
        if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 0:
            raise ValueError(f"{self.name}: hyper_hidden must be 'auto' or a width >= 0 (0: one linear layer), "
                             f"got {hidden!r}")
        return hidden

    # -- acting: greedy on the agent's own utility, epsilon-greedy when training
    def policy(self, obs):
        return self.fractions[self.utilities.own(obs).argmax(-1)]

    def explore(self, obs, state):
        span = max(1.0, self.hp["eps_fraction"] * self.budget.total)
        eps = self.hp["eps_start"] + min(1.0, self.budget.steps / span) * (self.hp["eps_end"] - self.hp["eps_start"])
        greedy = self.utilities.own(obs).argmax(-1)                                       # (n, N)
        random = torch.randint(len(self.fractions), greedy.shape, generator=self.gen)
        pick = torch.rand(greedy.shape, generator=self.gen) < eps
        return self.fractions[torch.where(pick, random, greedy)]

    # -- training
    def mixed(self, utilities, mixer, obs, actions, active, state) -> torch.Tensor:
        """Q_tot^k of the joint action ``actions`` (n, B) bin indices, absent agents left out: (K, B)."""
        return mixer(utilities.chosen(obs, actions) * active.T, state)

    def update(self, b) -> dict[str, float]:
        actions = (b["actions"] * (len(self.fractions) - 1)).round().long()
        with torch.no_grad():
            chooser = self.utilities if self.hp["double_q"] else self.utilities_target
            a_next = chooser.own(b["next_obs"]).argmax(-1)                                 # each agent's own greedy
            q_next = self.mixed(self.utilities_target, self.mixer_target, b["next_obs"], a_next,
                                b["next_active"], b["next_state"])
            if self.team:   # cooperative: every active agent's reward is the same team reward
                reward = masked_mean_over_agents(b["rewards"], b["mask"])
                weight = (b["mask"].sum(0, keepdim=True) > 0).float()
            else:           # agent k's factorisation learns agent k's reward
                reward, weight = b["rewards"], b["mask"]
            y = reward + b["discount"] * q_next
        q = self.mixed(self.utilities, self.mixer, b["obs"], actions, b["active"], b["state"])
        loss = (((q - y) ** 2 * weight).sum(1) / weight.sum(1).clamp(min=1.0)).sum()
        descend(self.opt, loss, self.hp["max_grad_norm"], self.utilities, self.mixer)
        polyak(self.utilities_target, self.utilities, self.hp["tau"])
        polyak(self.mixer_target, self.mixer, self.hp["tau"])
        return {"loss": loss.item()}


def masked_mean_over_agents(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(n, B) -> (1, B): the mean over the agents in ``mask``."""
    return (x * mask).sum(0, keepdim=True) / mask.sum(0, keepdim=True).clamp(min=1.0)
