"""The reward layer (SPEC section 5): payoffs in, one reward per agent out.

The mechanisms compute each agent's private payoff pi_i and its own mechanism
terms (the loyalty modifier L_i, the reciprocity utility U_recip,i). The reward
layer decides how much of the partners' payoffs each learner receives, through
one continuous knob, the mutuality m in [0, 2]:

- m in [0, 1]: r_i = pi_i + own_i + m * sum_j W_ij pi_j      (private -> integrated)
- m in [1, 2]: r = (2 - m) * integrated + (m - 1) * mean_j integrated_j  (-> cooperative)

The named modes are m = 0 ("private"), 1 ("integrated") and 2 ("cooperative").
Rewards are always per agent.
"""
from __future__ import annotations

import numpy as np

#: the named reward modes and their mutuality m (the one table of them)
REWARD_MODES = {"private": 0.0, "integrated": 1.0, "cooperative": 2.0}


def resolve_mutuality(reward: str | float | None = None, mutuality: float | None = None) -> float:
    """The mutuality m for a ``reward=`` mode name and/or an explicit ``mutuality=``."""
    if reward is not None and not isinstance(reward, str):
        raise TypeError(f"reward must be one of {sorted(REWARD_MODES)}, got {reward!r}; use mutuality= for numbers")
    if reward is not None and reward not in REWARD_MODES:
        raise ValueError(f"unknown reward mode {reward!r}; choose one of {sorted(REWARD_MODES)} or pass mutuality=m in [0, 2]")
    if mutuality is None:
        return REWARD_MODES[reward or "integrated"]
    m = float(mutuality)
    if not (np.isfinite(m) and 0.0 <= m <= 2.0):
        raise ValueError(f"mutuality must be in [0, 2], got {mutuality!r}")
    if reward is not None and REWARD_MODES[reward] != m:
        raise ValueError(f"reward={reward!r} means mutuality={REWARD_MODES[reward]}, but mutuality={m} was also given")
    return m


def rewards(pi: np.ndarray, W: np.ndarray | None, own: np.ndarray | None, m: float,
            active: np.ndarray | None = None) -> np.ndarray:
    """Per-agent rewards (..., n) from payoffs pi (..., n), weights W (..., n, n), own terms.

    ``W`` None means no interdependence (W = 0); ``own`` None means no own terms.
    ``active`` (..., n) marks the agents in the game: the others get 0 and the
    cooperative mean runs over the active agents only.
    """
    r = pi if own is None else pi + own
    if W is None or m == 0.0:
        integrated = r
    else:
        spill = (W @ pi[..., None])[..., 0]
        integrated = r + spill if m >= 1.0 else r + m * spill
    if active is not None:
        integrated = np.where(active, integrated, 0.0)
    if m <= 1.0:
        return integrated
    w = m - 1.0
    if active is None:
        mean = integrated.mean(axis=-1, keepdims=True)
    else:
        mean = integrated.sum(axis=-1, keepdims=True) / np.maximum(active.sum(axis=-1, keepdims=True), 1)
    r = (1.0 - w) * integrated + w * mean
    return r if active is None else np.where(active, r, 0.0)
