"""The compiled mechanism loops against the equations written out in numpy.

The step's arithmetic runs in numba-compiled loops (``_pair_rule``, ``_payoff_rows``,
``_floored_product_rows``, ``_clip_rows``, ``_write_flat``). Each test here restates
the equation as a plain numpy expression, the SPEC's form rather than the loop's, and
checks the loop against it over random inputs (hypothesis) and every shape the
public functions accept. Where the loop promises numpy's own operation order the
comparison is exact.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopgym.envs import env_ids, make_game
from coopgym.mechanisms import trust as tr
from coopgym.mechanisms import value as tv


def spec_trust_step(T, R, s, D, p):
    """SPEC section 2 as written: s broadcast over observers, the diagonal left alone."""
    s = s[..., None, :] if s.ndim == T.ndim - 1 else s
    theta = 1.0 - R
    dT = np.where(s > 0, p.lambda_plus * s * np.maximum(0.0, np.minimum(1.0 - T, theta - T)),
                  np.where(s < 0, p.lambda_minus * s * T * (1.0 + p.xi * D), 0.0))
    T_new = np.clip(T + dT, 0.0, theta)
    dR = np.where(s < 0, p.mu_R * np.abs(s) * (1.0 - R), -p.delta_R * R)
    R_new = np.clip(R + dR, 0.0, 1.0)
    off = ~np.eye(T.shape[-1], dtype=bool)
    return np.where(off, T_new, T), np.where(off, R_new, R)


def random_pairs(rng, shape, n):
    R = rng.uniform(0, 1, shape + (n, n)) * rng.integers(0, 2, shape + (1, 1))   # some games undamaged
    T = np.minimum(rng.uniform(0, 1, shape + (n, n)), 1.0 - R)
    off = 1.0 - np.eye(n)
    return T * off, R * off


rates = st.floats(0.0, 1.0)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 7), st.integers(1, 5), rates, rates, rates, rates, st.floats(0.0, 3.0),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_trust_rule_is_the_spec_formula(n, B, lp, lm, mu, delta, xi, per_pair, seed):
    rng = np.random.default_rng(seed)
    p = tr.TrustParams(lp, lm, mu, delta, xi, 1.0)
    D = rng.uniform(0, 1, (n, n)) * (1 - np.eye(n))
    T, R = random_pairs(rng, (B,), n)
    s = np.tanh(rng.normal(0, 2, (B, n, n) if per_pair else (B, n)))
    s[..., 0] = 0.0   # a zero signal is neither good nor bad news for trust, but damage decays
    got, want = tr.trust_update(T, R, s, D, p), spec_trust_step(T, R, s, D, p)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-14)
    # trust stays in [0, Theta] of the pre-step damage (the floor binds when lm (1 + xi D) > 1)
    assert got[0].min() >= 0 and np.all(got[0] <= 1 - R)


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
def test_trust_update_takes_any_leading_shape(lead):
    rng = np.random.default_rng(1)
    n, p = 3, tr.TrustParams()
    D = rng.uniform(0, 1, lead + (n, n))
    T, R = random_pairs(rng, lead, n)
    s = np.tanh(rng.normal(0, 1, lead + (n,)))
    got, want = tr.trust_update(T, R, s, D, p), spec_trust_step(T, R, s, D, p)
    for g, w in zip(got, want):
        assert g.shape == T.shape
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-14)
    mask = rng.integers(0, 2, T.shape).astype(bool)   # pairs that did not meet keep their state
    T_m, R_m = tr.trust_update(T, R, s, D, p, mask=mask)
    np.testing.assert_array_equal(T_m, np.where(mask, got[0], T))
    np.testing.assert_array_equal(R_m, np.where(mask, got[1], R))


def test_trust_update_rejects_shapes_that_do_not_fit():
    """The loop does not check its indices, so a mismatched signal must be caught before it runs."""
    T, R = random_pairs(np.random.default_rng(0), (2,), 3)
    p = tr.TrustParams()
    for s in (np.zeros((2, 4)), np.zeros((3, 3)), np.zeros((2, 2, 3))):
        with pytest.raises(ValueError, match="do not fit"):
            tr.trust_update(T, R, s, np.zeros((3, 3)), p)
    with pytest.raises(ValueError, match="do not fit"):
        tr.trust_update(T, R[:1], np.zeros((2, 3)), np.zeros((3, 3)), p)
    with pytest.raises(ValueError, match="do not fit"):
        tr.trust_update(T, R, np.zeros((2, 3)), np.zeros((5, 3, 3)), p)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 8), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_payoff_loops_equal_numpy_exactly(n, B, seed):
    """pi = e - a + f + alpha * gamma * g and g = prod a ** (1/n), in numpy's operation order: same bits."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 100, (B, n)) * (rng.uniform(size=(B, n)) > 0.1)
    a[0, 0] = tv.SYNERGY_FLOOR   # at the floor counts as nothing
    e, alpha = rng.uniform(50, 150, (B, n)), rng.dirichlet(np.ones(n), B)
    f = tv.log_value(a, 20.0)
    g = tv.synergy(a)
    np.testing.assert_array_equal(g, np.prod(a * (a > tv.SYNERGY_FLOOR), axis=-1) ** (1.0 / n))
    assert g[0] == 0.0
    for gamma in (0.65, rng.uniform(0, 1, B)):
        np.testing.assert_array_equal(tv.private_payoff(a, e, f, g, alpha, gamma),
                                      e - a + f + alpha * (gamma * g)[..., None])


def test_payoff_broadcasts_like_numpy():
    rng = np.random.default_rng(2)
    a = rng.uniform(0, 100, (4, 3, 2))
    f, g = tv.log_value(a), tv.synergy(a)
    for e, alpha, gamma in [(100.0, np.array([0.55, 0.45]), 0.65),
                            (np.array([100.0, 80.0]), np.array([[0.5, 0.5]]), rng.uniform(0, 1, (4, 1)))]:
        want = e - a + f + alpha * (gamma * g)[..., None]
        got = tv.private_payoff(a, e, f, g, alpha, gamma)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert tv.private_payoff(a[0, 0], 100.0, f[0, 0], g[0, 0], np.array([0.5, 0.5]), 0.65).shape == (2,)
    assert np.ndim(tv.synergy(a[0, 0])) == 0 and tv.synergy(a[0]).shape == (3,)


def test_clipping_is_min_max_and_rejects_nan_or_inf():
    game = make_game("SLCD-v0")
    state = game.reset(np.zeros(3, dtype=np.uint64))
    a = np.array([[-5.0, 40.0], [250.0, 1e300], [0.0, 100.0]])
    np.testing.assert_array_equal(game.clip_actions(a, state), np.minimum(np.maximum(a, 0.0), game.e))
    for bad in (np.nan, np.inf, -np.inf):
        a[1, 0] = bad
        with pytest.raises(ValueError, match="NaN or inf"):
            game.clip_actions(a, state)


@pytest.mark.parametrize("env_id", env_ids())
def test_flat_state_is_the_documented_concatenation(env_id):
    """[a / e | t / horizon | T | R | shared extras | per-agent extras | 0 | 1], float32, for every env."""
    for trust in (True, False):
        game = make_game(env_id, trust=trust)
        rng = np.random.default_rng(3)
        state = game.reset(np.arange(5, dtype=np.uint64))
        for _ in range(3):
            state, _ = game.step(state, rng.uniform(0, 1, (5, game.n)) * game.e)
        B = state.batch
        parts = [state.last_action / game.e, (state.t / game.horizon)[:, None]]
        if game.trust_on:
            parts += [state.T.reshape(B, -1), state.R.reshape(B, -1)]
        parts += game.shared_features(state) + [x.reshape(B, -1) for x in game.agent_features(state)]
        parts.append(np.tile([0.0, 1.0], (B, 1)))
        np.testing.assert_array_equal(game.flat_state(state), np.concatenate(parts, axis=-1, dtype=np.float32))
        assert game.flat_state(state).dtype == np.float32


def test_without_a_writable_cache_the_loops_compile_per_process():
    """numba refuses cache=True where it finds no writable place; coopgym then compiles in memory."""
    import subprocess
    import sys

    code = ("import numpy as np; from coopgym.envs import make_game; g = make_game('SLCD-v0'); "
            "s, r = g.step(g.reset(np.zeros(2, dtype=np.uint64)), np.full((2, 2), 40.0)); print(r.rewards[0, 0])")
    # a locator class that never applies stands in for a read-only install and home
    env = {**__import__("os").environ, "NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    game = make_game("SLCD-v0")
    _, res = game.step(game.reset(np.zeros(2, dtype=np.uint64)), np.full((2, 2), 40.0))
    assert float(out.stdout) == pytest.approx(res.rewards[0, 0], rel=1e-12)
