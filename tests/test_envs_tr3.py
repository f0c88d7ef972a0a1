"""TR-3 environments: payoffs by hand, loyalty, exclusion, and Apache's phases."""
import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test

import coopgym
from coopgym.envs import make_game


def test_team_production_private_reward_by_hand():
    # omega 25, beta .7, c 1, n 4, everyone at 25: Q = 25 * 100^.7 = 627.9716; Q / 4 - 25 = 131.9929
    game = make_game("TeamProduction-v0", reward="private")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    _, res = game.step(state, np.full((1, 4), 25.0))
    np.testing.assert_allclose(res.rewards, 131.99290197, rtol=1e-9)
    np.testing.assert_allclose(res.payoffs, 131.99290197, rtol=1e-9)


def test_loyalty_modifier_enters_the_private_reward():
    # LoyaltyTeam: theta .5 at the start, phi_B .8, phi_C .3: L = .5 (.8 * 131.99 + .3 * 25)
    game = make_game("LoyaltyTeam-v0", reward="private")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    _, res = game.step(state, np.full((1, 4), 25.0))
    np.testing.assert_allclose(res.rewards, 131.99290197 + 0.5 * (0.8 * 131.99290197 + 0.3 * 25), rtol=1e-9)


def test_loyalty_dynamics_follow_cooperation():
    game = make_game("LoyaltyTeam-v0")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    state, _ = game.step(state, np.array([[50.0, 25.0, 10.0, 0.0]]))
    # r >= .5: +.02 r; r < .5: -.05 (.5 - r)
    np.testing.assert_allclose(state.extra["loyalty"][0], [0.52, 0.51, 0.5 - 0.05 * 0.3, 0.5 - 0.05 * 0.5])


def test_coalition_excludes_the_disloyal_and_lets_them_back():
    game = make_game("CoalitionFormation-v0")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    shirk = np.array([[0.0, 0.0, 0.0, 0.0, 50.0, 50.0]])
    for _ in range(8):   # loyalty of the shirkers: .5 - .025 t, below .15 after 15 steps
        state, _ = game.step(state, shirk)
    assert state.extra["member"].all()
    for _ in range(8):
        state, res = game.step(state, shirk)
    # four shirkers qualify, but the coalition keeps its minimum size of 3
    assert state.extra["member"][0].sum() == 3 and state.extra["member"][0, 4:].all()
    # excluded agents get no share and still pay for effort
    a = np.array([[10.0, 0.0, 0.0, 0.0, 50.0, 50.0]])
    out = ~state.extra["member"][0]
    state, res = game.step(state, a)
    assert out.sum() == 3
    np.testing.assert_allclose(res.payoffs[0, out], -a[0, out])  # pi = -c a with c = 1
    # an excluded agent who works hard regains loyalty >= .4 and re-enters after waiting 5 steps
    back = np.array([[50.0, 50.0, 50.0, 50.0, 50.0, 50.0]])
    for _ in range(40):
        state, _ = game.step(state, back)
    assert state.extra["member"].all()


def test_apache_historical_changes_agents_and_omega_at_phase_boundaries():
    game = make_game("ApacheProject-v0", phase="historical")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    counts, omegas = [], []
    for _ in range(game.horizon):
        counts.append(int(state.active[0].sum()))
        omegas.append(float(game.constants(state).omega[0]))
        state, _ = game.step(state, np.full((1, game.n), 20.0))
    assert counts[0] == 8 and counts[6] == 15 and counts[18] == 40 and counts[43] == 35
    assert omegas[0] == 20 and omegas[6] == 25 and omegas[18] == 30 and omegas[59] == 28
    assert counts[5] == 8 and counts[17] == 15 and counts[42] == 40


def test_apache_historical_pettingzoo_agents_follow_the_phases():
    env = coopgym.parallel_env("ApacheProject-v0", phase="historical")
    env.reset(seed=0)
    seen = []
    while env.agents:
        seen.append(len(env.agents))
        _, rewards, terms, _, _ = env.step({a: np.array([20.0], dtype=np.float32) for a in env.agents})
        if len(seen) == 43:  # the step that enters the evolution phase: five contributors leave
            left = [a for a, t in terms.items() if t]
            assert left == [f"player_{i}" for i in range(35, 40)]
    assert seen[0] == 8 and max(seen) == 40 and seen[-1] == 35
    parallel_api_test(coopgym.parallel_env("ApacheProject-v0", phase="historical"), num_cycles=100)
    api_test(coopgym.aec_env("ApacheProject-v0", phase="historical"), num_cycles=100)


def test_apache_inactive_agents_get_nothing_and_cooperative_mean_is_over_members():
    game = make_game("ApacheProject-v0", phase="historical", reward="cooperative")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    _, res = game.step(state, np.full((1, game.n), 30.0))
    active = state.active[0]
    assert np.all(res.rewards[0, ~active] == 0) and np.all(res.actions[0, ~active] == 0)
    np.testing.assert_allclose(res.rewards[0, active], res.rewards[0, active][0])


@pytest.mark.parametrize("bad", [dict(phase="historical", n_agents=10), dict(phase="historical", horizon=10),
                                 dict(phase="decline")])
def test_apache_rejects_impossible_options(bad):
    with pytest.raises(ValueError):
        make_game("ApacheProject-v0", **bad)
