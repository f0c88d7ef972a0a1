"""TR-4 reciprocity: memory, bounded response, reciprocity utility, evolution rule and the batched simulator."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopgym.mechanisms import reciprocity as rc
from coopgym.mechanisms import trust as tr


def _pushed(actions, K):
    h, count = np.zeros((K, 1)), np.asarray(0)
    for x in actions:
        h, count = rc.push_history(h, count, np.array([x]))
    return h, count


def test_memory_mean_with_fewer_than_k_steps_and_after_wrapping():
    h, count = _pushed([1.0, 2.0, 6.0], K=5)
    assert int(count) == 3
    assert rc.memory_mean(h, count)[0] == pytest.approx(3.0)          # min(k, t - 1) = 3 steps
    assert rc.memory_mean(h, count, k=2)[0] == pytest.approx(4.0)     # the last two
    h, count = _pushed([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], K=5)   # wrapped: rows hold 6 7 3 4 5
    assert rc.memory_mean(h, count)[0] == pytest.approx(5.0)
    assert rc.memory_mean(h, count, k=3)[0] == pytest.approx(6.0)
    assert rc.memory_mean(h, count, k=1)[0] == pytest.approx(7.0)
    empty = np.zeros((5, 1))
    assert math.isnan(rc.memory_mean(empty, 0)[0])
    assert rc.memory_mean(empty, 0, fallback=np.array([9.0]))[0] == 9.0
    with pytest.raises(ValueError, match="memory window"):
        rc.memory_mean(h, count, k=6)


def test_memory_mean_per_batch_counts_and_windows():
    hist = np.zeros((2, 4, 2))
    count = np.zeros(2, dtype=int)
    for t in range(6):
        a = np.array([[t, 10.0 * t], [t + 100.0, 0.0]])
        hist, count = rc.push_history(hist, count, a)
    abar = rc.memory_mean(hist, count, k=np.array([2, 4]))
    assert abar[0] == pytest.approx([4.5, 45.0])              # last 2 of 0..5
    assert abar[1] == pytest.approx([103.5, 0.0])             # last 4 of 100..105
    # games at different points of their episodes (counts 6 and 2) take one more step together
    h0, c0 = _pushed([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], K=4)
    h1, c1 = _pushed([10.0, 20.0], K=4)
    hist, count = rc.push_history(np.stack([h0, h1]), np.array([int(c0), int(c1)]), np.array([[7.0], [30.0]]))
    assert count.tolist() == [7, 3]
    assert rc.memory_mean(hist, count)[:, 0] == pytest.approx([5.5, 20.0])


@settings(max_examples=100, deadline=None)
@given(st.floats(-1e6, 1e6), st.floats(0.0, 10.0))
def test_bounded_response(x, kappa):
    phi = rc.bounded_response(x, kappa)
    assert abs(phi) <= 1.0
    assert phi == pytest.approx(math.tanh(kappa * x))


def test_sensitivity_zero_on_diagonal_and_where_no_dependency():
    D = np.array([[0.0, 0.5, 0.0], [0.7, 0.0, 0.2], [0.4, 0.0, 0.0]])
    rho = rc.sensitivity(D, 1.2, 1.5)
    assert rho[0, 1] == pytest.approx(1.2 * 0.5 ** 1.5)
    assert rho[1, 2] == pytest.approx(1.2 * 0.2 ** 1.5)
    assert rho[0, 2] == 0.0 and rho[2, 1] == 0.0 and np.all(np.diag(rho) == 0.0)
    assert rc.sensitivity(D, 1.0, 0.0)[0, 2] == 0.0            # 0 ** 0 would be 1


def test_reciprocity_utility_by_hand():
    D = np.array([[0.0, 0.5], [0.7, 0.0]])
    T = np.array([[1.0, 0.6], [0.8, 1.0]])
    s = np.array([-5.0, 20.0])                                 # deviations of agents 0 and 1
    sigma = np.array([10.0, 10.0])                             # e / 10 with e = 100
    U = rc.reciprocity_utility(s, T, D, 1.0, 1.0, 1.0, 1.5, 0.6, sigma)
    u0 = 1.5 * 0.6 * (1 + 0.6 * 0.5) * 0.5 * math.tanh(20 / 10)
    u1 = 1.5 * 0.8 * (1 + 0.6 * 0.7) * 0.7 * math.tanh(-5 / 10)
    assert U == pytest.approx([u0, u1])


def test_evolution_step_by_hand():
    D = np.array([[0.0, 0.5], [0.5, 0.0]])
    T = np.array([[1.0, 0.6], [0.6, 1.0]])
    a, b = np.array([0.3, 1.0]), np.array([0.3, 0.3])
    s = np.array([0.0, 0.7])
    out = rc.evolution_step(a, s, b, T, D, 1.0, 1.0, 1.0, 1.0, 0.6, 1.0)
    push0 = 1.0 * 0.6 * 1.3 * 0.5 * math.tanh(0.7)
    assert out[0] == pytest.approx(0.3 + 0.12 * push0)
    assert out[0] == pytest.approx(0.32829, abs=1e-5)
    assert out[1] == pytest.approx(1.0 - 0.05 * 0.7)            # no news from agent 0: decay only
    # clipped to [0, e]
    low = rc.evolution_step(np.array([0.001, 0.3]), np.array([0.0, -5.0]), b, T, D, 2.0, 1.0, 2.0, 2.0, 0.6, 1.0)
    assert low[0] == 0.0


def _reference_run(a0, b, D, T0, rho0, eta, kappa, k, lam, omega, steps, forced, shocks, p):
    """A plain per-step loop over python lists, for one game."""
    a, T, R = a0.copy(), T0.copy(), np.zeros_like(T0)
    past, out = [], []
    for t in range(steps + 1):
        a = np.where(np.isfinite(forced[t]), forced[t], a)
        a = np.clip(a + shocks[t], 0.0, 1.0)
        out.append(a.copy())
        if t == steps:
            break
        abar = np.mean(past[-k:], axis=0) if past else a
        s = a - abar
        push = np.zeros(2)
        for i in range(2):
            for j in range(2):
                if i != j and D[i, j] > 0:
                    push[i] += lam * T[i, j] * (1 + omega * D[i, j]) * rho0 * D[i, j] ** eta * math.tanh(kappa * s[j])
        nxt = np.clip(a + 0.12 * push - 0.05 * (a - b), 0.0, 1.0)
        T, R = tr.trust_update(T, R, tr.trust_signal(a, b, tr.signal_gain(p.kappa, 0.1)), D, p)
        past.append(a.copy())
        a = nxt
    return np.array(out)


def test_simulator_matches_a_plain_loop_and_batches_configurations():
    rng = np.random.default_rng(5)
    steps, B = 30, 6
    D = np.array([[0.0, 0.4], [0.7, 0.0]])
    forced = np.full((steps + 1, 2), np.nan)
    forced[:, 1] = np.where(np.arange(steps + 1) < 10, 0.3, 0.9)
    forced[15:18, 1] = 0.0
    shocks = np.zeros((steps + 1, 2))
    shocks[20, 0] = -0.2
    rho0, eta, kappa = rng.uniform(0.5, 2, B), rng.uniform(0.8, 2, B), rng.uniform(0.5, 2, B)
    k, lam, T0 = rng.integers(1, 21, B), rng.uniform(0.5, 2, B), rng.uniform(0.3, 0.9, B)
    T0m = T0[:, None, None] * (1 - np.eye(2)) + np.eye(2)
    p = tr.TrustParams()
    traj = rc.simulate(np.full(2, 0.3), np.full(2, 0.3), 1.0, D, T0m, rho0, eta, kappa, k, lam, 0.8, steps,
                       forced=forced, shocks=shocks, trust=p, k_max=20, record_trust=True)
    assert traj.actions.shape == (B, steps + 1, 2) and traj.trust.shape == (B, steps + 1, 2, 2)
    for b in range(B):
        ref = _reference_run(np.full(2, 0.3), np.full(2, 0.3), D, T0m[b], rho0[b], eta[b], kappa[b], int(k[b]),
                             lam[b], 0.8, steps, forced, shocks, p)
        assert traj.actions[b] == pytest.approx(ref, abs=1e-12)
    assert np.all(traj.actions[:, :, 1] == forced[:, 1])


def test_first_response_pinned_and_fixed_trust_without_trust_dynamics():
    D = np.array([[0.0, 0.5], [0.5, 0.0]])
    T0 = np.array([[1.0, 0.6], [0.6, 1.0]])
    forced = np.full((11, 2), np.nan)
    forced[:, 1] = np.where(np.arange(11) < 5, 0.3, 1.0)
    traj = rc.simulate(np.full(2, 0.3), np.full(2, 0.3), 1.0, D, T0, 1.0, 1.0, 1.0, 5, 1.0, 0.6, 10, forced=forced)
    assert traj.actions[:6, 0] == pytest.approx([0.3] * 6)
    assert traj.actions[6, 0] == pytest.approx(0.3 + 0.12 * 0.39 * math.tanh(0.7))
    assert traj.reciprocity[5, 0] == pytest.approx(0.39 * math.tanh(0.7))
    # s at t = 6: 1 - mean(.3, .3, .3, .3, 1) = .56
    assert traj.reciprocity[6, 0] == pytest.approx(0.39 * math.tanh(0.56))
    assert traj.trust == pytest.approx(T0)                      # no trust dynamics: T stays T0


def test_no_reciprocity_leaves_only_the_decay():
    D = np.array([[0.0, 0.5], [0.5, 0.0]])
    T0 = np.array([[1.0, 0.9], [0.9, 1.0]])
    forced = np.full((21, 2), np.nan)
    forced[:, 1] = np.linspace(0, 1, 21)
    for lam, rho0 in ((0.0, 1.0), (1.0, 0.0)):
        traj = rc.simulate(np.array([0.8, 0.3]), np.full(2, 0.3), 1.0, D, T0, rho0, 1.0, 1.0, 5, lam, 0.6, 20,
                           forced=forced, trust=tr.TrustParams())
        assert traj.actions[:, 0] == pytest.approx(0.3 + 0.5 * 0.95 ** np.arange(21))


@settings(max_examples=40, deadline=None)
@given(st.floats(0.5, 2), st.floats(0.8, 2), st.floats(0.5, 2), st.integers(1, 20), st.floats(0.5, 2),
       st.floats(0.3, 0.9), st.integers(0, 2 ** 32 - 1))
def test_responses_and_actions_stay_bounded(rho0, eta, kappa, k, lam, T0, seed):
    rng = np.random.default_rng(seed)
    n, steps = 3, 25
    D = rng.uniform(0, 1, (n, n)) * (1 - np.eye(n))
    e = np.array([1.0, 0.8, 0.6])
    shocks = rng.normal(0, 0.3, (steps + 1, n))
    traj = rc.simulate(rng.uniform(0, 1, n) * e, 0.5 * e, e, D, np.full((n, n), T0), rho0, eta, kappa, k, lam, 1.0,
                       steps, shocks=shocks, trust=tr.TrustParams(), k_max=20)
    assert np.all(np.isfinite(traj.actions)) and np.all(traj.actions >= 0) and np.all(traj.actions <= e)
    assert np.all(np.abs(traj.reciprocity) <= traj.bound + 1e-12)
    s = rng.normal(0, 100, n)
    U = rc.reciprocity_utility(s, np.full((n, n), T0), D, rho0, eta, kappa, lam, 1.0, e / 10)
    W = rc.reciprocity_weights(np.full((n, n), T0), D, rho0, eta, lam, 1.0)
    assert np.all(np.abs(U) <= W.sum(axis=-1) + 1e-12)
