"""The networks and the little maths every learner uses: one MLP per agent, evaluated together.

Every learner keeps **one set of parameters per agent**: an agent's network is one member
of an ensemble (:class:`AgentMLP`, weights (k, in, out)) evaluated for all agents in one
batched matmul, so 40 agents cost one call, not 40. Nothing couples the members: agent i's
parameters only ever see agent i's loss (gradients clipped per member, Adam elementwise,
advantages normalised per agent). ``share_parameters=True`` makes a network one member that
every agent uses (the observation carries the agent's one-hot id).

Tensors are agent-major: observations (n, B, d), actions and rewards (n, B), the global
state (B, ds). Actions are fractions of each agent's endowment in [0, 1].
"""
from __future__ import annotations

import copy
import math
from contextlib import contextmanager

import torch
from torch import nn


class AgentMLP(nn.Module):
    """k independent MLPs evaluated together: ``(k, B, in_agent)`` and/or ``(B, in_shared)`` -> ``(k, B, out)``.

    The first layer takes an input per member (an agent's own observation) and an input all
    members read (the global state), without copying the shared input k times. Hidden layers
    get orthogonal weights of gain sqrt(2), the output layer ``out_gain`` (small for policies:
    an untrained policy's output is then close to 0 for every input) and the bias ``out_bias``.
    """

    def __init__(self, k: int, in_agent: int, in_shared: int, hidden: list[int], out: int,
                 activation: str = "relu", out_gain: float = 1.0, out_bias: torch.Tensor | None = None):
        super().__init__()
        self.k, self.in_agent, self.in_shared, self.out = k, in_agent, in_shared, out
        self.act = {"tanh": torch.tanh, "relu": torch.relu}[activation]
        sizes = [in_agent + in_shared] + list(hidden) + [out]
        gains = [math.sqrt(2.0)] * len(hidden) + [out_gain]
        self.names = [(f"w{l}", f"b{l}") for l in range(len(sizes) - 1)]
        for (wn, bn), (i, o), g in zip(self.names, zip(sizes[:-1], sizes[1:]), gains):
            w = torch.empty(k, i, o)
            for m in range(k):
                nn.init.orthogonal_(w[m], gain=g)
            if wn == "w0":   # the shared input's weights laid out (in_shared, k, h): one plain matmul, no copy
                self.s0 = nn.Parameter(w[:, in_agent:].transpose(0, 1).contiguous()) if in_shared else None
                w = w[:, :in_agent].contiguous()
            setattr(self, wn, nn.Parameter(w))
            setattr(self, bn, nn.Parameter(torch.zeros(k, 1, o)))
        if out_bias is not None:
            with torch.no_grad():
                getattr(self, self.names[-1][1]).copy_(out_bias.expand(k, 1, out))

    def forward(self, x_agent: torch.Tensor | None = None, x_shared: torch.Tensor | None = None) -> torch.Tensor:
        # direct dict access: nn.Module attribute lookup is slow for tiny nets
        return self.run(self._parameters, x_agent, x_shared)

    def run(self, p: dict, x_agent: torch.Tensor | None = None, x_shared: torch.Tensor | None = None) -> torch.Tensor:
        """``forward`` with the parameters ``p``: all members', or some members' slices (``Twin.first``)."""
        h = p["b0"] if x_agent is None else torch.baddbmm(p["b0"], x_agent, p["w0"])
        if x_shared is not None:
            shared = x_shared @ p["s0"].reshape(self.in_shared, -1)                 # (B, members * h)
            h = h + shared.view(x_shared.shape[0], p["b0"].shape[0], -1).transpose(0, 1)
        return self.hidden(h, p)

    def each(self, x: torch.Tensor) -> torch.Tensor:
        """Member m on its own input ``x[m]`` through the shared-input weights: (k, B, in_shared) -> (k, B, out)."""
        p = self._parameters
        return self.hidden(torch.baddbmm(p["b0"], x, p["s0"].transpose(0, 1)))

    def hidden(self, h: torch.Tensor, p: dict | None = None) -> torch.Tensor:
        """The layers after the first, from the first layer's pre-activation ``h``."""
        p = self._parameters if p is None else p
        for wn, bn in self.names[1:]:
            h = torch.baddbmm(p[bn], self.act(h), p[wn])
        return h


class AgentNets(nn.Module):
    """The n agents' networks on their own observations: ``(n, B, d) -> (n, B, out)``; one member
    per agent, or one member all agents share (``shared``)."""

    def __init__(self, n: int, in_dim: int, hidden: int, out: int, shared: bool, activation: str = "relu",
                 out_gain: float = 1.0, out_bias: torch.Tensor | None = None):
        super().__init__()
        self.n, self.shared = n, shared
        self.mlp = AgentMLP(1 if shared else n, in_dim, 0, [hidden, hidden], out, activation, out_gain, out_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, B = x.shape[:2]
        return self.mlp(x.reshape(1, n * B, -1)).reshape(n, B, -1) if self.shared else self.mlp(x)


class Twin(nn.Module):
    """Twin critics (Fujimoto et al. 2018) as one ensemble of twice the members, so both are evaluated
    by the same batched matmuls: the same input ``(n, B, d)`` [and state ``(B, ds)``] -> ``(2, n, B, out)``.

    Built from two networks of one shape (two ``AgentNets`` or two ``AgentMLP``), whose weights it takes
    over: its initial weights are those two separate critics would have, and its outputs and gradients
    are theirs (a test). Member (c, i) is critic c of agent i, and nothing couples members, as in
    ``AgentMLP``. (Training matches two separate critics to float rounding, not always bit for bit:
    torch's fused Adam rounds a tensor of fewer than 8 numbers, such as a 4-agent output bias, on
    another path than a longer one.)"""

    def __init__(self, first: nn.Module, second: nn.Module):
        super().__init__()
        self.shared = isinstance(first, AgentNets) and first.shared
        one, two = (m.mlp if isinstance(m, AgentNets) else m for m in (first, second))
        self.mlp = copy.deepcopy(one)
        self.mlp.k = 2 * one.k
        for name, p in one.named_parameters():   # s0 is laid out (in_shared, k, h): members on axis 1
            stacked = torch.cat([p.detach(), getattr(two, name).detach()], 1 if name == "s0" else 0)
            self.mlp._parameters[name] = nn.Parameter(stacked)
        self.mlp.__dict__.pop("_listed_parameters", None)   # a list made before the swap would be stale

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        n, B = x.shape[:2]
        if self.shared:   # one member per critic, every agent's samples its batch
            return self.mlp(x.reshape(1, n * B, -1).expand(2, -1, -1)).view(2, n, B, -1)
        return self.mlp(torch.cat([x, x]), state).view(2, n, B, -1)

    def first(self, x: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        """The first critic alone (TD3's actor loss reads Q^1 only): ``(n, B, d)`` -> ``(n, B, out)``."""
        n, B = x.shape[:2]
        half = self.mlp.k // 2
        p = {name: v[:, :half] if name == "s0" else v[:half] for name, v in self.mlp._parameters.items()
             if v is not None}
        if self.shared:
            return self.mlp.run(p, x.reshape(1, n * B, -1)).view(n, B, -1)
        return self.mlp.run(p, x, state)


class GaussianPolicy(nn.Module):
    """pi_i(. | o_i) = N(sigmoid(mlp_i(o_i)), exp(log_std_i)^2) over the fraction of agent i's endowment.

    The untrained mean is sigmoid(~0) = 0.5 for every observation (half the endowment, every
    learner's start); samples are clipped to [0, 1] by the environment, and the log-probability
    is the unclipped sample's (as CleanRL's and SB3's clipped Gaussians)."""

    def __init__(self, n: int, d: int, hidden: int, shared: bool, init_log_std: float):
        super().__init__()
        self.net = AgentNets(n, d, hidden, 1, shared, out_gain=0.01)
        self.log_std = nn.Parameter(torch.full((1 if shared else n, 1), float(init_log_std)))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean (n, B) and log std (n or 1, 1)."""
        return torch.sigmoid(self.net(obs)[..., 0]), self.log_std.clamp(-5.0, 1.0)

    def sample(self, obs: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw samples (n, B) and their log-probabilities."""
        mean, log_std = self(obs)
        eps = torch.randn(mean.shape, generator=gen)
        return mean + log_std.exp() * eps, -0.5 * eps * eps - log_std - 0.5 * math.log(2 * math.pi)

    def explore(self, obs: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, dict]:
        """A learner's ``explore`` when it needs only the sample: (raw, {"raw": raw}) for the batch."""
        raw = self.sample(obs, gen)[0]
        return raw, {"raw": raw}

    def log_prob(self, obs: torch.Tensor, raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log pi(raw | obs) (n, B) and the entropy per agent (n or 1, 1)."""
        mean, log_std = self(obs)
        return gaussian_log_prob(raw, mean, log_std), log_std + 0.5 * math.log(2 * math.pi * math.e)


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    return -0.5 * ((x - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)


def bin_fractions(bins: int) -> torch.Tensor:
    """The discretised action set: ``bins`` evenly spaced fractions of the endowment, 0 and 1 included."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an integer of at least 2, got {bins!r}")
    return torch.linspace(0.0, 1.0, bins)


def middle_preference(fractions: torch.Tensor, scale: float = 0.05) -> torch.Tensor:
    """An output bias -scale |f - 0.5| over the bins: an untrained argmax (whose outputs are ~0 from
    the small output gain) picks the bin nearest half the endowment, every learner's start. Learning
    moves values by far more than ``scale``, so the preference only breaks the untrained tie."""
    return -scale * (fractions - 0.5).abs()


def sample_categorical(logits: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Gumbel-max sampling from a seeded generator (torch.distributions takes none)."""
    u = torch.rand(logits.shape, generator=gen).clamp_(1e-10, 1.0)
    return (logits - torch.log(-torch.log(u))).argmax(-1)


def member_views(module: nn.Module, index: int | None = None, grad: bool = False) -> list[torch.Tensor]:
    """Every parameter (or gradient) of ``module`` with the ensemble member first (``s0`` stores it
    second), or member ``index``'s slice of each."""
    views = [x.transpose(0, 1) if second else x for x, second in
             ((p.grad if grad else p, second) for p, second in parameters_of(module)) if x is not None]
    return views if index is None else [v[index] for v in views]


def parameters_of(module: nn.Module) -> list[tuple[nn.Parameter, bool]]:
    """``module``'s parameters, each with whether its member axis is the second (``s0``), listed once per
    module: walking the module tree (``named_parameters``) cost more than clipping a gradient step here.
    A copy (``copy.deepcopy``) lists its own parameters; ``load_state_dict`` copies into the same ones."""
    listed = module.__dict__.get("_listed_parameters")
    if listed is None:
        listed = module.__dict__["_listed_parameters"] = [(p, name.endswith("s0"))
                                                          for name, p in module.named_parameters()]
    return listed


def clip_per_agent(module: nn.Module, max_norm: float) -> None:
    """Clip the gradient norm of each ensemble member separately (a global norm would let one agent's
    gradient shrink another's step). Parameters without a member axis (a shared log std) are left alone."""
    grads = [g for g in member_views(module, grad=True) if g.dim() >= 2]
    if not grads or not max_norm:
        return
    k = grads[0].shape[0]
    grads = [g for g in grads if g.shape[0] == k]
    norms = torch.stack([torch.linalg.vector_norm(g.reshape(k, -1), dim=1) for g in grads])    # (params, k)
    factor = (max_norm / (torch.linalg.vector_norm(norms, dim=0) + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(factor.view(k, *([1] * (g.dim() - 1))))


def adam(*groups: tuple, eps: float = 1e-8) -> torch.optim.Adam:
    """One Adam over ``(module or parameters, learning rate)`` groups: one step updates every network of
    an algorithm (torch's fused CPU kernel: a third of the time of the foreach one for these small nets)."""
    return torch.optim.Adam([{"params": list(m.parameters() if isinstance(m, nn.Module) else m), "lr": lr}
                             for m, lr in groups], eps=eps, fused=True)


def descend(optimiser: torch.optim.Optimizer, loss: torch.Tensor, max_norm: float, *clipped: nn.Module) -> None:
    """One gradient step on ``loss``, each agent's gradient in each of ``clipped`` cut to ``max_norm``."""
    optimiser.zero_grad()
    loss.backward()
    for module in clipped:
        clip_per_agent(module, max_norm)
    optimiser.step()


@contextmanager
def frozen(*modules: nn.Module):
    """No parameter gradients for ``modules`` inside the block (an actor's loss through a critic)."""
    params = [p.requires_grad_(False) for m in modules for p, _ in parameters_of(m)]
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def polyak(target: nn.Module, online: nn.Module, tau: float) -> None:
    targets, onlines = [p for p, _ in parameters_of(target)], [p for p, _ in parameters_of(online)]
    if targets:
        with torch.no_grad():
            torch._foreach_lerp_(targets, onlines, tau)


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim) -> torch.Tensor:
    return (x * mask).sum(dim) / mask.sum(dim).clamp(min=1.0)


def normalise_per_agent(adv: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Advantages (n, B) standardised per agent over that agent's samples in ``mask``."""
    mean = masked_mean(adv, mask, 1)[:, None]
    var = masked_mean((adv - mean) ** 2, mask, 1)[:, None]
    return (adv - mean) / (var.sqrt() + 1e-8)


def gae(rewards: torch.Tensor, values: torch.Tensor, done: torch.Tensor, last_value: torch.Tensor,
        gamma: float, lam: float) -> torch.Tensor:
    """GAE(lambda) advantages (T, n, N) (Schulman et al. 2016) from each agent's own rewards and values;
    ``done`` (T, N) ends the game (no bootstrap past it: observations hold t / horizon, so the horizon
    is part of the game), ``last_value`` (n, N) bootstraps the rollout's cut.

        delta_t = r_t + gamma (1 - d_t) V_{t+1} - V_t,   A_t = delta_t + gamma lambda (1 - d_t) A_{t+1}"""
    T = rewards.shape[0]
    adv, running = torch.empty_like(rewards), torch.zeros_like(last_value)
    for t in reversed(range(T)):
        live = 1.0 - done[t]
        nxt = last_value if t == T - 1 else values[t + 1]
        running = rewards[t] + gamma * live * nxt - values[t] + gamma * lam * live * running
        adv[t] = running
    return adv


def lambda_returns(rewards: torch.Tensor, done: torch.Tensor, q_next: torch.Tensor, gamma: float,
                   lam: float) -> torch.Tensor:
    """TD(lambda) targets (T, n, N) for a critic of taken actions: G_t = r_t + gamma (1 - d_t)
    ((1 - lam) Q_{t+1} + lam G_{t+1}), with q_next[t] = Q_{t+1} and G_T = Q_T (the bootstrap)."""
    out, g = torch.empty_like(rewards), q_next[-1]
    for t in reversed(range(rewards.shape[0])):
        g = rewards[t] + gamma * (1.0 - done[t]) * ((1.0 - lam) * q_next[t] + lam * g)
        out[t] = g
    return out


def per_agent(x: torch.Tensor) -> torch.Tensor:
    """A rollout's (T, n, N, ...) as each agent's samples (n, T * N, ...)."""
    T, n, N = x.shape[:3]
    return x.transpose(0, 1).reshape(n, T * N, *x.shape[3:])


def minibatches(size: int, count: int, gen: torch.Generator):
    """``count`` disjoint random index sets covering range(size) (a seeded permutation, cut)."""
    perm = torch.randperm(size, generator=gen)
    step = max(1, -(-size // max(1, count)))
    return [perm[i:i + step] for i in range(0, size, step)]
