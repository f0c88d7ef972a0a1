"""The reward layer: named modes, the mutuality knob, and invariants on every environment."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from coopgym.envs import get_spec, make_game
from coopgym.rewards import REWARD_MODES, resolve_mutuality, rewards

from conftest import ENV_IDS, random_actions

finite = st.floats(-1e3, 1e3, allow_nan=False)


@st.composite
def payoff_problem(draw):
    n = draw(st.integers(2, 6))
    pi = draw(arrays(float, (3, n), elements=finite))
    W = draw(arrays(float, (3, n, n), elements=st.floats(0, 1)))
    W = W * (1 - np.eye(n))
    own = draw(arrays(float, (3, n), elements=finite))
    return pi, W, own


@given(payoff_problem(), st.floats(0, 2))
def test_zero_interdependence_makes_every_mode_private_below_one(problem, m):
    pi, W, own = problem
    r = rewards(pi, np.zeros_like(W), own, min(m, 1.0))
    np.testing.assert_allclose(r, pi + own)


@given(payoff_problem())
def test_cooperative_rewards_are_equal_across_agents(problem):
    pi, W, own = problem
    r = rewards(pi, W, own, 2.0)
    np.testing.assert_allclose(r, np.repeat(r[:, :1], r.shape[1], axis=1), rtol=1e-9, atol=1e-9)


@given(payoff_problem(), st.floats(0, 1))
def test_mutuality_interpolates_private_to_integrated(problem, m):
    pi, W, own = problem
    private, integrated = rewards(pi, W, own, 0.0), rewards(pi, W, own, 1.0)
    np.testing.assert_allclose(rewards(pi, W, own, m), private + m * (integrated - private), atol=1e-7)


@given(payoff_problem(), st.floats(1, 2))
def test_mutuality_interpolates_integrated_to_cooperative(problem, m):
    pi, W, own = problem
    integrated, cooperative = rewards(pi, W, own, 1.0), rewards(pi, W, own, 2.0)
    np.testing.assert_allclose(rewards(pi, W, own, m), integrated + (m - 1) * (cooperative - integrated), atol=1e-7)


def test_named_modes_are_mutuality_0_1_2():
    assert REWARD_MODES == {"private": 0.0, "integrated": 1.0, "cooperative": 2.0}
    for name, m in REWARD_MODES.items():
        assert resolve_mutuality(name) == m
        assert resolve_mutuality(name, m) == m
    with pytest.raises(ValueError, match="mutuality must be in"):
        resolve_mutuality(None, 2.5)
    with pytest.raises(ValueError, match="unknown reward mode"):
        resolve_mutuality("selfish")
    with pytest.raises(ValueError, match="means mutuality"):
        resolve_mutuality("private", 1.0)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_modes_match_mutuality_values(env_id):
    rng = np.random.default_rng(1)
    for name, m in REWARD_MODES.items():
        by_name, by_m = make_game(env_id, reward=name), make_game(env_id, mutuality=m)
        s1, s2 = by_name.reset(np.arange(8, dtype=np.uint64)), by_m.reset(np.arange(8, dtype=np.uint64))
        for _ in range(5):
            a = random_actions(by_name, rng, 8)
            s1, r1 = by_name.step(s1, a)
            s2, r2 = by_m.step(s2, a)
            np.testing.assert_array_equal(r1.rewards, r2.rewards)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_cooperative_rewards_equal_and_d0_integrated_equals_private(env_id):
    rng = np.random.default_rng(2)
    coop = make_game(env_id, reward="cooperative")
    state = coop.reset(np.arange(16, dtype=np.uint64))
    for _ in range(10):
        state, res = coop.step(state, random_actions(coop, rng, 16))
        np.testing.assert_allclose(res.rewards, res.rewards[:, :1].repeat(coop.n, axis=1), rtol=1e-10)
    if "D" in get_spec(env_id).family.defaults:
        games = [make_game(env_id, reward=mode, params={"D": 0.0}) for mode in ("private", "integrated")]
        states = [g.reset(np.arange(16, dtype=np.uint64)) for g in games]
        for _ in range(10):
            a = random_actions(games[0], rng, 16)
            (s0, r0), (s1, r1) = games[0].step(states[0], a), games[1].step(states[1], a)
            states = [s0, s1]
            np.testing.assert_allclose(r0.rewards, r1.rewards)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(ENV_IDS), st.data())
def test_rewards_finite_for_every_action_and_allowed_n(env_id, data):
    lo, hi = get_spec(env_id).allowed_n
    n = data.draw(st.integers(lo, min(hi, 12)))
    if env_id.startswith("DynamicPartnerSelection") and n % 2:
        n += 1 if n < hi else -1
    game = make_game(env_id, n_agents=n)
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    state = game.reset(np.arange(4, dtype=np.uint64) + np.uint64(seed))
    for _ in range(data.draw(st.integers(1, 30))):
        state, res = game.step(state, random_actions(game, rng, 4))
        assert np.isfinite(res.rewards).all() and np.isfinite(res.payoffs).all()
        obs = game.observe(state)
        assert np.isfinite(obs).all() and obs.min() >= 0 and obs.max() <= 1
