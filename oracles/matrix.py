"""Matrix-game cross-checks with nashpy: discretise a two-agent stage game and solve it exactly.

The bimatrix is built on the batched core (every action pair one row of one
``step``), so it is the environment's own stage game at the reset state. Small
grids use support enumeration (all equilibria; exponential, so at most
``SUPPORT_LIMIT`` actions a player), larger ones Lemke-Howson (one equilibrium).
"""
from __future__ import annotations

import nashpy
import numpy as np

SUPPORT_LIMIT = 6


def bimatrix(game, grid0: np.ndarray, grid1: np.ndarray, state=None) -> tuple[np.ndarray, np.ndarray]:
    """Payoff matrices (A for agent 0, B for agent 1) of a two-agent game's stage at ``state``."""
    if game.n != 2:
        raise ValueError(f"matrix cross-checks need a two-agent game, {game.spec.id} has {game.n} agents")
    a0, a1 = np.meshgrid(grid0, grid1, indexing="ij")
    profiles = np.column_stack([a0.ravel(), a1.ravel()])
    start = game.reset(np.zeros(1, dtype=np.uint64)) if state is None else state
    _, res = game.step(start.rows(np.zeros(len(profiles), dtype=np.int64)), profiles)
    shape = (len(grid0), len(grid1))
    return res.rewards[:, 0].reshape(shape), res.rewards[:, 1].reshape(shape)


def discretised_equilibria(game, grid0: np.ndarray, grid1: np.ndarray) -> list[tuple[float, float]]:
    """Expected actions of the equilibria nashpy finds on the grid (support enumeration when small)."""
    A, B = bimatrix(game, grid0, grid1)
    g = nashpy.Game(A, B)
    if max(len(grid0), len(grid1)) <= SUPPORT_LIMIT:
        found = list(g.support_enumeration())
    else:
        found = [g.lemke_howson(initial_dropped_label=0)]
    return [(float(grid0 @ r), float(grid1 @ c)) for r, c in found]
