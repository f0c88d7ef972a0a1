"""The run metrics (SPEC section 10), defined once: every record, leaderboard column and report plot reads
them from here.

Evaluation plays a batch of B games (episodes) with n seats to their ends and keeps, per game and seat,
the totals in :class:`Episodes`. Each metric is first computed per game, then averaged over the games
(every episode weighs the same, whatever its length):

=============  ==========================================================================================
``return``     per-capita return of the reward in effect: mean over seats i of sum_t r_t,i
``welfare``    material welfare: sum over agents i of sum_t pi_t,i (private payoffs, SPEC sections 1 and
               3: the same quantity under every reward mode, so modes can be compared on it)
``equality``   1 - Gini of the agents' private payoff totals x_i (see :func:`gini`)
``cooperation`` mean of a_t,i / e_i over the active agents and steps of the game
``trust``      mean trust (mean over ordered pairs i != j of T_ij) when the game ended; None without trust
=============  ==========================================================================================

Variable-agent games (ApacheProject-v0 with ``phase="historical"``): an agent out of the game acts 0 and
receives reward 0 and payoff 0 (the game masks them). ``return`` divides by all n seats, so a seat earns 0
while its agent is out; ``welfare`` sums what the agents in the game earned; ``equality`` compares the agents
that were in the game for at least one step; ``cooperation`` counts only the steps an agent was in.

Higher is the direction of every scale (the leaderboard's 1 is the highest reference). For ``return`` and
``welfare`` higher is better; ``equality``, ``cooperation`` and ``trust`` describe behaviour, and more of them
is not better in itself (full cooperation can be exploited; equal shares of nothing are equal).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: metric name -> one-line description (the leaderboard's and the corpus' column descriptions)
METRICS: dict[str, str] = {
    "return": "per-capita return of the reward in effect: mean over seats and episodes of the episode return",
    "welfare": "material welfare: sum over agents of the episode's private payoffs, mean over episodes",
    "equality": "1 - Gini of the agents' private payoff totals per episode, mean over episodes",
    "cooperation": "mean a_i / e_i over active agents and steps of an episode, mean over episodes",
    "trust": "mean trust over ordered pairs at the episode's end, mean over episodes (null without trust)",
}


@dataclass
class Episodes:
    """Per-game, per-seat totals of a batch of B finished games with n seats."""

    rewards: np.ndarray             # (B, n) sum over steps of the reward layer's rewards r_i
    payoffs: np.ndarray             # (B, n) sum over steps of the private payoffs pi_i
    effort: np.ndarray              # (B, n) sum over active steps of a_i / e_i
    active_steps: np.ndarray        # (B, n) number of steps each agent was in the game
    lengths: np.ndarray             # (B,) steps each game ran
    final_trust: np.ndarray | None  # (B,) mean trust when the game ended (None: the game has no trust)

    @classmethod
    def zeros(cls, batch: int, n: int, trust: bool) -> "Episodes":
        z = lambda: np.zeros((batch, n))  # noqa: E731
        return cls(z(), z(), z(), z(), np.zeros(batch, dtype=np.int64),
                   np.full(batch, np.nan) if trust else None)

    def add_step(self, running: np.ndarray, active: np.ndarray, rewards: np.ndarray, payoffs: np.ndarray,
                 fractions: np.ndarray) -> None:
        """Count one step of the games still ``running`` (B,); ``active`` (B, n) the agents in the game
        before the step, ``fractions`` (B, n) the actions as a_i / e_i."""
        live = running[:, None] & active
        self.rewards += np.where(running[:, None], rewards, 0.0)
        self.payoffs += np.where(live, payoffs, 0.0)
        self.effort += np.where(live, fractions, 0.0)
        self.active_steps += live
        self.lengths += running


def gini(x: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Gini coefficient of each row of ``x`` (B, n) over the entries marked ``present`` (default: all).

    G = sum_i sum_j |x_i - x_j| / (2 m sum_i |x_i|), m the number of present entries. For non-negative
    totals this is the usual Gini, sum_ij |x_i - x_j| / (2 m^2 mean x), in [0, (m - 1) / m]. Payoffs can be
    negative (effort costs exceed the returns), where the usual formula divides by a mean near or below zero
    and leaves [0, 1]; dividing by the mean absolute total instead keeps G in [0, 1] for any signs, since
    |x_i - x_j| <= |x_i| + |x_j|. All-zero totals (nothing earned by anyone) are perfectly equal: G = 0.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    present = np.ones(x.shape, dtype=bool) if present is None else np.broadcast_to(present, x.shape)
    x = np.where(present, x, 0.0)
    diffs = np.abs(x[:, :, None] - x[:, None, :]) * (present[:, :, None] & present[:, None, :])
    scale = 2.0 * present.sum(axis=1) * np.abs(x).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, diffs.sum(axis=(1, 2)) / np.where(scale > 0, scale, 1.0), 0.0)


def per_capita_return(ep: Episodes) -> np.ndarray:
    """(B,): mean over the n seats of each seat's reward total."""
    return ep.rewards.mean(axis=1)


def welfare(ep: Episodes) -> np.ndarray:
    """(B,): sum over agents of the private payoff totals."""
    return ep.payoffs.sum(axis=1)


def equality(ep: Episodes) -> np.ndarray:
    """(B,): 1 - Gini of the private payoff totals of the agents that were in the game."""
    return 1.0 - gini(ep.payoffs, ep.active_steps > 0)


def cooperation(ep: Episodes) -> np.ndarray:
    """(B,): sum of a_i / e_i over active agents and steps divided by the number of active agent-steps."""
    return ep.effort.sum(axis=1) / np.maximum(ep.active_steps.sum(axis=1), 1)


def run_metrics(ep: Episodes) -> dict[str, float | None]:
    """The record's metrics: each per-game metric averaged over the games (``trust`` None without trust)."""
    out = {"return": per_capita_return(ep), "welfare": welfare(ep), "equality": equality(ep),
           "cooperation": cooperation(ep)}
    out = {k: float(v.mean()) for k, v in out.items()}
    out["trust"] = None if ep.final_trust is None else float(np.mean(ep.final_trust))
    return out


def legacy_metrics(mean_return, cooperation_rate, final_trust) -> dict[str, float | None]:
    """Metrics of a record written before the metrics existed (corpus v1): ``return`` and ``cooperation``
    and ``trust`` carry over (v1's cooperation pooled the steps of all episodes); ``welfare`` and
    ``equality`` were not measured (None)."""
    ret = float(np.mean(mean_return)) if len(mean_return) else None
    return {"return": ret, "welfare": None, "equality": None, "cooperation": cooperation_rate,
            "trust": final_trust}
