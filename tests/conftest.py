import os
import warnings

import numpy as np
import pytest
import torch

import coopgym

ENV_IDS = coopgym.env_ids()


def pytest_configure(config):
    warnings.filterwarnings("ignore", message=".*symmetric and normalized space.*")


@pytest.fixture(params=ENV_IDS)
def env_id(request):
    return request.param


def rollout(game, P, table="payoffs"):
    """Episode sums (K, n) of ``table`` ("payoffs" or "rewards") when row k plays P[k] every step."""
    P = np.asarray(P, dtype=float)
    state = game.reset(np.zeros(len(P), dtype=np.uint64))
    total, running = np.zeros(P.shape), np.ones(len(P), dtype=bool)
    while running.any():
        state, res = game.step(state, P)
        total += np.where(running[:, None], getattr(res, table), 0.0)
        running &= ~(res.terminated | res.truncated)
    return total


def random_actions(game, rng, batch=1):
    """Actions uniform in [0, e_i], with exact corners (0 and e) mixed in."""
    a = rng.uniform(0, 1, size=(batch, game.n)) * game.e
    corner = rng.uniform(size=a.shape)
    a = np.where(corner < 0.1, 0.0, np.where(corner > 0.9, game.e, a))
    return a


LEARNING = os.environ.get("COOPGYM_LEARNING", "short")


def some_states(env_id, options, batch=16, steps=7, seed=3):
    """A batch of mid-episode states reached by random play."""
    env = coopgym.vector_env(env_id, num_envs=batch, action_units="fraction", **options)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        env.step(rng.random((batch, env.n_agents)))
    return env.game, env.state


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny networks gain nothing from threads, and parallel test workers would oversubscribe the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
