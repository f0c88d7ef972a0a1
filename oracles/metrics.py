"""Exploitability (NashConv) of a policy profile, and the gap to an oracle.

NashConv(pi) = sum_i max(0, max_c R_i(c, pi_-i) - R_i(pi))  (Lanctot et al. 2017, restricted to
stationary deviations): each agent's gain from its best *constant* action c in [0, e_i] over the
episode while every other agent keeps following the profile. Returns are episode sums of the
environment's rewards (its reward mode), on the batched core: every candidate deviation of every
agent is one row of one batch (``oracles.solvers.best_responses``: a grid over [0, e_i], then
zooming rounds), averaged over the given seeds.

``gap_percent(R, R_oracle) = (R - R_oracle) / |R_oracle| x 100`` (SPEC section 8) is the one
definition the runner and the leaderboard use (``coopgym.runner.stats``), re-exported here.
"""
from __future__ import annotations

import numpy as np

from coopgym.envs import make_game
from coopgym.oracles import solvers
from coopgym.runner.stats import gap_percent  # (R - R_oracle) / |R_oracle| x 100, None when R_oracle = 0

__all__ = ["exploitability", "gap_percent"]


def exploitability(env_id: str, policy, seeds=(0,), grid: int = 33, game=None, **options) -> dict:
    """NashConv of ``policy`` (a registered name or a Policy acting for every agent) on ``env_id``.

    Returns nash_conv (sum of the agents' gains), gains (per agent), best_response (each agent's
    best constant action), returns (the profile's mean episode return per agent) and relative
    (nash_conv / mean |return|). ``options`` are ``make_game`` options; ``game`` a prebuilt game.
    """
    from coopgym.registry import make_policy

    game = make_game(env_id, **options) if game is None else game
    policy = make_policy(policy).bind(game)
    n = game.n
    here = solvers.episode_values(game, np.zeros((1, n)), "reward", seeds, policy,
                                  np.zeros((1, n), dtype=bool))[0]
    f = solvers.episode_objective(game, "reward", seeds, policy)
    lo, hi = np.zeros((1, n)), game.e[None].astype(float)
    x, best, _ = solvers.best_responses(f, 0.5 * hi, lo, hi, grid=grid, include_current=False)
    gains = np.maximum(best[0] - here, 0.0)
    scale = max(float(np.abs(here).mean()), 1e-12)
    return {"nash_conv": float(gains.sum()), "gains": gains.tolist(), "best_response": x[0].tolist(),
            "returns": here.tolist(), "relative": float(gains.sum()) / scale}
