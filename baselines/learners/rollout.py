"""The one rollout driver of every learner, its env-step budget, and the replay buffer.

:class:`Rollout` steps N games of an environment together
(``coopgym.vector_env(env_id, num_envs=N, action_units="fraction")``): the learner gives the
n agents' fractions of their endowments for every game, one batched call; the driver fills
the seats of fixed partner policies, steps, and hands back the transition as agent-major
torch tensors, each agent's reward scaled by its own running return scale. Games that end
are reset in the same step (their last observation goes into ``next_obs``).

:class:`Budget` counts env-steps (one env-step = one step of one game) and makes a run take
exactly its budget: the last joint step counts only the games still in the budget (the
others' transitions are dropped, unseen by the learner). It also runs the evaluation points
(``eval_at``) at the right moment, without touching anything training uses: the
evaluation at j env-steps sees the policy that acts for env-step j + 1, i.e. after every
update made from the first j env-steps.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

import coopgym

#: called during training with (env_steps_so_far, mean training-episode return per agent (n,))
ProgressCallback = Callable[[int, np.ndarray], None]


class Budget:
    """The env-steps of one ``train`` call: ``total`` exactly, the evaluation points on the way, the curve.

    ``share(k)`` makes a child budget of k env-steps that counts into this one (FCP trains its
    partner population on a share of its budget)."""

    def __init__(self, total: int, eval_at=(), on_eval: Callable[[int], None] | None = None,
                 callback: ProgressCallback | None = None, parent: "Budget | None" = None):
        self.total, self.steps, self.parent = int(total), 0, parent
        self.pending = sorted(int(k) for k in eval_at)
        self.on_eval, self.callback = on_eval, callback
        self.curve: list[tuple[int, float]] = []

    @property
    def remaining(self) -> int:
        return self.total - self.steps

    @property
    def exhausted(self) -> bool:
        return self.steps >= self.total

    @property
    def clock(self) -> int:
        """Env-steps taken in the whole run (the top budget's count)."""
        return self.parent.clock if self.parent else self.steps

    def share(self, steps: int) -> "Budget":
        return Budget(min(int(steps), self.remaining), parent=self)

    def take(self, games: int) -> int:
        """Before a joint step of ``games`` games: how many of them count (all, or the budget's rest).
        First evaluates every pending point j the step passes (j < steps + count)."""
        count = min(int(games), self.remaining)
        if self.parent is not None:
            self.parent.take(count)
        else:
            self.evaluate_before(self.steps + count)
        self.steps += count
        return count

    def evaluate_before(self, limit: int) -> None:
        while self.pending and self.pending[0] < limit:
            self.on_eval(self.pending.pop(0))

    def log(self, returns: np.ndarray) -> None:
        """A point of the training curve: the mean return per agent (n,) of the episodes just finished."""
        if self.parent is not None:
            return self.parent.log(returns)
        self.curve.append((self.steps, float(returns.mean())))
        if self.callback is not None:
            self.callback(self.steps, returns)


class StateSummary:
    """A compact global state for centralised critics in games with many agents.

    The global state is [a / e (n) | t / horizon | T (n x n) | R (n x n) | extras]; with 40 agents
    (ApacheProject-v0) the two trust matrices are 3,200 of its 3,321 numbers and would dominate
    every critic's cost. The summary keeps the actions, time and extras and replaces each matrix
    by per-agent means: how much agent i trusts the others (row mean) and is trusted by them
    (column mean), likewise for the damage R: 4n numbers instead of 2n^2. For two agents it
    loses nothing (each mean is the one off-diagonal entry)."""

    def __init__(self, game):
        n = self.n = game.n
        self.T_at, self.R_at, self.extras_at = n + 1, n + 1 + n * n, n + 1 + 2 * n * n
        self.dim = game.state_dim - 2 * n * n + 4 * n

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        N, n = flat.shape[0], self.n
        T = flat[:, self.T_at:self.R_at].reshape(N, n, n)
        R = flat[:, self.R_at:self.extras_at].reshape(N, n, n)
        means = [T.sum(2), T.sum(1), R.sum(2), R.sum(1)]   # diagonals are 0: sums over the n - 1 others
        return np.concatenate([flat[:, :n + 1], *(m / max(n - 1, 1) for m in means), flat[:, self.extras_at:]],
                              axis=1, dtype=np.float32)


def critic_state(game, kind: str) -> StateSummary | None:
    """What centralised critics read: the full global state ("full", None here) or its summary;
    "auto": the summary when the full state has more than 512 numbers (only the 40-agent games)."""
    if kind not in ("auto", "full", "summary"):
        raise ValueError(f"critic_state must be 'auto', 'full' or 'summary', got {kind!r}")
    if kind == "summary" and not game.trust_on:
        raise ValueError(f"critic_state='summary' summarises the trust matrices; {game.spec.id} runs without trust")
    big = kind == "summary" or (kind == "auto" and game.trust_on and game.state_dim > 512)
    return StateSummary(game) if big else None


def _agent_major(x: np.ndarray) -> torch.Tensor:
    """(N, n, ...) numpy -> (n, N, ...) float32 torch, contiguous."""
    return torch.from_numpy(np.ascontiguousarray(np.swapaxes(x, 0, 1), dtype=np.float32))


class RewardScaler:
    """r_i / std of agent i's running discounted return (Engstrom et al. 2020; SB3's VecNormalize), one
    scale per agent from that agent's own rewards. Scaling by a positive number keeps the optimal policy.
    ``frozen``: the scale stops moving (a replay buffer wants one scale for every transition it holds)."""

    def __init__(self, n: int, gamma: float, enabled: bool = True):
        self.gamma, self.enabled, self.ret, self.frozen = gamma, enabled, None, False
        self.count, self.mean, self.var = 1e-4, np.zeros(n), np.ones(n)

    def __call__(self, r: np.ndarray, done: np.ndarray) -> np.ndarray:
        if not self.enabled:
            return r
        if self.frozen:
            return r / np.sqrt(self.var + 1e-8)
        self.ret = r.copy() if self.ret is None else self.ret * self.gamma + r
        b = self.ret.shape[0]
        batch_mean = self.ret.sum(0) / b
        batch_var = np.maximum((self.ret * self.ret).sum(0) / b - batch_mean ** 2, 0.0)
        delta, total = batch_mean - self.mean, self.count + b      # parallel-variance update (Chan et al.)
        self.mean = self.mean + delta * b / total
        self.var = (self.var * self.count + batch_var * b + delta ** 2 * self.count * b / total) / total
        self.count, self.ret[done] = total, 0.0
        return r / np.sqrt(self.var + 1e-8)


class Rollout:
    """N games of ``env_id`` for one learner: ``step(fractions (n, N))`` -> the transition.

    ``obs`` (n, N, d), ``state`` (N, ds) (the critics' global state) and ``active`` (n, N) describe
    the games now. ``partners`` {seat: registered policy name}: those seats play that fixed policy,
    whatever the learner asks; ``mask`` in a transition marks the samples that train (agent in the
    game, not a partner's seat, env-step counted in the budget)."""

    def __init__(self, env_id: str, env_options: dict | None, num_envs: int, seed: int, budget: Budget, *,
                 gamma: float = 0.99, scale_rewards: bool = True, critic_state_kind: str = "auto",
                 partners: dict[int, str] | None = None):
        from coopgym.registry import make_policy

        self.env = coopgym.vector_env(env_id, num_envs=num_envs, action_units="fraction", **(env_options or {}))
        self.game, self.n, self.num_envs, self.budget = self.env.game, self.env.n_agents, self.env.num_envs, budget
        self.env_id, self.env_options = env_id, env_options
        self.summary = critic_state(self.game, critic_state_kind)
        self.state_dim = self.summary.dim if self.summary else self.game.state_dim
        partners = partners or {}
        if bad := [s for s in partners if not 0 <= s < self.n]:
            raise ValueError(f"partner seats {bad} do not exist in {env_id} ({self.n} agents)")
        if len(partners) == self.n:
            raise ValueError("every seat is a partner: nothing learns")
        self.partners = {s: make_policy(name).bind(self.game) for s, name in partners.items()}
        self.learning = torch.ones(self.n, 1)
        self.learning[list(self.partners)] = 0.0
        self.scaler = RewardScaler(self.n, gamma, scale_rewards)
        self.seed = seed
        self.restart(seed)

    def restart(self, seed: int | None = None) -> None:
        """Start every game afresh (``seed`` None: the games' keys advance deterministically)."""
        obs, info = self.env.reset(seed=seed)
        self._observe(obs, info["state"])
        self.ep_return, self.finished, self.scaler.ret = np.zeros((self.num_envs, self.n)), [], None

    def _observe(self, obs: np.ndarray, state: np.ndarray) -> None:
        self.obs = _agent_major(obs)
        self.state = self._critic_state(state)
        if self.game.VARIABLE_AGENTS or not hasattr(self, "active"):
            self.active = torch.from_numpy(self.env.state.active.T.astype(np.float32))

    def _critic_state(self, flat: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self.summary(flat) if self.summary else np.ascontiguousarray(flat))

    @property
    def exhausted(self) -> bool:
        return self.budget.exhausted

    @property
    def starting(self) -> torch.Tensor:
        """(N,) bool: the games at the first step of an episode."""
        return torch.from_numpy(self.env.state.t == 0)

    def fixed_seats(self, frac: np.ndarray) -> np.ndarray:
        """``frac`` (N, n) with every partner seat set to its policy's action now."""
        game, state = self.game, self.env.state
        for seat, policy in self.partners.items():
            frac[:, seat] = policy.act(game, state, np.array([seat]))[:, 0] / game.e[seat]
        return frac

    def step(self, frac: torch.Tensor) -> dict[str, torch.Tensor]:
        """One step of every game with the agents' fractions (n, N); returns the transition, agent-major:
        obs, state, active, mask, actions (the fractions played: clipped, 0 for absent agents), rewards
        (scaled), done (N,), count (games counted), next_obs, next_state, next_active."""
        count = self.budget.take(self.num_envs)
        a = self.fixed_seats(np.clip(frac.detach().T.numpy().astype(np.float64), 0.0, 1.0))
        obs, state, active = self.obs, self.state, self.active
        nobs, r, term, trunc, info = self.env.step(a)
        done = term | trunc
        self._observe(nobs, info["state"])
        next_obs, next_state = self.obs, self.state
        if "_final" in info:   # the games that ended: their last observation, not the next episode's first
            f = torch.from_numpy(info["_final"])
            next_obs = torch.where(f[None, :, None], _agent_major(info["final_obs"]), next_obs)
            next_state = torch.where(f[:, None], self._critic_state(info["final_state"]), next_state)
        self.ep_return += r
        if (ended := done[:count]).any():
            self.finished.append(self.ep_return[:count][ended])
            if sum(len(x) for x in self.finished) >= self.num_envs:
                self.flush()
        self.ep_return[done] = 0.0
        mask = active * self.learning
        if count < self.num_envs:
            mask = mask * (torch.arange(self.num_envs) < count)
        return dict(obs=obs, state=state, active=active, mask=mask,
                    actions=torch.from_numpy((info["actions"] / self.game.e).T.astype(np.float32)),
                    rewards=torch.from_numpy(self.scaler(r, done).T.astype(np.float32)),
                    done=torch.from_numpy(done.astype(np.float32)), count=count,
                    next_obs=next_obs, next_state=next_state, next_active=self.active)

    def flush(self) -> None:
        """Log the episodes finished since the last point of the curve."""
        if self.finished:
            self.budget.log(np.concatenate(self.finished).mean(0))
            self.finished = []

    def collect(self, steps: int, explore) -> dict[str, torch.Tensor]:
        """Up to ``steps`` joint steps (fewer when the budget ends) with ``explore(obs, state) ->
        (fractions (n, N), extras)``; returns the transitions and the extras stacked (T, ...)."""
        rows = []
        for _ in range(steps):
            if self.exhausted:
                break
            frac, extras = explore(self.obs, self.state)
            tr = self.step(frac)
            rows.append({k: v for k, v in {**tr, **extras}.items() if not k.startswith("next") and k != "count"})
        return {k: torch.stack([row[k] for row in rows]) for k in rows[0]}


    def episode(self, explore) -> dict[str, torch.Tensor]:
        """One whole episode of every game, all started afresh together (``collect`` of a horizon)."""
        self.restart()
        with torch.no_grad():
            return self.collect(self.game.horizon, explore)


class NStep:
    """n-step transitions from the driver's one-step ones (Sutton 1988; as Ape-X and D4PG replay them):

        reward = sum_{k < m} gamma^k r_{t+k},   discount = gamma^m (0 if the game ended within),   next_* at t + m

    with m = n unless the game ends first. Each one-step transition comes back n - 1 joint steps
    later, combined; the last joint step of a budget (where only some games count) emits nothing, so
    no return reaches past the budget."""

    def __init__(self, n: int, gamma: float):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n_step must be a positive integer, got {n!r}")
        self.n, self.gamma, self.window = n, gamma, []

    def __call__(self, tr: dict[str, torch.Tensor], num_envs: int) -> dict[str, torch.Tensor] | None:
        self.window.append(tr)
        if len(self.window) < self.n or tr["count"] < num_envs:
            return None
        first, reward = self.window[0], torch.zeros_like(tr["rewards"])
        alive = torch.ones_like(tr["done"])
        for k, step in enumerate(self.window):
            reward = reward + alive * self.gamma ** k * step["rewards"]
            alive = alive * (1.0 - step["done"])
        self.window.pop(0)
        return {**first, "rewards": reward, "discount": alive * self.gamma ** self.n,
                **{k: tr[k] for k in ("next_obs", "next_state", "next_active")}}


class ReplayBuffer:
    """A ring of transitions, one slot per game-step (all agents), sized to ``memory_mb``; kept agent-major
    ((n, capacity, ...) for the agents' fields) so that a sample is contiguous as the networks read it.

    The fields live side by side in two blocks, the agents' (n, capacity, width) and the games'
    (capacity, width); ``data[key]`` is a field's view into its block, and a sample gathers each block
    once (two index_selects, not one per field: a gather's fixed cost is most of its time here)."""

    KEYS = ("obs", "state", "active", "mask", "actions", "rewards", "discount", "next_obs", "next_state",
            "next_active")

    def __init__(self, capacity: int, memory_mb: float, min_rows: int, example: dict[str, torch.Tensor]):
        per_row = {k: int(np.prod(example[k].shape)) // self._games(k, example[k]) for k in self.KEYS}
        row_bytes = 4 * sum(per_row.values())
        self.capacity = max(int(min_rows), min(int(capacity), int(memory_mb * 2 ** 20 // row_bytes)))
        self.size = self.pos = 0
        self.columns: dict[str, tuple[int, int | None]] = {}     # key -> (first column, width or None: no axis)
        widths = {True: 0, False: 0}                              # agent-major block, game-major block
        for k in self.KEYS:
            x, major = example[k], k in AGENT_MAJOR
            rest = x.shape[2:] if major else x.shape[1:]
            self.columns[k] = (widths[major], int(rest[0]) if rest else None)
            widths[major] += int(rest[0]) if rest else 1
        n = example["obs"].shape[0]
        self.agents, self.games = torch.empty(n, self.capacity, widths[True]), torch.empty(self.capacity, widths[False])
        self.data = self._fields(self.agents, self.games)

    def _fields(self, agents: torch.Tensor, games: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every field's view into the two blocks (agents' (n, rows, width), games' (rows, width))."""
        out = {}
        for k, (first, width) in self.columns.items():
            block = agents if k in AGENT_MAJOR else games
            out[k] = block[..., first] if width is None else block[..., first:first + width]
        return out

    @staticmethod
    def _games(key: str, x: torch.Tensor) -> int:
        return x.shape[1] if key in AGENT_MAJOR else x.shape[0]

    def add(self, tr: dict[str, torch.Tensor]) -> None:
        """The counted games of a transition."""
        count = tr["count"]
        if self.pos + count <= self.capacity:   # the usual case, one block: a slice copies, an index gathers
            idx = slice(self.pos, self.pos + count)
        else:
            idx = (self.pos + torch.arange(count)) % self.capacity
        for k in self.KEYS:
            if k in AGENT_MAJOR:
                self.data[k][:, idx] = tr[k][:, :count]
            else:
                self.data[k][idx] = tr[k][:count]
        self.pos, self.size = int((self.pos + count) % self.capacity), min(self.size + count, self.capacity)

    def sample(self, batch_size: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
        """A uniform sample, agent-major as a transition: obs (n, B, d), actions/rewards/mask (n, B)."""
        idx = torch.randint(self.size, (batch_size,), generator=gen)
        return self._fields(self.agents.index_select(1, idx), self.games.index_select(0, idx))


AGENT_MAJOR = frozenset({"obs", "active", "mask", "actions", "rewards", "next_obs", "next_active"})
