"""ReputationMarket-v0 pays by the tier of the post-step public reputation (docs/reproducibility.md)."""
import math

import numpy as np
import pytest

from coopgym.envs import make_game


def test_tier_uses_the_reputation_after_the_step():
    game = make_game("ReputationMarket-v0", reward="private")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    # step 1: agent 0 gives nothing, reputation .5 -> .45 (probation, x.70); the others stay at .5 (x1.00).
    # With a zero action the synergy term vanishes: pi_0 = 100 - 0 + 18 ln 1 = 100, paid x.70 = 70
    # (a pre-step tier would pay x1.00 = 100).
    state, res = game.step(state, np.array([[0.0, 50.0, 50.0, 50.0, 50.0]]))
    assert res.payoffs[0, 0] == pytest.approx(70.0, abs=1e-9)
    assert res.payoffs[0, 1] == pytest.approx(100.0 - 50.0 + 18.0 * math.log(51.0), abs=1e-9)
    # step 2: agent 0 gives everything, .45 -> .50 (standard again, x1.00; pre-step would be x.70).
    # pi_0 = 100 - 100 + 18 ln 101 + (1/5) .5 (100 * 50^4)^(1/5)
    state, res = game.step(state, np.array([[100.0, 50.0, 50.0, 50.0, 50.0]]))
    pi0 = 18.0 * math.log(101.0) + 0.2 * 0.5 * (100.0 * 50.0 ** 4) ** 0.2
    assert res.payoffs[0, 0] == pytest.approx(pi0, abs=1e-9)
    np.testing.assert_allclose(state.extra["reputation"][0], [0.5, 0.5, 0.5, 0.5, 0.5], atol=1e-12)
