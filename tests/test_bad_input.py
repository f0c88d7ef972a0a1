"""Bad input gets a clear error that names the problem; finite out-of-range actions are clipped."""
import gymnasium
import numpy as np
import pytest

import coopgym
from coopgym.envs import make_game


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_actions_are_rejected_everywhere(bad):
    env = gymnasium.make("coopgym/SLCD-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        env.step(np.array([bad], dtype=np.float32))
    par = coopgym.parallel_env("SLCD-v0")
    par.reset(seed=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        par.step({"player_0": np.array([bad]), "player_1": np.array([1.0])})
    venv = coopgym.vector_env("SLCD-v0", num_envs=3)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        venv.step(np.array([[1.0, 2.0], [bad, 1.0], [3.0, 4.0]]))


def test_wrong_shapes_are_rejected():
    env = gymnasium.make("coopgym/SLCD-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.array([1.0, 2.0, 3.0]))
    venv = coopgym.vector_env("SLCD-v0", num_envs=3)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        venv.step(np.ones((3, 5)))
    gvec = gymnasium.make_vec("coopgym/SLCD-v0", num_envs=2)
    gvec.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        gvec.step(np.ones((3, 1)))
    par = coopgym.parallel_env("SLCD-v0")
    par.reset(seed=0)
    with pytest.raises(ValueError, match="single number"):
        par.step({"player_0": np.ones(2), "player_1": np.ones(1)})


def test_unknown_and_missing_agents_are_named():
    par = coopgym.parallel_env("SLCD-v0")
    par.reset(seed=0)
    with pytest.raises(ValueError, match="unknown agent.*'player_7'"):
        par.step({"player_0": [1.0], "player_1": [1.0], "player_7": [1.0]})
    with pytest.raises(ValueError, match="missing action.*player_1"):
        par.step({"player_0": [1.0]})
    with pytest.raises(ValueError, match="unknown agent"):
        par.action_space("samsung")


def test_unknown_keyword_option_is_named():
    with pytest.raises(TypeError, match="unknown option.*'rewards'"):
        gymnasium.make("coopgym/SLCD-v0", rewards="private")
    with pytest.raises(TypeError, match="unknown option"):
        coopgym.parallel_env("SLCD-v0", colour="red")
    with pytest.raises(ValueError, match="unknown environment"):
        coopgym.parallel_env("SLCD-v9")
    with pytest.raises(ValueError, match="unknown parameter"):
        make_game("SLCD-v0", params={"gama": 0.5})
    with pytest.raises(ValueError, match="unknown observation"):
        make_game("SLCD-v0", observation="everything")
    with pytest.raises(ValueError, match="coplayers"):
        gymnasium.make("coopgym/ReputationMarket-v0", coplayers=["constant/50"])
    with pytest.raises(ValueError, match="unknown policy"):
        gymnasium.make("coopgym/SLCD-v0", coplayers="constant/500")


@pytest.mark.parametrize("option, value, message", [
    ("n_agents", 3, "n_agents=3 is impossible"),
    ("n_agents", 1, "impossible"),
    ("horizon", 0, "horizon must be a positive integer"),
    ("horizon", 2.5, "horizon must be a positive integer"),
    ("phase", "merger", "unknown phase 'merger'"),
    ("mutuality", 3.0, "mutuality must be in"),
    ("reward", "greedy", "unknown reward mode"),
    ("focal", 2, "focal must be an agent index"),
    ("action_units", "percent", "unknown action_units"),
])
def test_impossible_values_are_rejected(option, value, message):
    env_id = "RenaultNissan-v0"
    with pytest.raises((ValueError, TypeError), match=message):
        gymnasium.make(f"coopgym/{env_id}", **{option: value})


def test_phase_on_an_environment_without_phases():
    with pytest.raises(ValueError, match="has no phases"):
        make_game("SLCD-v0", phase="mature")


def test_odd_agent_count_for_pairing_is_impossible():
    with pytest.raises(ValueError, match="must be even"):
        make_game("DynamicPartnerSelection-v0", n_agents=5)


def test_out_of_range_finite_actions_are_clipped_to_the_endowment():
    game = make_game("PartnerHoldUp-v0")
    state = game.reset(np.zeros(1, dtype=np.uint64))
    _, res = game.step(state, np.array([[-50.0, 1e9]]))
    np.testing.assert_array_equal(res.actions, [[0.0, 80.0]])
    par = coopgym.parallel_env("PartnerHoldUp-v0", action_units="fraction")
    par.reset(seed=0)
    par.step({"player_0": [2.0], "player_1": [-1.0]})
    np.testing.assert_array_equal(par._last.actions, [[120.0, 0.0]])
