"""The run metrics against hand-computed numbers and independent re-computations from plain rollouts."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopgym import rng
from coopgym.envs import make_game
from coopgym.runner import metrics
from coopgym.runner.execute import EVAL_SEED_OFFSET, evaluate
from coopgym.runner.metrics import Episodes, gini, run_metrics


def sorted_gini(x):
    """The textbook Gini of non-negative values from the sorted form G = 2 sum_i i x_(i) / (n sum x) - (n+1)/n."""
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    return 2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n


def test_gini_hand_computed():
    assert gini([[1.0, 3.0]])[0] == 0.25                  # |1-3| x 2 / (2 x 2 x 4)
    assert gini([[0.0, 0.0, 6.0]])[0] == pytest.approx(2 / 3)   # one agent has everything: (m - 1) / m
    assert gini([[5.0, 5.0, 5.0]])[0] == 0.0
    assert gini([[-1.0, 1.0]])[0] == 0.5                  # 4 / (2 x 2 x (1 + 1)): negatives keep G in [0, 1]
    assert gini([[0.0, 0.0]])[0] == 0.0                   # nothing earned by anyone: perfectly equal
    # the absent agent (payoff 0, never in the game) does not count: two equal agents
    assert gini([[5.0, 0.0, 5.0]], np.array([[True, False, True]]))[0] == 0.0
    assert gini([[5.0, 0.0, 5.0]])[0] == pytest.approx(1 / 3)   # counted, it would: 20 / (2 x 3 x 10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=8), st.floats(0.01, 100))
def test_gini_bounds_and_invariances(values, scale):
    x = np.array(values)
    g = gini(x[None])[0]
    assert -1e-12 <= g <= 1 + 1e-12
    assert gini(x[::-1][None])[0] == pytest.approx(g, abs=1e-12)        # order does not matter
    assert gini(scale * x[None])[0] == pytest.approx(g, abs=1e-9)       # nor the unit
    if (x >= 0).all() and x.sum() > 0:
        assert g == pytest.approx(sorted_gini(x), abs=1e-9)            # the textbook Gini where it is defined


def test_run_metrics_hand_computed():
    ep = Episodes(rewards=np.array([[10.0, 30.0], [0.0, 20.0]]), payoffs=np.array([[4.0, 12.0], [6.0, 6.0]]),
                  effort=np.array([[1.0, 2.0], [3.0, 0.0]]), active_steps=np.array([[4.0, 4.0], [3.0, 3.0]]),
                  lengths=np.array([4, 3]), final_trust=np.array([0.2, 0.6]))
    out = run_metrics(ep)
    assert out["return"] == 15.0                                 # (20 + 10) / 2
    assert out["welfare"] == 14.0                                # (16 + 12) / 2
    assert out["equality"] == pytest.approx(0.875)               # 1 - (16 / 64), 1 - 0 -> mean .875
    assert out["cooperation"] == pytest.approx((3 / 8 + 3 / 6) / 2)   # per episode, then the mean
    assert out["trust"] == pytest.approx(0.4)
    ep.final_trust = None
    assert run_metrics(ep)["trust"] is None
    assert set(out) == set(metrics.METRICS)


def test_evaluation_metrics_equal_a_plain_rollout():
    """SLCD-v0 under the cooperative reward, constant/30: every metric re-computed from game.step directly."""
    episodes, seed = 3, 4
    out = evaluate("constant/30", "SLCD-v0", episodes, seed, {"mutuality": 2.0})
    game = make_game("SLCD-v0", mutuality=2.0)
    state = game.reset(rng.seed_keys(EVAL_SEED_OFFSET + seed, episodes))
    rewards, payoffs = np.zeros((episodes, 2)), np.zeros((episodes, 2))
    for _ in range(game.horizon):
        state, res = game.step(state, np.tile(0.3 * game.e, (episodes, 1)))
        rewards += res.rewards
        payoffs += res.payoffs
    m = out["metrics"]
    assert m["return"] == pytest.approx(rewards.mean(), rel=1e-12)
    assert m["welfare"] == pytest.approx(payoffs.sum(axis=1).mean(), rel=1e-12)
    assert m["equality"] == pytest.approx(np.mean([1 - sorted_gini(p) for p in payoffs]), rel=1e-12)
    assert m["cooperation"] == pytest.approx(0.3)
    # cooperative reward: every agent's reward is the team mean of integrated rewards, not the private payoff
    assert m["return"] != pytest.approx(m["welfare"] / 2)


def test_variable_agents_count_only_while_in_the_game():
    """ApacheProject-v0 historical: agents join and leave; a plain loop tracks who was in."""
    episodes, seed = 2, 1
    opts = {"mutuality": 0.0, "phase": "historical"}
    out = evaluate("constant/40", "ApacheProject-v0", episodes, seed, opts)
    game = make_game("ApacheProject-v0", **opts)
    state = game.reset(rng.seed_keys(EVAL_SEED_OFFSET + seed, episodes))
    payoffs, rewards = np.zeros((episodes, game.n)), np.zeros((episodes, game.n))
    present = np.zeros((episodes, game.n), dtype=bool)
    running, seats_empty = np.ones(episodes, dtype=bool), 0
    while running.any():
        active = state.active.copy()
        state, res = game.step(state, np.tile(0.4 * game.e, (episodes, 1)))
        payoffs += np.where(running[:, None] & active, res.payoffs, 0.0)
        rewards += np.where(running[:, None], res.rewards, 0.0)
        present |= running[:, None] & active
        seats_empty += int((~active[running]).sum())
        running &= ~(res.terminated | res.truncated)
    assert seats_empty > 0, "the historical schedule leaves seats empty (8 of 40 agents at first)"
    m = out["metrics"]
    assert m["return"] == pytest.approx(rewards.sum(axis=1).mean() / game.n, rel=1e-12)   # per seat
    assert m["welfare"] == pytest.approx(payoffs.sum(axis=1).mean(), rel=1e-12)
    expected = np.mean([1 - sorted_gini(p[k]) for p, k in zip(payoffs, present)])
    assert m["equality"] == pytest.approx(expected, rel=1e-12)
    assert m["cooperation"] == pytest.approx(0.4)          # inactive agents act 0 but are not counted
