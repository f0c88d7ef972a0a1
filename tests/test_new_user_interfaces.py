"""What a new user trips on at the interfaces (issue 16, items 2 and 6): each test reproduces a failure
that was reported and checks the fix."""
import warnings

import gymnasium
import numpy as np
import pytest

import coopgym
from coopgym.adapters.units import UNITS
from learner_settings import make


def test_sb3_make_vec_env_builds_the_env():
    """SB3's make_vec_env asks for render_mode='rgb_array' first and falls back only on TypeError."""
    from stable_baselines3.common.env_util import make_vec_env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # gymnasium warns about the render mode it tried
        venv = make_vec_env("coopgym/SLCD-v0", n_envs=4, seed=0)
    assert venv.num_envs == 4 and venv.reset().shape == (4, venv.observation_space.shape[0])
    with pytest.raises(TypeError, match="render_mode"):
        gymnasium.make("coopgym/SLCD-v0", render_mode="rgb_array")


@pytest.mark.parametrize("make_env", [lambda **kw: gymnasium.make("coopgym/SLCD-v0", **kw),
                                      lambda **kw: coopgym.parallel_env("SLCD-v0", **kw)])
def test_the_default_action_box_is_normalised(make_env):
    """[-1, 1] by default, played as (a + 1) / 2 * e: a zero action (an untrained Gaussian's mean) plays
    half the endowment; "fraction" and "endowment" stay available."""
    env = make_env()
    single = isinstance(env, gymnasium.Env)
    space = env.action_space if single else env.action_space("player_0")
    assert np.all(space.low == -1) and np.all(space.high == 1)
    e = coopgym.envs.make_game("SLCD-v0").e
    for units, action, played in (("normalized", 0.0, e[0] / 2), ("normalized", -1.0, 0.0),
                                  ("normalized", 0.5, 0.75 * e[0]), ("fraction", 0.3, 0.3 * e[0]),
                                  ("endowment", 42.0, 42.0)):
        env = make_env(action_units=units)
        env.reset(seed=0)
        if single:
            info = env.step(np.array([action], dtype=np.float32))[4]
            assert info["actions"][0] == pytest.approx(played, rel=1e-6)
        else:
            env.step({"player_0": np.array([action]), "player_1": np.array([0.0])})
            assert env._last.actions[0, 0] == pytest.approx(played, rel=1e-6)
    assert set(UNITS) == {"normalized", "fraction", "endowment"}
    with pytest.raises(ValueError, match="action_units"):
        make_env(action_units="percent")


def test_a_bad_aec_action_fails_at_its_own_turn_and_changes_nothing():
    env = coopgym.aec_env("SLCD-v0")
    env.reset(seed=0)
    first = env.agent_selection
    for bad, err in ((np.array([np.nan]), ValueError), (np.ones(3), ValueError), ("50", TypeError)):
        with pytest.raises(err, match=first):
            env.step(bad)
        assert env.agent_selection == first            # still this agent's turn
    env.step(np.array([0.0]))
    second = env.agent_selection
    assert second != first
    env.step(np.array([0.0]))                          # the step resolves with the good actions
    assert env.agent_selection == first and np.isfinite(env.rewards[first])


def test_an_untrained_learner_is_refused_as_coplayer(tmp_path):
    with pytest.raises(ValueError, match="untrained"):
        gymnasium.make("coopgym/SLCD-v0", coplayers="ippo")
    learner = make("ippo", rollout=4)
    learner.train("SLCD-v0", 256, {})
    path = tmp_path / "ippo.pt"
    learner.save(path)
    env = gymnasium.make("coopgym/SLCD-v0", coplayers=str(path))   # a checkpoint plays as co-player
    env.reset(seed=0)
    assert np.isfinite(env.step(np.array([0.0], dtype=np.float32))[1])


def test_vector_envs_say_reset_first():
    for env in (coopgym.vector_env("SLCD-v0", num_envs=2),
                gymnasium.make_vec("coopgym/SLCD-v0", num_envs=2, vectorization_mode="vector_entry_point")):
        with pytest.raises(RuntimeError, match=r"call reset\(\)"):
            env.step(np.zeros((2, 2)) if hasattr(env, "n_agents") else np.zeros((2, 1)))


def test_the_gym_env_warns_when_stepped_after_the_end_and_refuses_strings():
    env = gymnasium.make("coopgym/SLCD-v0", horizon=2)
    env.reset(seed=0)
    with pytest.raises(TypeError, match="'50'"):
        env.step("50")
    env.step(np.array([0.0], dtype=np.float32))
    assert env.step(np.array([0.0], dtype=np.float32))[3]          # truncated at the horizon
    with pytest.warns(UserWarning, match="after the episode ended"):
        env.unwrapped.step(np.array([0.0], dtype=np.float32))


def _focal_return(act, episodes=5):
    """Agent 0's mean episode return on SLCD-v0 (private reward, TitForTat partner), evaluation seeds."""
    env = gymnasium.make("coopgym/SLCD-v0", reward="private")
    total = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=1000 + episode)
        done, ret = False, 0.0
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs, env))
            ret, done = ret + reward, terminated or truncated
        total.append(ret)
    return float(np.mean(total))


@pytest.mark.learning
@pytest.mark.parametrize("vectorised", [False, True])
def test_sb3_ppo_learns_on_slcd_within_50k_steps(vectorised):
    """The README's SB3 recipe (PPO, rewards normalised by VecNormalize, initial log-std -1), on one
    ``gymnasium.make`` env and on SB3's ``make_vec_env`` with 4 envs: after 50k steps the deterministic
    policy earns more than heuristic/random and more than its own untrained start."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if vectorised:
            venv = make_vec_env("coopgym/SLCD-v0", n_envs=4, seed=0, env_kwargs={"reward": "private"})
        else:
            venv = DummyVecEnv([lambda: gymnasium.make("coopgym/SLCD-v0", reward="private")])
    model = PPO("MlpPolicy", VecNormalize(venv, norm_obs=False), seed=0, policy_kwargs={"log_std_init": -1.0})
    greedy = lambda obs, env: model.predict(obs, deterministic=True)[0]
    untrained = _focal_return(greedy)
    model.learn(50_000)
    trained = _focal_return(greedy)
    random = _focal_return(lambda obs, env: env.action_space.sample())
    assert trained > untrained and trained > random, (trained, untrained, random)
