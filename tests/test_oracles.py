"""Oracles: first-order conditions, an independent nashpy cross-check, welfare, TR-3 closed forms."""
import gymnasium
import nashpy
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import coopgym
from coopgym.baselines import make_policy, policy_names
from coopgym.envs import make_game
from coopgym.mechanisms import collective as tc
from coopgym.oracles import tr1
from coopgym.oracles.metrics import exploitability

SLCD = dict(e=np.full((1, 2), 100.0), alpha=np.array([[0.55, 0.45]]), gamma=np.array([0.65]))
D_SLCD = np.array([[[0.0, 0.64], [0.86, 0.0]]])


def test_seven_oracles_are_registered():
    assert set(policy_names("oracle")) >= {"oracle/equilibrium", "oracle/trust_aware", "oracle/nash",
                                           "oracle/social_optimum", "oracle/loyalty", "oracle/reciprocity",
                                           "oracle/bounded_reciprocity"}


def test_slcd_nash_baseline_is_19():
    sol = tr1.equilibrium(SLCD["e"], np.zeros((1, 2, 2)), SLCD["alpha"], np.array([0.0]))
    np.testing.assert_allclose(sol.actions, 19.0, atol=1e-9)


def test_slcd_equilibrium_satisfies_first_order_conditions():
    sol = tr1.equilibrium(SLCD["e"], D_SLCD, SLCD["alpha"], SLCD["gamma"])
    assert sol.converged.all() and sol.residual.max() < 1e-6


def _slcd_payoffs(a0, a1):
    a = np.stack(np.broadcast_arrays(a0, a1), axis=-1)
    f = 20 * np.log1p(a)
    g = np.sqrt(a[..., 0] * a[..., 1])
    pi = 100 - a + f + np.array([0.55, 0.45]) * 0.65 * g[..., None]
    D = D_SLCD[0]
    return pi[..., 0] + D[0, 1] * pi[..., 1], pi[..., 1] + D[1, 0] * pi[..., 0]


def test_equilibrium_agrees_with_nashpy_on_a_fine_discretisation():
    sol = tr1.equilibrium(SLCD["e"], D_SLCD, SLCD["alpha"], SLCD["gamma"])
    step = 0.25
    grid = np.arange(20.0, 32.0 + step / 2, step)   # 49 actions a player around the equilibrium
    A, B = _slcd_payoffs(grid[:, None], grid[None, :])
    game = nashpy.Game(A, B)
    sigma_r, sigma_c = game.lemke_howson(initial_dropped_label=0)
    a0, a1 = grid @ sigma_r, grid @ sigma_c
    assert abs(a0 - sol.actions[0, 0]) <= step and abs(a1 - sol.actions[0, 1]) <= step


def test_social_optimum_welfare_is_at_least_every_equilibrium():
    game = make_game("SLCD-v0", trust=False)
    state = game.reset(np.zeros(1, dtype=np.uint64))
    welfare = {}
    for name in ("oracle/social_optimum", "oracle/equilibrium", "oracle/nash"):
        a = make_policy(name).bind(game).act(game, state, slice(None))
        welfare[name] = game.step(state, a)[1].payoffs.sum()
    assert welfare["oracle/social_optimum"] >= welfare["oracle/equilibrium"] >= welfare["oracle/nash"] - 1e-9


@pytest.mark.parametrize("env_id", ["TeamProduction-v0", "LoyaltyTeam-v0", "CoalitionFormation-v0"])
def test_tr3_nash_oracle_reproduces_the_closed_form(env_id):
    game = make_game(env_id)
    a = make_policy("oracle/nash").bind(game).act(game, game.reset(np.zeros(1, dtype=np.uint64)), slice(None))
    a_star = tc.free_riding_effort(game.omega, game.team_beta, game.c, game.n, game.e.min())
    np.testing.assert_allclose(a, a_star, rtol=1e-6)


def test_loyalty_oracle_effort_rises_with_theta():
    game = make_game("LoyaltyTeam-v0", params={"endowment": 1e4})  # lift the effort cap of 50
    oracle = make_policy("oracle/loyalty").bind(game)
    state = game.reset(np.zeros(5, dtype=np.uint64))
    state.extra["loyalty"] = np.linspace(0.0, 1.0, 5)[:, None].repeat(game.n, axis=1)
    efforts = oracle.act(game, state, slice(None))[:, 0]
    assert np.all(np.diff(efforts) > 0)


def test_exploitability_of_equilibrium_is_zero_and_of_constant_zero_is_positive():
    eq = exploitability("SLCD-v0", "oracle/equilibrium", trust=False, horizon=5)
    assert eq["relative"] < 1e-6
    zero = exploitability("SLCD-v0", "constant/0", trust=False, horizon=5)
    assert zero["nash_conv"] > 1.0


def test_oracle_as_coplayer_passes_check_env():
    env = gymnasium.make("coopgym/SLCD-v0", coplayers="oracle/equilibrium")
    check_env(env.unwrapped, skip_render_check=True)


def test_ten_thousand_configurations_solve_in_one_batch():
    out = tr1.bench_equilibrium(2_000)
    assert out["converged_fraction"] == 1.0 and out["max_foc_residual"] < 1e-6


def test_equilibrium_agrees_with_nashpy_support_enumeration_on_a_small_grid():
    sol = tr1.equilibrium(SLCD["e"], D_SLCD, SLCD["alpha"], SLCD["gamma"])
    grid = np.arange(24.0, 30.0, 1.0)          # 6 actions a player: support enumeration stays fast
    A, B = _slcd_payoffs(grid[:, None], grid[None, :])
    found = [(grid @ r, grid @ c) for r, c in nashpy.Game(A, B).support_enumeration()]
    assert any(abs(a0 - sol.actions[0, 0]) <= 1.0 and abs(a1 - sol.actions[0, 1]) <= 1.0 for a0, a1 in found)


def test_matrix_cross_check_on_the_environment_itself():
    from coopgym.oracles.matrix import discretised_equilibria

    game = make_game("SLCD-v0", trust=False, reward="integrated")
    eq = make_policy("oracle/equilibrium").bind(game).profile(game)
    fine = np.arange(20.0, 32.0 + 0.125, 0.25)
    (a0, a1), = discretised_equilibria(game, fine, fine)               # Lemke-Howson
    assert abs(a0 - eq[0]) <= 0.25 and abs(a1 - eq[1]) <= 0.25
    small = np.arange(23.0, 29.0, 1.0)
    assert any(abs(x - eq[0]) <= 1 and abs(y - eq[1]) <= 1 for x, y in discretised_equilibria(game, small, small))
