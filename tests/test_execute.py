"""The executor: records computed from the batched core, deterministic per seed."""
import numpy as np
import pytest

from coopgym import rng
from coopgym.envs import make_game
from coopgym.runner.backends import run_guarded
from coopgym.runner.execute import EVAL_SEED_OFFSET, execute
from coopgym.runner.records import RunConfig


def test_constant_policy_record_matches_a_hand_rollout():
    cfg = RunConfig(policy="constant/50", env="SLCD-v0", reward="private", seed=3, steps=0, eval_episodes=4)
    rec = execute(cfg)
    assert rec.status == "ok" and rec.n_agents == 2 and rec.cooperation_rate == pytest.approx(0.5)
    game = make_game("SLCD-v0", mutuality=0.0)
    state = game.reset(rng.seed_keys(EVAL_SEED_OFFSET + 3, 4))
    total = np.zeros((4, 2))
    for _ in range(game.horizon):
        state, res = game.step(state, np.full((4, 2), 50.0))
        total += res.rewards
    np.testing.assert_allclose(rec.mean_return, total.mean(axis=0))
    assert len(rec.trajectory) == game.horizon and 0 <= rec.final_trust <= 1
    assert rec.mechanism == "TR-1"


def test_same_config_same_record_and_seeds_matter():
    cfg = RunConfig(policy="heuristic/random", env="SynergySearch-v0", reward="integrated", seed=1, steps=0,
                    eval_episodes=3)
    a, b = execute(cfg), execute(cfg)
    assert a.mean_return == b.mean_return and a.trajectory == b.trajectory
    other = execute(RunConfig(**{**cfg.to_dict(), "seed": 2}))
    assert other.mean_return != a.mean_return


def test_episodes_that_end_early_stop_counting():
    # TrustDilemma terminates when mean trust < .05: full defection ends the episode early
    rec = execute(RunConfig(policy="constant/0", env="TrustDilemma-v0", reward="private", seed=0, steps=0,
                            eval_episodes=2))
    assert len(rec.trajectory) < 100 and rec.final_trust < 0.05


def test_a_failing_run_becomes_a_failed_record():
    rec = run_guarded(RunConfig(policy="constant/50", env="SLCD-v0", reward="private", seed=0, steps=0,
                                options={"n_agents": 3}))
    assert rec.status == "failed" and "n_agents=3 is impossible" in rec.error
