"""Stackelberg, Nash bargaining and the Shapley split on the stage game."""
import numpy as np

from coopgym.envs import make_game
from coopgym.oracles import cooperative as co
from coopgym.oracles import stage


def test_shapley_split_is_efficient_and_symmetric():
    game = make_game("TrustDilemma-v0", trust=False)
    out = co.shapley_split(game)
    assert np.isclose(out["shapley"].sum(), out["grand_coalition"])
    assert np.isclose(out["shapley"][0], out["shapley"][1])
    hub = co.shapley_split(make_game("PlatformEcosystem-v0", trust=False, n_agents=3))
    assert np.isclose(hub["shapley"].sum(), hub["grand_coalition"]) and hub["shapley"][0] > hub["shapley"][1]


def test_nash_bargaining_improves_on_disagreement():
    out = co.nash_bargaining(make_game("SLCD-v0", trust=False))
    assert np.all(out["payoffs"] > out["disagreement"])


def test_stackelberg_leader_does_at_least_as_well_as_in_the_stage_equilibrium():
    game = make_game("PartnerHoldUp-v0", trust=False)
    state = game.reset(np.zeros(1, dtype=np.uint64))
    eq = stage.solve(game, state, "own").actions
    leader_at_eq = game.step(state, eq[None])[1].rewards[0, 0]
    out = co.stackelberg(game, leader=0)
    assert out["leader_reward"] >= leader_at_eq - 1e-6
