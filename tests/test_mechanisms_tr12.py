"""TR-1 and TR-2 equations pinned to numbers computed by hand."""
import math

import numpy as np
import pytest

from coopgym.envs import make_game
from coopgym.mechanisms import trust as tr
from coopgym.mechanisms import value as tv
from coopgym.mechanisms.interdependence import DependencyModel, alternatives, power_index, vulnerability_index


def test_log_and_power_value():
    assert tv.log_value(np.array(19.0), 20.0) == pytest.approx(20 * math.log(20))
    assert tv.power_value(np.array(16.0), 0.75) == pytest.approx(8.0)


def test_synergy_is_geometric_mean_and_zero_at_floor():
    assert tv.synergy(np.array([[4.0, 9.0]]))[0] == pytest.approx(6.0)
    assert tv.synergy(np.array([[2.0, 4.0, 8.0]]))[0] == pytest.approx(4.0)
    assert tv.synergy(np.array([[1e-11, 50.0], [0.0, 3.0]])).tolist() == [0.0, 0.0]
    many = np.full((1, 40), 7.0)  # the log path for large n
    assert tv.synergy(many)[0] == pytest.approx(7.0)
    # dg/da_i = g / (n a_i) against a central difference
    a = np.array([[3.0, 12.0]])
    h = 1e-6
    num = (tv.synergy(a + [[h, 0]]) - tv.synergy(a - [[h, 0]])) / (2 * h)
    assert tv.synergy_grad(a)[0, 0] == pytest.approx(num[0], rel=1e-6)


def test_private_payoff_by_hand():
    # SLCD: e 100, theta 20, gamma .65, alpha .55/.45, a = (40, 40): g = 40
    a = np.array([[40.0, 40.0]])
    pi = tv.private_payoff(a, 100.0, tv.log_value(a, 20.0), tv.synergy(a), np.array([0.55, 0.45]), 0.65)
    f = 20 * math.log(41)
    assert pi[0, 0] == pytest.approx(100 - 40 + f + 0.55 * 0.65 * 40)
    assert pi[0, 1] == pytest.approx(100 - 40 + f + 0.45 * 0.65 * 40)


def test_integrated_utility_by_hand():
    pi = np.array([10.0, 20.0])
    W = np.array([[0.0, 0.5], [0.25, 0.0]])
    assert tv.integrated_utility(pi, W).tolist() == [20.0, 22.5]


def test_slcd_nash_baseline_is_19_by_grid_on_the_core():
    """D = 0, gamma = 0, log spec: 20 / (1 + a) = 1 gives a = 19; found here by a grid on game.step."""
    game = make_game("SLCD-v0", params={"D": 0.0, "gamma": 0.0}, trust=False, reward="private")
    grid = np.linspace(0, 100, 10001)
    state = game.reset(np.zeros(len(grid), dtype=np.uint64))
    for partner in (0.0, 19.0, 70.0):  # a dominant strategy: the partner does not matter
        actions = np.column_stack([grid, np.full_like(grid, partner)])
        _, res = game.step(state, actions)
        assert grid[np.argmax(res.rewards[:, 0])] == pytest.approx(19.0)
        actions = np.column_stack([np.full_like(grid, partner), grid])
        _, res = game.step(state, actions)
        assert grid[np.argmax(res.rewards[:, 1])] == pytest.approx(19.0)


def test_dependency_model_compiles_to_D():
    m = DependencyModel(["A", "B", "C"])
    m.need("A", "panels", importance=2.0, B=1.0)
    m.need("A", "distribution", importance=1.0, B=alternatives(2), C=alternatives(2))
    m.need("B", "capital", importance=1.0, A=0.2)
    D = m.matrix()
    expected = np.array([[0, 2.5 / 3, 0.5 / 3], [0.2, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(D, expected)
    # power_A = sum_j D_jA / (1 + sum_j D_Aj) = 0.2 / 2; vulnerability_A = 1 / (1 + 0.2)
    assert power_index(D)[0] == pytest.approx(0.1)
    assert vulnerability_index(D)[0] == pytest.approx(1 / 1.2)


def test_dependency_model_rejects_bad_input():
    m = DependencyModel(["A", "B"])
    with pytest.raises(ValueError, match="unknown dependee"):
        m.need("A", "x", Z=1.0).matrix()
    with pytest.raises(ValueError, match="criticality"):
        DependencyModel(["A", "B"]).need("A", "x", B=1.5).matrix()


P = tr.TrustParams(lambda_plus=0.1, lambda_minus=0.3, mu_R=0.6, delta_R=0.03, xi=0.5, kappa=1.0)


def _pair(T01, R01):
    T = np.array([[[0.0, T01], [0.0, 0.0]]])
    R = np.array([[[0.0, R01], [0.0, 0.0]]])
    return T, R


def test_trust_update_positive_signal():
    T, R = _pair(0.5, 0.0)
    s = tr.trust_signal(np.array([[0.0, 50.0]]), np.array([30.0, 30.0]), tr.signal_gain(1.0, np.array([10.0, 10.0])))
    assert s[0, 1] == pytest.approx(math.tanh(2.0))
    T2, R2 = tr.trust_update(T, R, s, np.full((2, 2), 0.5), P)
    assert T2[0, 0, 1] == pytest.approx(0.5 + 0.1 * math.tanh(2.0) * 0.5)
    assert R2[0, 0, 1] == 0.0


def test_trust_update_negative_signal_amplified_by_dependency():
    T, R = _pair(0.5, 0.0)
    s = np.array([[0.0, math.tanh(-1.0)]])
    D = np.array([[0.0, 0.5], [0.5, 0.0]])
    T2, R2 = tr.trust_update(T, R, s, D, P)
    assert T2[0, 0, 1] == pytest.approx(0.5 + 0.3 * math.tanh(-1.0) * 0.5 * 1.25)   # 0.357201...
    assert R2[0, 0, 1] == pytest.approx(0.6 * math.tanh(1.0))                        # 0.456956...


def test_trust_ceiling_clips_to_one_minus_damage():
    T, R = _pair(0.6, 0.5)
    T2, R2 = tr.trust_update(T, R, np.array([[0.0, 0.9]]), np.zeros((2, 2)), P)
    assert T2[0, 0, 1] == pytest.approx(0.5)            # clipped to Theta = 1 - R
    assert R2[0, 0, 1] == pytest.approx(0.5 * 0.97)     # damage decays at delta_R


def test_hysteresis_after_a_violation():
    """One defection then cooperation: damage decays geometrically and trust stays below its old level."""
    T, R = _pair(0.8, 0.0)
    T, R = tr.trust_update(T, R, np.array([[0.0, -0.9]]), np.zeros((2, 2)), P)
    R_after = R[0, 0, 1]
    for k in range(35):
        T, R = tr.trust_update(T, R, np.array([[0.0, 0.9]]), np.zeros((2, 2)), P)
    assert R[0, 0, 1] == pytest.approx(R_after * 0.97 ** 35)
    assert T[0, 0, 1] <= 1 - R[0, 0, 1] + 1e-12
    assert T[0, 0, 1] < 0.8


def test_diagonal_stays_zero_and_state_bounded():
    rng = np.random.default_rng(0)
    T = rng.uniform(size=(50, 4, 4)) * (1 - np.eye(4))
    R = rng.uniform(size=(50, 4, 4)) * (1 - np.eye(4))
    for _ in range(20):
        s = rng.uniform(-1, 1, size=(50, 4))
        T, R = tr.trust_update(T, R, s, np.full((4, 4), 0.9), P)
        assert np.all(np.diagonal(T, axis1=1, axis2=2) == 0) and np.all(np.diagonal(R, axis1=1, axis2=2) == 0)
        assert T.min() >= 0 and T.max() <= 1 and R.min() >= 0 and R.max() <= 1


def test_signal_scale_default_and_reference_platform():
    g = make_game("SLCD-v0")
    np.testing.assert_allclose(g.sigma, [10.0, 10.0])
    g1 = make_game("SLCD-v0", signal_scale=1.0)
    np.testing.assert_allclose(g1.sigma, [1.0, 1.0])
    with pytest.raises(ValueError, match="signal_scale"):
        make_game("SLCD-v0", signal_scale=-1)
