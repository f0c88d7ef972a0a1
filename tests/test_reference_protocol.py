"""The reference code's experiments on coopgym's mechanisms, pinned to closed forms and to plain scalar loops."""
import math

import numpy as np
import pytest

from coopgym.validation import reference as ref
from coopgym.validation import trust_sweep


@pytest.fixture(scope="module")
def tr3():
    return ref.tr3_reference()


@pytest.fixture(scope="module")
def tr4():
    return ref.tr4_reference(quick=True)


def _loyalty_gain(theta, beta, phi_B=0.8, phi_C=0.3):
    """a*(theta) / a*(0) for symmetric loyalty: ((1 + phi_B theta) / (1 - phi_C theta)) ** (1 / (1 - beta))."""
    return ((1 + phi_B * theta) / (1 - phi_C * theta)) ** (1 / (1 - beta))


def test_tr3_counts_and_closed_forms(tr3):
    assert tr3.n_configurations == 3125 and tr3.stats["configurations"] == 625
    counts = {t.name: t.n_configurations for t in tr3.targets}
    assert counts == {"free_riding_baseline": 3125, "loyalty_monotonicity": 625, "effort_differentiation": 625,
                      "team_size_effect": 125, "mechanism_synergy": 3125, "bounded_outcomes": 3125}
    # no effort reaches the cap on this grid, so the ratio depends on beta alone; the median config has beta .5
    assert tr3.stats["median_differentiation"] == pytest.approx(_loyalty_gain(0.9, 0.5) / _loyalty_gain(0.1, 0.5),
                                                                rel=1e-9)
    synergy = [(_loyalty_gain(0.7, b) - 1) / ((_loyalty_gain(0.7, b, phi_C=0.0) - 1) + (_loyalty_gain(0.7, b, phi_B=0.0) - 1))
               for b in ref.TR3_GRID["beta"]]
    assert tr3.stats["median_synergy"] == pytest.approx(synergy[2], rel=1e-9)
    assert min(synergy) > 1.1 and all(t.pass_rate == 1.0 for t in tr3.targets)


def test_tr3_free_riding_reaches_efforts_below_the_reference_solvers_bound():
    # a free-riding effort of the grid (omega 10, beta .4, c 3.5, n 8) lies below .01, the lower bound
    # of the reference suite's scalar search; coopgym's general solver reaches it
    a_star = (10 * 0.4 / (3.5 * 8 ** (2 - 0.4))) ** (1 / (1 - 0.4))
    eq = ref.col.equilibrium(np.zeros(8), 10.0, 0.4, 3.5, 0.0, 0.0, 50.0)
    assert a_star < 0.01
    assert eq.actions.mean() == pytest.approx(a_star, rel=1e-9)


def _scalar_dyad(rho0, eta, kappa, lam, T0, steps, set_at=None):
    """The reference dyad by plain scalar recursion: SPEC section 4's rule against the fixed baseline .3
    with TR-2 trust (canonical rates, signal tanh(a_j - .3), ceiling 1 - R)."""
    D = {(0, 1): 0.8, (1, 0): 0.4}
    a, T, R = [0.5, 0.5], {k: T0 for k in D}, {k: 0.0 for k in D}
    path = []
    for t in range(steps + 1):
        if set_at and t in set_at:
            a[set_at[t][0]] = set_at[t][1]
        path.append(list(a))
        if t == steps:
            break
        new = []
        for i in (0, 1):
            j = 1 - i
            push = lam * T[i, j] * (1 + 0.6 * D[i, j]) * rho0 * D[i, j] ** eta * math.tanh(kappa * (a[j] - 0.3))
            new.append(min(max(a[i] + 0.15 * push - 0.01 * (a[i] - 0.3), 0.0), 1.0))
        for (i, j), d in D.items():
            s = math.tanh(a[j] - 0.3)
            if s < 0:
                T[i, j] = max(min(T[i, j] + 0.30 * s * T[i, j] * (1 + 0.5 * d), 1 - R[i, j]), 0.0)
                R[i, j] = R[i, j] + 0.60 * abs(s) * (1 - R[i, j])
            else:
                T[i, j] = max(min(T[i, j] + 0.10 * s * max(1 - R[i, j] - T[i, j], 0.0), 1 - R[i, j]), 0.0)
                R[i, j] = R[i, j] * (1 - 0.03)
        a = new
    return np.array(path)


@pytest.mark.parametrize("p", [(0.5, 2.0, 0.5, 0.5, 0.3), (1.25, 1.4, 1.25, 1.25, 0.6), (2.0, 0.8, 2.0, 0.5, 0.9)])
def test_tr4_dyad_matches_a_scalar_loop(p):
    rho0, eta, kappa, lam, T0 = p
    arr = lambda x: np.array([x])  # noqa: E731
    for steps, shock in ((30, None), (100, {10: (1, 0.10)})):
        a, _ = ref.simulate_fixed_baseline(arr(T0), arr(rho0), arr(eta), arr(kappa), arr(lam), steps, shock)
        np.testing.assert_allclose(a[0], _scalar_dyad(rho0, eta, kappa, lam, T0, steps, shock), atol=1e-12)
    # the first step by hand: a_0(1) = .5 + .15 lambda T0 (1 + .6 .8) rho0 .8^eta tanh(.2 kappa) - .01 (.5 - .3)
    first = 0.5 + 0.15 * lam * T0 * 1.48 * rho0 * 0.8 ** eta * math.tanh(0.2 * kappa) - 0.002
    a, _ = ref.simulate_fixed_baseline(arr(T0), arr(rho0), arr(eta), arr(kappa), arr(lam), 1)
    assert a[0, 1, 0] == pytest.approx(min(first, 1.0), abs=1e-12)


def test_tr4_weakest_configuration_fails_emergence_by_hand(tr4):
    # rho0 = kappa = lambda_R = .5, eta 2, T0 .3: the push stays too small to lift the mean above .53 in 30 steps
    path = _scalar_dyad(0.5, 2.0, 0.5, 0.5, 0.3, 30)
    assert path[-1].mean() < 0.53
    assert _scalar_dyad(2.0, 0.8, 2.0, 2.0, 0.9, 30)[-1].mean() > 0.53
    rates = {t.name: t.pass_rate for t in tr4.targets}
    assert 0.0 < rates["cooperation_emergence"] < 1.0
    # asymmetric differentiation is measured at t = 0, where the ratio is (.8 / .4) ** eta >= 2 ** .8 > 1.5
    assert rates["asymmetric_differentiation"] == 1.0 and 2 ** 0.8 > 1.5


def test_trust_sweep_closed_forms():
    out = trust_sweep.run(quick=True)
    xi = np.array(trust_sweep.COARSE["xi"])
    lp, lm = np.array(trust_sweep.COARSE["lambda_plus"]), np.array(trust_sweep.COARSE["lambda_minus"])
    # one erosion step from the same trust: the damage ratio is (1 + .8 xi) / (1 + .2 xi)
    assert out["dependency_amplification_mean"] == pytest.approx(np.mean((1 + 0.8 * xi) / (1 + 0.2 * xi)))
    assert out["negativity_ratio_mean"] == pytest.approx(np.mean(lm[:, None] / lp[None, :]))
    assert out["configurations"] == 3 ** 5


def test_trust_sweep_hysteresis_by_hand():
    # lambda +.10 -.30, mu .60, delta .03, xi .5: violation tanh(-3), then 35 steps of tanh(2), T <= 1 - R
    T, R, best = 0.85, 0.0, 0.0
    for s in [math.tanh(-3.0)] + [math.tanh(2.0)] * 35:
        if s < 0:
            T, R = max(min(T + 0.30 * s * T * 1.25, 1 - R), 0.0), R + 0.60 * abs(s) * (1 - R)
        else:
            T, R = max(min(T + 0.10 * s * max(1 - R - T, 0.0), 1 - R), 0.0), R * 0.97
        best = max(best, T)
    params = [trust_sweep.tr.TrustParams(0.10, 0.30, 0.60, 0.03, 0.5)]
    got = trust_sweep._run(params, 0.85, 0.0, [np.tanh(-3.0)] + [np.tanh(2.0)] * 35)[0, 1:].max()
    assert got == pytest.approx(best, abs=1e-12)
    assert best / 0.85 < 1.0      # under the ceiling 1 - R, trust never regains its pre-violation level here
