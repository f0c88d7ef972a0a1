"""The batched vector envs equal N single envs with the same seeds, step by step."""
import gymnasium
import numpy as np
import pytest

import coopgym
from conftest import ENV_IDS, random_actions


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_multi_agent_vector_equals_single_games(env_id):
    N, seed = 4, 11
    venv = coopgym.vector_env(env_id, num_envs=N)
    singles = [coopgym.vector_env(env_id, num_envs=1) for _ in range(N)]
    obs, _ = venv.reset(seed=seed)
    for i, s in enumerate(singles):
        o, _ = s.reset(seed=seed + i)
        np.testing.assert_array_equal(obs[i], o[0])
    rng = np.random.default_rng(0)
    for _ in range(2 * venv.game.horizon + 3):  # crosses at least one autoreset
        a = random_actions(venv.game, rng, N)
        obs, rew, term, trunc, info = venv.step(a)
        for i, s in enumerate(singles):
            o, r, te, tr, inf = s.step(a[i : i + 1])
            np.testing.assert_array_equal(obs[i], o[0])
            np.testing.assert_array_equal(rew[i], r[0])
            assert term[i] == te[0] and trunc[i] == tr[0]


@pytest.mark.parametrize("env_id", ["SLCD-v0", "DynamicPartnerSelection-v0", "SynergySearch-v0"])
def test_gymnasium_vector_equals_single_envs(env_id):
    N, seed = 3, 20
    venv = gymnasium.make_vec(f"coopgym/{env_id}", num_envs=N, coplayers="heuristic/random")
    envs = [gymnasium.make(f"coopgym/{env_id}", coplayers="heuristic/random") for _ in range(N)]
    obs, _ = venv.reset(seed=seed)
    single = [e.reset(seed=seed + i)[0] for i, e in enumerate(envs)]
    np.testing.assert_array_equal(obs, np.stack(single))
    rng = np.random.default_rng(1)
    needs_reset = [False] * N
    for _ in range(2 * envs[0].unwrapped.game.horizon + 2):
        a = rng.uniform(0, 100, size=(N, 1)).astype(np.float32)
        obs, rew, term, trunc, _ = venv.step(a)
        for i, e in enumerate(envs):
            if needs_reset[i]:  # next-step autoreset: this step only resets
                o, _ = e.reset()
                r, te, tr = 0.0, False, False
            else:
                o, r, te, tr, _ = e.step(a[i])
            needs_reset[i] = te or tr
            np.testing.assert_array_equal(obs[i], o)
            assert rew[i] == pytest.approx(r) and term[i] == te and trunc[i] == tr


def test_same_step_autoreset_reports_final_observation():
    venv = gymnasium.make_vec("coopgym/SLCD-v0", num_envs=2, horizon=3, vector_kwargs=None,
                              autoreset_mode="SameStep")
    venv.reset(seed=0)
    for _ in range(3):
        obs, rew, term, trunc, info = venv.step(np.full((2, 1), 50.0, dtype=np.float32))
    assert trunc.all() and "final_obs" in info
    n = 2
    np.testing.assert_array_equal(obs[:, 2 * n], 0.0)  # already reset: t / horizon (after one-hot and actions) is 0


def test_vector_env_shapes_for_learners():
    venv = coopgym.vector_env("PlatformEcosystem-v0", num_envs=16, action_units="fraction")
    obs, info = venv.reset(seed=0)
    assert obs.shape == (16, 5, venv.obs_dim) and info["state"].shape == (16, venv.state_dim)
    obs, rew, term, trunc, info = venv.step(np.full((16, 5), 0.5))
    assert rew.shape == (16, 5)
    np.testing.assert_allclose(info["actions"], 0.5 * venv.game.e[None].repeat(16, 0))
