"""Stackelberg, Nash bargaining and the Shapley split on the stationary episode game, pinned to
independent checks: plain ``game.step`` rollouts, brute-force grids and a vectorised golden-section
best reply written here (nothing from ``oracles.solvers`` but the Nash profile to compare with)."""
import numpy as np
import pytest

from coopgym.envs import make_game
from coopgym.oracles import cooperative as co
from coopgym.oracles import solvers

from conftest import rollout

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
RTOL = 1e-7


def best_reply(game, P, i, table="payoffs", grid=201, steps=60):
    """Agent i's best constant action against every row of P (K, n) and its value: a grid, then
    golden-section search in the bracket around the best grid point."""
    P = np.asarray(P, dtype=float)
    K = len(P)
    xs = np.linspace(0.0, game.e[i], grid)
    Q = np.repeat(P, grid, axis=0)
    Q[:, i] = np.tile(xs, K)
    v = rollout(game, Q, table)[:, i].reshape(K, grid)
    k = v.argmax(axis=1)
    best_x, best_v = xs[k], v[np.arange(K), k]
    lo, hi = xs[np.maximum(k - 1, 0)], xs[np.minimum(k + 1, grid - 1)]
    for _ in range(steps):
        x1, x2 = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
        Q = np.concatenate([P, P])
        Q[:, i] = np.concatenate([x1, x2])
        v = rollout(game, Q, table)[:, i]
        v1, v2 = v[:K], v[K:]
        left = v1 >= v2
        lo, hi = np.where(left, lo, x1), np.where(left, x2, hi)
        x, vx = np.where(left, x1, x2), np.maximum(v1, v2)
        best_x, best_v = np.where(vx > best_v, x, best_x), np.maximum(vx, best_v)
    return best_x, best_v


def profile_grid(lo, hi, points):
    """All profiles of a 2-agent grid over the box [lo, hi]."""
    x, y = np.meshgrid(np.linspace(lo[0], hi[0], points), np.linspace(lo[1], hi[1], points), indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


def close(a, b, rtol=RTOL):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1.0)


# --- Stackelberg ----------------------------------------------------------------------------------

def test_stackelberg_leader_beats_the_stationary_equilibrium_and_a_brute_force_commitment_grid():
    game = make_game("SLCD-v0", horizon=5)
    out = co.stackelberg(game, leader=0)
    a, value = out["actions"], out["leader_reward"]
    assert close(rollout(game, a[None], "rewards")[0, 0], value, 1e-12)
    np.testing.assert_allclose(out["payoffs"], rollout(game, a[None])[0], rtol=1e-12)
    eq = solvers.stationary(game, "reward", mutuality=None).actions       # the simultaneous-move equilibrium
    assert value >= rollout(game, eq, "rewards")[0, 0] - 1e-9
    # the follower really best-responds to the commitment
    x, _ = best_reply(game, a[None], 1, "rewards")
    assert close(rollout(game, np.array([[a[0], x[0]]]), "rewards")[0, 0], value)

    def leader_value(commitments):   # the leader's reward when the follower answers every commitment
        P = np.stack([commitments, np.zeros_like(commitments)], axis=1)
        P[:, 1] = best_reply(game, P, 1, "rewards")[0]
        return rollout(game, P, "rewards")[:, 0]

    xs = np.linspace(0.0, game.e[0], 101)
    coarse = leader_value(xs)
    assert value >= coarse.max() - 1e-9 * abs(value)
    for _ in range(5):      # zoom around the best commitment
        k = int(np.argmax(leader_value(xs)))
        xs = np.linspace(xs[max(k - 1, 0)], xs[min(k + 1, len(xs) - 1)], 41)
    brute = leader_value(xs)
    # the peak is a kink (the follower's answer sticks at the trust baseline, 30), where the solvers'
    # best responses (bracket 1e-8 e) are worth ~1e-8 of the value
    assert close(value, brute.max(), 1e-7)
    assert abs(a[0] - xs[brute.argmax()]) <= 1e-3 * game.e[0]


def test_stackelberg_with_several_followers_answers_with_their_equilibrium():
    game = make_game("PlatformEcosystem-v0", n_agents=3, horizon=5)
    out = co.stackelberg(game, leader=0)
    a = out["actions"]
    for j in (1, 2):                   # no follower gains by a constant deviation
        _, best = best_reply(game, a[None], j, "rewards")
        assert best[0] <= rollout(game, a[None], "rewards")[0, j] * (1 + 1e-7)
    eq = solvers.stationary(game, "reward", mutuality=None).actions
    assert out["leader_reward"] >= rollout(game, eq, "rewards")[0, 0] - 1e-9


# --- Nash bargaining --------------------------------------------------------------------------------

def nash_product(payoffs, d):
    gain = payoffs - d
    return np.where((gain > 0).all(axis=1), np.log(np.maximum(gain, 1e-300)).sum(axis=1), -np.inf)


@pytest.mark.parametrize("env_id", ["SLCD-v0", "PartnerHoldUp-v0"])
def test_nash_bargaining_beats_disagreement_and_every_profile_of_a_grid(env_id):
    game = make_game(env_id, horizon=5)
    out = co.nash_bargaining(game)
    a, d = out["actions"], out["disagreement"]
    # the disagreement point: the episode payoffs of a profile where no agent gains by deviating
    a_nash, d_again = co.nash(game)
    np.testing.assert_allclose(d, rollout(game, a_nash[None])[0], rtol=1e-12)
    np.testing.assert_allclose(d, d_again, rtol=1e-12)
    for i in range(2):
        assert best_reply(game, a_nash[None], i)[1][0] <= d[i] * (1 + 1e-8)
    np.testing.assert_allclose(out["payoffs"], rollout(game, a[None])[0], rtol=1e-12)
    assert np.all(out["payoffs"] > d)
    value = nash_product(out["payoffs"][None], d)[0]
    assert close(value, out["nash_product"], 1e-12)
    coarse = profile_grid(np.zeros(2), game.e, 201)
    assert nash_product(rollout(game, coarse), d).max() <= value + 1e-9
    step = game.e / 200
    fine = profile_grid(np.maximum(a - step, 0), np.minimum(a + step, game.e), 41)
    assert nash_product(rollout(game, fine), d).max() <= value + 1e-9


def test_nash_bargaining_falls_back_to_disagreement_when_nash_is_efficient():
    game = make_game("TeamProduction-v0", n_agents=3, horizon=5)      # everyone at full effort in equilibrium
    out = co.nash_bargaining(game)
    np.testing.assert_allclose(out["payoffs"], out["disagreement"])
    assert out["nash_product"] == -np.inf
    welfare = rollout(game, np.random.default_rng(0).uniform(0, 1, (2000, 3)) * game.e).sum(axis=1)
    assert welfare.max() <= out["payoffs"].sum() * (1 + 1e-12)       # nothing beats it even in total


# --- Shapley ----------------------------------------------------------------------------------------

def test_shapley_two_agents_matches_the_hand_formula_and_independent_coalition_values():
    game = make_game("SLCD-v0", horizon=5)
    out = co.shapley_split(game)
    v, phi = out["values"], out["shapley"]
    assert set(v) == {(), (0,), (1,), (0, 1)} and v[()] == 0.0 and out["grand_coalition"] == v[(0, 1)]
    assert close(phi[0], (v[(0,)] + v[(0, 1)] - v[(1,)]) / 2, 1e-12)
    assert close(phi[1], (v[(1,)] + v[(0, 1)] - v[(0,)]) / 2, 1e-12)
    assert close(phi.sum(), v[(0, 1)] - v[()], 1e-12)
    # v({i}): i's best payoff with the other at its Nash action
    a_nash, _ = co.nash(game)
    for i in range(2):
        assert close(v[(i,)], best_reply(game, a_nash[None], i)[1][0])
    # v({0, 1}): the maximum welfare, a coarse grid then a fine one around its best point
    coarse = profile_grid(np.zeros(2), game.e, 201)
    w = rollout(game, coarse).sum(axis=1)
    assert v[(0, 1)] >= w.max() - 1e-9 * abs(w.max())
    best, step = coarse[w.argmax()], game.e / 200
    fine = profile_grid(np.maximum(best - step, 0), np.minimum(best + step, game.e), 81)
    assert close(v[(0, 1)], rollout(game, fine).sum(axis=1).max())
    assert phi[0] > v[(0,)] and phi[1] > v[(1,)]               # both share the surplus over Nash


def test_shapley_is_efficient_and_symmetric_on_a_symmetric_team():
    game = make_game("TeamProduction-v0", horizon=5)
    out = co.shapley_split(game)
    v, phi = out["values"], out["shapley"]
    assert len(v) == 2 ** game.n
    assert close(phi.sum(), v[tuple(range(game.n))] - v[()], 1e-12)
    np.testing.assert_allclose(phi, phi[0], rtol=1e-9)
    for size in range(1, game.n + 1):              # exchangeable agents: equal-size coalitions are worth the same
        sizes = [value for S, value in v.items() if len(S) == size]
        np.testing.assert_allclose(sizes, sizes[0], rtol=1e-9)
    assert np.all(np.diff([v[tuple(range(s))] for s in range(game.n + 1)]) > 0)
    # v({0, 1}): agents 0 and 1 maximise their joint payoff, 2 and 3 at their Nash actions (a grid, then a fine one)
    a_nash, _ = co.nash(game)
    pair = profile_grid(np.zeros(2), game.e[:2], 101)
    P = np.concatenate([pair, np.repeat(a_nash[None, 2:], len(pair), axis=0)], axis=1)
    joint = rollout(game, P)[:, :2].sum(axis=1)
    best, step = pair[joint.argmax()], game.e[:2] / 100
    pair = profile_grid(np.maximum(best - step, 0), np.minimum(best + step, game.e[:2]), 81)
    P = np.concatenate([pair, np.repeat(a_nash[None, 2:], len(pair), axis=0)], axis=1)
    assert v[(0, 1)] >= joint.max() - 1e-9 * joint.max()
    assert close(v[(0, 1)], rollout(game, P)[:, :2].sum(axis=1).max())
    # the grand coalition: nothing of a random batch of profiles earns more
    welfare = rollout(game, np.random.default_rng(1).uniform(0, 1, (4000, game.n)) * game.e).sum(axis=1)
    assert welfare.max() <= out["grand_coalition"] * (1 + 1e-12)


def test_shapley_gives_the_hub_more_and_equal_spokes_equal_shares():
    out = co.shapley_split(make_game("PlatformEcosystem-v0", n_agents=3, horizon=5))
    phi, v = out["shapley"], out["values"]
    assert close(phi.sum(), v[(0, 1, 2)], 1e-12)
    assert close(phi[1], phi[2], 1e-7) and phi[0] > phi[1]
    assert close(v[(0, 1)], v[(0, 2)], 1e-7) and close(v[(1,)], v[(2,)], 1e-7)
