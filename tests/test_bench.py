"""The bench's bare kernel computes exactly the game's step, so its ratios are honest."""
import numpy as np
import pytest

from coopgym.bench import rate, side_by_side, trust_kernel
from coopgym.envs import make_game


@pytest.mark.parametrize("env_id, options", [("TrustDilemma-v0", {}), ("SLCD-v0", {"reward": "private"}),
                                             ("RecoveryRace-v0", {"n_agents": 5, "mutuality": 0.4})])
def test_kernel_equals_game_step(env_id, options):
    game = make_game(env_id, **options)
    state = game.reset(np.arange(32, dtype=np.uint64))
    kernel = trust_kernel(game, 32)
    rng = np.random.default_rng(0)
    T, R = state.T, state.R
    for _ in range(20):
        a = rng.uniform(-10, 1.2, size=(32, game.n)) * game.e
        state, res = game.step(state, a)
        T, R, r = kernel(T, R, a)
        np.testing.assert_allclose(T, state.T, atol=1e-12)
        np.testing.assert_allclose(R, state.R, atol=1e-12)
        np.testing.assert_allclose(r, res.rewards, rtol=1e-10)


def test_rate_counts_work_per_second():
    assert rate(lambda: None, work=10, min_seconds=0.01) > 0


def test_side_by_side_times_every_step_in_turns():
    order = []
    r = side_by_side({"a": (lambda: order.append("a"), 1), "b": (lambda: order.append("b"), 4)},
                     min_seconds=0.02, repeats=4)
    assert set(r) == {"a", "b"} and min(r.values()) > 0
    turns = [name for i, name in enumerate(order) if i == 0 or order[i - 1] != name]
    assert turns[:2] == ["a", "b"] and len(turns) >= 2 * 4   # warm-ups, then four windows each, alternating


def test_policy_rates_reports_training_throughput():
    from coopgym.bench import policy_rates

    (row,) = policy_rates(["vdn"], steps=500, repeats=2)
    assert row["policy"] == "vdn" and row["repeats"] == 2 and row["steps"] == 500
    assert row["env_steps_per_s"] == pytest.approx(500 / row["seconds"])
    assert row["env_steps_per_s"] >= row["median_env_steps_per_s"] > 0   # the fastest of the runs, the median beside
    assert row["ratio"] == pytest.approx(row["bare_env_steps_per_s"] / row["env_steps_per_s"])
    with pytest.raises(ValueError, match="repeats"):
        policy_rates(["vdn"], steps=500, repeats=0)
