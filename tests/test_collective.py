"""TR-3 collective action and loyalty: equations pinned to hand-computed numbers, solvers, invariants."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopgym.mechanisms import collective as co

# the TR-3 sweep space (SPEC section 3)
omegas = st.floats(10, 50)
betas = st.floats(0.5, 0.9)
costs = st.floats(0.5, 2.0)
sizes = st.sampled_from([3, 4, 5, 6, 8])
thetas = st.floats(0.0, 1.0)
phi_Bs = st.floats(0.4, 1.0)
phi_Cs = st.floats(0.1, 0.5)


def test_output_payoff_loyalty_by_hand():
    # a = 25 each, omega 25, beta .7, c 1, n 4: S = 100, Q = 25 * 100^.7
    a = np.full((1, 4), 25.0)
    Q = 25 * 10 ** 1.4
    assert co.team_output(a, 25, 0.7)[0] == pytest.approx(Q)
    assert co.team_output(a, 25, 0.7)[0] == pytest.approx(627.9716, abs=1e-4)
    pi = Q / 4 - 25
    assert co.base_payoff(a, 25, 0.7, 1.0)[0] == pytest.approx([pi] * 4)
    # theta .5, phi_B .8, phi_C .3: L = .5 (.8 * pi + .3 * 1 * 25)
    L = 0.5 * (0.8 * pi + 0.3 * 25)
    theta = np.full((1, 4), 0.5)
    assert co.loyalty_modifier(a, theta, 25, 0.7, 1.0, 0.8, 0.3)[0] == pytest.approx([L] * 4)
    assert co.utility(a, theta, 25, 0.7, 1.0, 0.8, 0.3)[0] == pytest.approx([pi + L] * 4)


def test_loyalty_mean_over_the_other_members():
    a = np.array([[10.0, 20.0, 30.0, 40.0]])  # S = 100 again
    share = 25 * 10 ** 1.4 / 4
    pi = co.base_payoff(a, 25, 0.7, 1.0)[0]
    assert pi == pytest.approx([share - 10, share - 20, share - 30, share - 40])
    theta = np.array([[1.0, 0.0, 0.0, 0.0]])
    L0 = 1.0 * (0.8 * (share - 30) + 0.3 * 10)  # mean of 20, 30, 40 is 30
    assert co.loyalty_modifier(a, theta, 25, 0.7, 1.0, 0.8, 0.3)[0] == pytest.approx([L0, 0, 0, 0])


def test_members_share_only_their_own_output():
    a = np.array([[10.0, 20.0, 30.0, 40.0]])
    members = np.array([[True, True, False, True]])
    Q = 25 * 70 ** 0.7
    assert co.team_output(a, 25, 0.7, members)[0] == pytest.approx(Q)
    pi = co.base_payoff(a, 25, 0.7, 1.0, members)[0]
    assert pi == pytest.approx([Q / 3 - 10, Q / 3 - 20, -30, Q / 3 - 40])
    L = co.loyalty_modifier(a, np.full((1, 4), 0.5), 25, 0.7, 1.0, 0.8, 0.3, members)[0]
    assert L[2] == 0.0
    assert L[0] == pytest.approx(0.5 * (0.8 * ((pi[1] + pi[3]) / 2) + 0.3 * 10))
    alone = co.loyalty_modifier(a, np.full((1, 4), 0.5), 25, 0.7, 1.0, 0.8, 0.3, [[True, False, False, False]])[0]
    assert alone[0] == pytest.approx(0.5 * 0.3 * 10)  # no other member: the benefit term is 0


@settings(max_examples=40, deadline=None)
@given(omegas, st.floats(0.5, 1.0), costs, phi_Bs, phi_Cs, st.integers(0, 2 ** 32 - 1))
def test_gradient_matches_finite_differences(omega, beta, c, pB, pC, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(1.0, 50.0, (1, 5))
    theta = rng.uniform(0, 1, (1, 5))
    members = rng.uniform(size=(1, 5)) < 0.8
    g = co.utility_grad(a, theta, omega, beta, c, pB, pC, members)
    h = 1e-5
    for i in range(5):
        up, dn = a.copy(), a.copy()
        up[0, i] += h
        dn[0, i] -= h
        num = (co.utility(up, theta, omega, beta, c, pB, pC, members)[0, i]
               - co.utility(dn, theta, omega, beta, c, pB, pC, members)[0, i]) / (2 * h)
        assert g[0, i] == pytest.approx(num, rel=1e-5, abs=1e-6)


def test_cohesion_by_hand():
    theta = np.array([1.0, 0.5, 0.0])
    D = np.array([0.2, 0.3, 0.5])
    assert co.cohesion(theta, D) == pytest.approx(0.35)
    assert co.cohesion(theta, D, members=[True, True, False]) == pytest.approx(0.35 / 0.5)
    assert co.cohesion(theta, np.zeros(3)) == 0.0


def test_loyalty_dynamics_cases():
    theta = np.full(6, 0.5)
    a = np.array([40.0, 25.0, 10.0, 0.0, 50.0, 24.0])  # e = 50: r = .8, .5, .2, 0, 1, .48
    new = co.loyalty_update(theta, a, 50.0)
    assert new == pytest.approx([0.516, 0.51, 0.485, 0.475, 0.52, 0.5 - 0.05 * 0.02])
    assert co.loyalty_update(np.array([0.595]), np.array([50.0]), 50.0, cap=0.6) == pytest.approx([0.6])
    assert co.loyalty_update(np.array([0.01]), np.array([0.0]), 50.0) == pytest.approx([0.0])
    # a per-configuration cap (batch-shaped) against (..., n) loyalties
    caps = np.array([1.0, 0.7])
    out = co.loyalty_update(np.full((2, 3), 0.69), np.full((2, 3), 50.0), 50.0, cap=caps)
    assert out == pytest.approx(np.array([[0.71] * 3, [0.7] * 3]))


def test_free_riding_and_social_optimum_by_hand():
    a_star = (25 * 0.7 / (1.0 * 4 ** 1.3)) ** (1 / 0.3)
    assert a_star == pytest.approx(34.24, abs=0.01)
    assert co.free_riding_effort(25, 0.7, 1.0, 4, 50.0) == pytest.approx(a_star)
    assert co.free_riding_effort(25, 0.7, 1.0, 4, 20.0) == 20.0
    assert co.social_optimum_effort(25, 0.7, 1.0, 4, 1e9) == pytest.approx((17.5 ** (1 / 0.3)) / 4)
    # the social optimum maximises the total payoff over symmetric profiles
    grid = np.linspace(0.0, 5000.0, 500001)
    total = 25 * (4 * grid) ** 0.7 - 4 * grid
    assert grid[np.argmax(total)] == pytest.approx(co.social_optimum_effort(25, 0.7, 1.0, 4, 1e9), abs=0.02)


def test_free_riding_is_a_best_response_by_grid_search():
    rng = np.random.default_rng(7)
    for _ in range(20):
        omega, beta, c = rng.uniform(10, 50), rng.uniform(0.5, 0.9), rng.uniform(0.5, 2)
        n = int(rng.choice([3, 4, 5, 6, 8]))
        a_star = float(co.free_riding_effort(omega, beta, c, n, 50.0))
        grid = np.linspace(0.0, 50.0, 50001)
        profile = np.full((grid.size, n), a_star)
        profile[:, 0] = grid
        U = co.utility(profile, np.zeros(n), omega, beta, c, 0.8, 0.3)[:, 0]
        assert grid[np.argmax(U)] == pytest.approx(a_star, abs=2e-3)


def test_numerical_free_riding_matches_closed_form_on_sweep_configurations():
    rng = np.random.default_rng(11)
    B = 30
    omega, beta, c = rng.uniform(10, 50, B), rng.uniform(0.5, 0.9, B), rng.uniform(0.5, 2, B)
    n = rng.choice([3, 4, 5, 6, 8], B).astype(float)
    members = np.arange(8) < n[:, None]
    a0 = rng.uniform(0, 50, (B, 8))
    eq = co.equilibrium(np.zeros((B, 8)), omega, beta, c, 0.8, 0.3, 50.0, members=members, a0=a0)
    a_star = co.free_riding_effort(omega, beta, c, n, 50.0)
    assert eq.converged.all()
    assert eq.residual.max() < 1e-8
    assert np.all(np.abs(eq.actions.sum(axis=-1) / n - a_star) <= 0.01 * a_star)
    sym = co.symmetric_equilibrium(0.0, omega, beta, c, 0.8, 0.3, n, 50.0)
    assert sym.effort == pytest.approx(a_star, rel=1e-9)


def test_loyal_equilibrium_matches_closed_form_and_heterogeneous_corner():
    theta = np.full((1, 4), 0.6)
    eq = co.equilibrium(theta, 25, 0.6, 1.0, 0.8, 0.3, 1e6)
    closed = float(co.loyalty_effort(0.6, 25, 0.6, 1.0, 0.8, 0.3, 4, 1e6))
    assert eq.actions[0] == pytest.approx([closed] * 4, rel=1e-9)
    # heterogeneous loyalty: only the most loyal agent contributes, up to its own target total
    het = co.equilibrium(np.array([[0.9, 0.1, 0.3, 0.1]]), 25, 0.6, 1.0, 0.8, 0.3, 1e6, max_iter=2000)
    target = 4 * float(co.loyalty_effort(0.9, 25, 0.6, 1.0, 0.8, 0.3, 4, 1e6))
    assert het.actions[0] == pytest.approx([target, 0, 0, 0], abs=1e-6 * target)
    assert het.residual.max() < 1e-8


def test_linear_public_good_corners():
    # PublicGoods-v0: Q = 2 sum a (beta 1), n 5, phi_B .6, phi_C .2, e 50: free riding
    for theta in (0.0, 1.0):
        eq = co.equilibrium(np.full((1, 5), theta), 2.0, 1.0, 1.0, 0.6, 0.2, 50.0)
        assert eq.actions[0] == pytest.approx([0.0] * 5)
        assert co.symmetric_equilibrium(theta, 2.0, 1.0, 1.0, 0.6, 0.2, 5, 50.0).effort == 0.0
    # omega 5: marginal (1 + .6 theta) 5 / 5 against 1 - .2 theta: equal at theta 0 (-> 0), above at .5 (-> a_max)
    assert co.loyalty_effort(0.0, 5.0, 1.0, 1.0, 0.6, 0.2, 5, 50.0) == 0.0
    assert co.symmetric_equilibrium(0.5, 5.0, 1.0, 1.0, 0.6, 0.2, 5, 50.0).effort == 50.0
    eq = co.equilibrium(np.full((1, 5), 0.5), 5.0, 1.0, 1.0, 0.6, 0.2, 50.0)
    assert eq.actions[0] == pytest.approx([50.0] * 5) and eq.converged.all()
    assert co.loyalty_effort(0.5, 5.0, 1.0, 1.0, 0.6, 0.2, 5, 50.0) == 50.0


def test_members_equilibrium_is_the_smaller_team():
    members = np.array([[True, True, False, True, False, False]])
    eq = co.equilibrium(np.full((1, 6), 0.4), 25, 0.7, 1.0, 0.8, 0.3, 500.0, members=members)
    closed = float(co.loyalty_effort(0.4, 25, 0.7, 1.0, 0.8, 0.3, 3, 500.0))
    assert 0 < closed < 500
    assert eq.actions[0] == pytest.approx([closed, closed, 0, closed, 0, 0], rel=1e-9)


def test_batched_parameters_evaluate_many_configurations():
    omega = np.array([10.0, 25.0, 50.0])
    a = np.full((3, 4), 5.0)
    pi = co.base_payoff(a, omega, 0.7, 1.0)
    for b in range(3):
        assert pi[b] == pytest.approx(co.base_payoff(a[b], omega[b], 0.7, 1.0))


@settings(max_examples=60, deadline=None)
@given(omegas, st.floats(0.5, 1.0), costs, sizes, thetas, phi_Bs, phi_Cs, st.floats(1.0, 100.0))
def test_equilibrium_effort_is_in_the_box(omega, beta, c, n, theta, pB, pC, a_max):
    for x in (co.free_riding_effort(omega, beta, c, n, a_max), co.social_optimum_effort(omega, beta, c, n, a_max),
              co.loyalty_effort(theta, omega, beta, c, pB, pC, n, a_max),
              co.symmetric_equilibrium(theta, omega, beta, c, pB, pC, n, a_max).effort):
        assert np.isfinite(x) and 0.0 <= x <= a_max


@settings(max_examples=60, deadline=None)
@given(omegas, st.floats(0.5, 1.0), costs, sizes, phi_Bs, phi_Cs, st.integers(0, 2 ** 32 - 1))
def test_utility_finite_for_every_action_in_the_box(omega, beta, c, n, pB, pC, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 50, (64, n))
    a[rng.uniform(size=a.shape) < 0.2] = 0.0
    a[rng.uniform(size=a.shape) > 0.9] = 50.0
    a[0] = 0.0  # nobody works
    theta = rng.uniform(0, 1, (64, n))
    assert np.all(np.isfinite(co.utility(a, theta, omega, beta, c, pB, pC)))


@settings(max_examples=60, deadline=None)
@given(omegas, betas, costs, sizes, thetas, thetas, phi_Bs, phi_Cs)
def test_loyalty_raises_equilibrium_effort(omega, beta, c, n, t1, t2, pB, pC):
    lo, hi = sorted((t1, t2))
    e_lo = co.symmetric_equilibrium(lo, omega, beta, c, pB, pC, n, 50.0).effort
    e_hi = co.symmetric_equilibrium(hi, omega, beta, c, pB, pC, n, 50.0).effort
    assert e_hi >= e_lo * (1 - 1e-12)
    if hi > lo + 1e-6 and e_lo < 50.0 * (1 - 1e-9):
        assert e_hi > e_lo


def test_symmetric_solver_residual_and_closed_form_agree_over_a_batch():
    rng = np.random.default_rng(3)
    B = 2000
    args = (rng.uniform(0, 1, B), rng.uniform(10, 50, B), rng.uniform(0.5, 0.9, B), rng.uniform(0.5, 2, B),
            rng.uniform(0.4, 1, B), rng.uniform(0.1, 0.5, B), rng.choice([3, 4, 5, 6, 8], B), 50.0)
    sym = co.symmetric_equilibrium(*args)
    assert sym.effort == pytest.approx(co.loyalty_effort(*args), rel=1e-9)
    assert math.isfinite(sym.residual.max()) and sym.residual.max() < 1e-9
