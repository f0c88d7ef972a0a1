"""TR-4 environments: the additive reciprocity utility by hand, memory, and the App Store's shocks."""
import math

import numpy as np
import pytest

from coopgym.envs import make_game
from coopgym.mechanisms import reciprocity as rc


def test_reciprocity_utility_by_hand():
    game = make_game("ReciprocalDilemma-v0", reward="private")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    state, res = game.step(state, np.array([[30.0, 30.0]]))
    np.testing.assert_allclose(res.rewards, res.payoffs)          # no memory on the first step: U_recip = 0
    state, res = game.step(state, np.array([[50.0, 30.0]]))
    # agent 0 rose 20 above its 1-step memory: s / sigma = 2; agent 1 did not move
    T10 = 0.5 + 0.10 * math.tanh(2.0) * (1 - 0.5)                # TR-2 update of agent 1's trust in agent 0
    u1 = 1.0 * T10 * (1 + 0.6 * 0.5) * (1.0 * 0.5 ** 1.0) * math.tanh(1.0 * 2.0)
    np.testing.assert_allclose(res.rewards[0] - res.payoffs[0], [0.0, u1], atol=1e-12)
    assert u1 == pytest.approx(0.3435128, rel=1e-6)
    pi1 = 100 - 30 + 20 * math.log(31) + 0.5 * 0.65 * math.sqrt(50 * 30)
    assert res.payoffs[0, 1] == pytest.approx(pi1)


def test_memory_is_the_mean_of_the_last_k_actions():
    game = make_game("GiftExchange-v0")          # k = 3
    state = game.reset(np.zeros(1, dtype=np.uint64))
    for a0 in (10.0, 20.0, 30.0, 40.0, 50.0):
        state, _ = game.step(state, np.array([[a0, 8.0]]))
    np.testing.assert_allclose(rc.memory_mean(state.extra["memory"], state.t)[0], [40.0, 8.0])


def test_reciprocity_enters_additively_and_vanishes_without_it():
    base = make_game("IndirectReciprocity-v0", reward="private", params={"lambda_R": 0.0})
    full = make_game("IndirectReciprocity-v0", reward="private")
    rng = np.random.default_rng(0)
    s0, s1 = base.reset(np.zeros(4, dtype=np.uint64)), full.reset(np.zeros(4, dtype=np.uint64))
    for _ in range(12):
        a = rng.uniform(0, 100, size=(4, 4))
        s0, r0 = base.step(s0, a)
        s1, r1 = full.step(s1, a)
        np.testing.assert_allclose(r0.rewards, r0.payoffs)         # lambda_R = 0: the payoff only
        np.testing.assert_allclose(r1.payoffs, r0.payoffs)         # reciprocity never scales the payoff
    assert not np.allclose(r1.rewards, r0.rewards)


def test_apple_shocks_push_realised_actions():
    game = make_game("AppleAppStore-v0")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    realised = {}
    for t in range(game.horizon):
        state, res = game.step(state, np.array([[50.0, 40.0, 30.0]]))
        realised[t + 1] = res.actions[0].copy()
    np.testing.assert_allclose(realised[35], [50.0, 40.0, 30.0])
    np.testing.assert_allclose(realised[36], [50.0, 40.0 - 0.15 * 80, 30.0 - 0.10 * 60])
    np.testing.assert_allclose(realised[48], [50.0 - 25.0, 40.0 - 0.40 * 80, 30.0])
    np.testing.assert_allclose(realised[54], [70.0, 40.0, 30.0])
    assert game.horizon == 66


def test_apple_single_phase_plays_its_quarters():
    game = make_game("AppleAppStore-v0", phase="conflict")   # Q49-54: the Q54 shock is its last step
    assert game.horizon == 6
    state = game.reset(np.zeros(1, dtype=np.uint64))
    for _ in range(6):
        state, res = game.step(state, np.array([[50.0, 40.0, 30.0]]))
    np.testing.assert_allclose(res.actions[0], [70.0, 40.0, 30.0])
    with pytest.raises(ValueError, match="unknown phase"):
        make_game("AppleAppStore-v0", phase="Q3")
