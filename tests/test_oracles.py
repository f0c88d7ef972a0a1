"""Oracles: first-order conditions, independent nashpy and grid cross-checks, welfare, TR-3 closed forms,
and the seven registered oracles acting on every environment."""
import gymnasium
import nashpy
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import coopgym  # noqa: F401  (registers the gymnasium ids)
from coopgym.registry import make_policy, policy_names
from coopgym.envs import env_ids, make_game
from coopgym.mechanisms import collective as tc
from coopgym.oracles import matrix, policies, solvers, tr1

SEVEN = ("oracle/equilibrium", "oracle/trust_aware", "oracle/nash", "oracle/social_optimum", "oracle/loyalty",
         "oracle/reciprocity", "oracle/bounded_reciprocity")
SLCD = dict(e=np.full((1, 2), 100.0), alpha=np.array([[0.55, 0.45]]), gamma=np.array([0.65]))
D_SLCD = np.array([[[0.0, 0.64], [0.86, 0.0]]])


def test_seven_oracles_are_registered_and_say_what_they_solve():
    assert set(policy_names("oracle")) >= set(SEVEN)
    for name in SEVEN:
        assert make_policy(name).solves


@pytest.mark.parametrize("env_id", env_ids())
def test_every_oracle_acts_on_every_environment(env_id):
    game = make_game(env_id, horizon=4)                  # short episodes keep the stationary solves quick
    state = game.reset(np.arange(2, dtype=np.uint64))
    for name in SEVEN:
        oracle = make_policy(name).bind(game)
        for _ in range(2):                                 # the reset state and one later state
            a = oracle.act(game, state, slice(None))
            assert a.shape == (2, game.n) and np.all(np.isfinite(a))
            assert np.all(a >= 0) and np.all(a <= game.e + 1e-9)
            state, _ = game.step(state, a)
        assert oracle.diagnostics.get("solves"), name
        state = game.reset(np.arange(2, dtype=np.uint64))


def test_slcd_nash_baseline_is_19():
    sol = tr1.equilibrium(SLCD["e"], np.zeros((1, 2, 2)), SLCD["alpha"], np.array([0.0]))
    np.testing.assert_allclose(sol.actions, 19.0, atol=1e-9)     # 20 / (1 + a) = 1


def test_slcd_oracle_satisfies_its_first_order_conditions():
    game = make_game("SLCD-v0", trust=False)                     # W = D: the TR-1 case study
    oracle = make_policy("oracle/equilibrium").bind(game)
    a = oracle.profile(game)
    res = tr1.foc_residual(a[None], SLCD["e"], D_SLCD, SLCD["alpha"], SLCD["gamma"])
    assert res.max() < 1e-6 and oracle.diagnostics["max_foc_residual"] < 1e-6
    sol = tr1.equilibrium(SLCD["e"], D_SLCD, SLCD["alpha"], SLCD["gamma"])
    np.testing.assert_allclose(a, sol.actions[0], rtol=1e-9)
    assert tr1.grid_check(sol, SLCD["e"], D_SLCD, SLCD["alpha"], SLCD["gamma"]).max() <= 1e-9


def test_trust_weighted_equilibrium_solves_its_own_episode_mean_weights():
    game = make_game("SLCD-v0")                                  # trust on: W-bar along the equilibrium path
    oracle = make_policy("oracle/equilibrium").bind(game)
    W = np.array(oracle.diagnostics["W"])
    assert np.all(W <= game.D + 1e-12) and np.all(W[~np.eye(2, dtype=bool)] > 0)
    res = tr1.foc_residual(oracle.profile(game)[None], SLCD["e"], W[None], SLCD["alpha"], SLCD["gamma"])
    assert res.max() < 1e-5                                      # W rounded to 6 digits in the diagnostics


def test_oracle_agrees_with_nashpy_on_a_fine_discretisation():
    game = make_game("SLCD-v0", trust=False)
    a = make_policy("oracle/equilibrium").bind(game).profile(game)
    step = 0.25
    grid = np.arange(20.0, 32.0 + step / 2, step)               # 49 actions a player: Lemke-Howson
    (a0, a1), = matrix.discretised_equilibria(game, grid, grid)
    assert abs(a0 - a[0]) <= step and abs(a1 - a[1]) <= step


def test_oracle_agrees_with_nashpy_support_enumeration_on_a_small_grid():
    game = make_game("SLCD-v0", trust=False)
    a = make_policy("oracle/equilibrium").bind(game).profile(game)
    grid = np.arange(24.0, 30.0, 1.0)                            # 6 actions a player: every equilibrium
    A, B = matrix.bimatrix(game, grid, grid)
    found = [(grid @ r, grid @ c) for r, c in nashpy.Game(A, B).support_enumeration()]
    assert any(abs(x - a[0]) <= 1.0 and abs(y - a[1]) <= 1.0 for x, y in found)


@pytest.mark.parametrize("options", [dict(trust=False), dict()])
def test_material_optimum_is_at_least_every_stationary_oracle_in_private_payoffs(options):
    """The private-payoff quantity (sum_j pi_j, what ``cooperative`` divides) has its own maximum."""
    game = make_game("SLCD-v0", **options)
    best = policies.stationary_profile(game, "material_optimum")[0]
    profiles = np.stack([best] + [make_policy(name).bind(game).profile(game)
                                  for name in ("oracle/social_optimum", "oracle/equilibrium", "oracle/nash")])
    welfare = solvers.episode_values(game, profiles, "payoff").sum(axis=1)
    assert np.all(welfare[0] >= welfare[1:] - 1e-9)


@pytest.mark.parametrize("env_id", ["TeamProduction-v0", "LoyaltyTeam-v0", "PublicGoods-v0"])
def test_tr3_private_payoff_equilibrium_reproduces_the_free_riding_closed_form(env_id):
    # (CoalitionFormation-v0 is left out on purpose: at a* a member's loyalty decays until it is
    # excluded, so a* is not an equilibrium of the episode there.) pi alone: no loyalty term counted.
    game = make_game(env_id)
    a = policies.stationary_profile(game, "payoff_equilibrium")[0]
    a_star = tc.free_riding_effort(game.params.omega, game.params.beta, game.params.c, game.n, game.e.min())
    np.testing.assert_allclose(a, a_star, rtol=1e-6, atol=1e-9)


def test_nash_oracle_without_loyalty_terms_is_the_free_riding_effort():
    game = make_game("TeamProduction-v0")              # phi_B = phi_C = 0: the private reward is pi
    a = make_policy("oracle/nash").bind(game).profile(game)
    np.testing.assert_allclose(a, tc.free_riding_effort(game.params.omega, game.params.beta, game.params.c, game.n, game.e.min()),
                               rtol=1e-6)


def test_loyalty_oracle_effort_rises_with_theta():
    # lift the effort cap of 50; private reward: at theta = 0 no term but pi is left
    game = make_game("LoyaltyTeam-v0", params={"endowment": 1e4}, reward="private")
    oracle = make_policy("oracle/loyalty").bind(game)
    state = game.reset(np.zeros(5, dtype=np.uint64))
    state.extra["loyalty"] = np.linspace(0.0, 1.0, 5)[:, None].repeat(game.n, axis=1)
    efforts = oracle.act(game, state, slice(None))[:, 0]
    assert np.all(np.diff(efforts) > 0)
    theta0 = tc.free_riding_effort(game.params.omega, game.params.beta, game.params.c, game.n, game.e.min())
    np.testing.assert_allclose(efforts[0], theta0, rtol=1e-9)    # theta = 0 is the free-riding a*


def test_reciprocity_oracle_answers_a_deviation_in_kind():
    game = make_game("ReciprocalDilemma-v0")
    oracle = make_policy("oracle/reciprocity").bind(game)
    a_star = oracle.profile(game)
    state = game.reset(np.zeros(3, dtype=np.uint64))
    state, _ = game.step(state, np.tile(a_star, (3, 1)))
    np.testing.assert_allclose(oracle.act(game, state, slice(None)), np.tile(a_star, (3, 1)))  # on the path
    partner = a_star[1] + np.array([-10.0, 0.0, 10.0])              # agent 1 defects, conforms, gives more
    state, _ = game.step(state, np.column_stack([np.full(3, a_star[0]), partner]))
    answer = oracle.act(game, state, slice(None))[:, 0]
    assert answer[0] < a_star[0] - 1e-6 and abs(answer[1] - a_star[0]) < 1e-9 and answer[2] > a_star[0] + 1e-6


def test_bounded_reciprocity_stays_within_its_bound():
    game = make_game("AppleAppStore-v0")
    oracle = make_policy("oracle/bounded_reciprocity")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    while True:
        state, res = game.step(state, oracle.act(game, state, slice(None)))
        assert oracle.diagnostics["bounded"]
        if res.truncated[0] or res.terminated[0]:
            break


@pytest.mark.parametrize("coplayers", ["oracle/equilibrium", "oracle/trust_aware"])
def test_oracle_as_coplayer_passes_check_env(coplayers):
    env = gymnasium.make("coopgym/SLCD-v0", coplayers=coplayers)
    check_env(env.unwrapped, skip_render_check=True)


def test_many_configurations_solve_in_one_batch():
    out = tr1.bench_equilibrium(2_000)
    assert out["converged_fraction"] == 1.0 and out["max_foc_residual"] < 1e-6


def test_generic_solver_matches_the_closed_form_on_the_stage_game():
    game = make_game("PartnerHoldUp-v0", trust=False)
    state = game.reset(np.zeros(1, dtype=np.uint64))
    sol = solvers.stage(game, state, "reward", 1.0)
    fc = tr1.equilibrium(game.e[None], game.D[None], game.alpha[None], np.array([game.params.gamma]))
    np.testing.assert_allclose(sol.actions, fc.actions, rtol=1e-5)
    assert sol.converged.all() and sol.relative_gain.max() < 1e-9


def test_solved_profiles_are_shared_across_batch_sizes_and_observations():
    """The cache key is (params, mutuality, horizon, n), the mutuality being the profile's own
    (``profile_mutuality``): stepping other batch sizes or observing differently does not change
    the rules; a parameter, the phase, the horizon do, and the reward mode changes the mutuality."""
    from coopgym.oracles.policies import rules_key

    game = make_game("SLCD-v0")
    key = rules_key(game)
    game.step(game.reset(np.zeros(7, dtype=np.uint64)), np.full((7, 2), 40.0))
    assert rules_key(game) == key == rules_key(make_game("SLCD-v0", observation="minimal", reward_scale=2.0))
    assert rules_key(make_game("SLCD-v0", reward="private")) == key
    assert [policies.profile_mutuality(make_game("SLCD-v0", mutuality=m), "equilibrium") for m in (0, 1.5)] == [0, 1.5]
    for other in (dict(params={"gamma": 0.5}), dict(horizon=50),
                  dict(trust=False), dict(signal_scale=1.0)):
        assert rules_key(make_game("SLCD-v0", **other)) != key, other
    assert rules_key(make_game("TrustDilemma-v0", n_agents=3)) != rules_key(make_game("TrustDilemma-v0"))
    assert rules_key(make_game("ApacheProject-v0", phase="historical")) != rules_key(make_game("ApacheProject-v0"))


def test_the_solver_is_chosen_from_the_stages():
    """Closed form exactly where every stage is plain TR-1 (TR-4 memory allowed): no termination, shock,
    special payoff, pairing, hidden parameter or team rule."""
    from coopgym.oracles.policies import closed_form

    plain = ["SLCD-v0", "RenaultNissan-v0", "ReciprocalDilemma-v0", "GiftExchange-v0", "IndirectReciprocity-v0",
             "GraduatedSanction-v0"]
    assert [e for e in env_ids() if closed_form(make_game(e))] == plain
    assert [e for e in env_ids() if closed_form(make_game(e, trust=False))] == plain
