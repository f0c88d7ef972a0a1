"""The executor: records computed from the batched core, deterministic per seed."""
import numpy as np
import pytest

from coopgym import rng
from coopgym.envs import make_game
from coopgym.runner.backends import run_guarded
from coopgym.runner.execute import EVAL_SEED_OFFSET, evaluate, execute
from coopgym.runner.records import RunConfig, RunRecord


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


# ---- learners, checkpoints, the gap and the command line ---------------------------------------------

def _learner_config(**changes):
    base = dict(policy="ippo", env="SLCD-v0", reward="private", seed=0, steps=4096, eval_episodes=4,
                options={"horizon": 10})
    return RunConfig(**{**base, **changes})


def test_a_learner_run_trains_then_evaluates_and_reproduces():
    rec = execute(_learner_config())
    assert rec.status == "ok" and rec.n_agents == 2 and len(rec.learning_curve) > 1
    assert rec.learning_curve[-1][0] >= 4096 and rec.train_seconds > 0 and rec.eval_seconds > 0
    assert {"stable-baselines3", "torch", "numpy"} <= set(rec.versions)
    assert rec.started_at and rec.finished_at and len(rec.trajectory) == 10
    assert rec.oracle_return is not None
    assert rec.gap_to_oracle == pytest.approx((rec.team_return - rec.oracle_return) / abs(rec.oracle_return) * 100)
    again = execute(_learner_config())
    assert again.mean_return == rec.mean_return and again.learning_curve == rec.learning_curve
    assert RunRecord.from_json(rec.to_json()).mean_return == rec.mean_return


def test_zero_budget_evaluates_the_untrained_learner():
    rec = execute(_learner_config(steps=0))
    assert rec.status == "ok" and rec.learning_curve == [] and np.isfinite(rec.mean_return).all()


def test_checkpoint_of_a_run_reproduces_the_evaluation(tmp_path):
    from coopgym.baselines.learners.ippo import IPPO

    rec = execute(_learner_config(), checkpoint=tmp_path / "ippo.zip")
    result = evaluate(IPPO.load(tmp_path / "ippo.zip"), "SLCD-v0", 4, 0, {"mutuality": 0.0, "horizon": 10})
    np.testing.assert_allclose(result["returns"].mean(axis=0), rec.mean_return)
    with pytest.raises(ValueError, match="does not train"):
        execute(RunConfig(policy="constant/50", env="SLCD-v0", reward="private", seed=0, steps=0),
                checkpoint=tmp_path / "c.zip")


def test_no_oracle_means_no_gap(monkeypatch):
    from coopgym.baselines import REGISTRY
    from coopgym.runner import execute as ex

    monkeypatch.delitem(REGISTRY, ex.ORACLE)
    ex._oracle_return.cache_clear()
    try:
        rec = execute(RunConfig(policy="constant/40", env="SLCD-v0", reward="private", seed=0, steps=0,
                                eval_episodes=2))
    finally:
        ex._oracle_return.cache_clear()
    assert rec.status == "ok" and rec.oracle_return is None and rec.gap_to_oracle is None


def test_evaluate_takes_names_and_refuses_bad_episode_counts():
    out = evaluate("constant/100", "TeamProduction-v0", 3, 0, {"horizon": 7})
    assert out["returns"].shape == (3, 4) and out["cooperation_rate"] == pytest.approx(1.0)
    assert out["lengths"].tolist() == [7, 7, 7] and out["n_agents"] == 4
    with pytest.raises(ValueError, match="episodes"):
        evaluate("constant/100", "SLCD-v0", 0, 0)


def test_coopgym_run_command(capsys, tmp_path):
    import json

    from coopgym.cli import main

    assert main(["run", "--policy", "constant/50", "--env", "SLCD-v0", "--reward", "private", "--episodes", "3",
                 "--json"]) == 0
    record = RunRecord.from_dict(json.loads(capsys.readouterr().out))
    assert record.cooperation_rate == pytest.approx(0.5) and record.eval_episodes == 3
    assert main(["run", "--policy", "ia2c", "--env", "SLCD-v0", "--steps", "2048", "--episodes", "2",
                 "--option", "horizon=8", "--save", str(tmp_path / "ia2c.zip")]) == 0
    out = capsys.readouterr().out
    assert "agent 1: mean return" in out and "gap to oracle/equilibrium" in out and (tmp_path / "ia2c.zip").exists()
    assert main(["run", "--policy", "nope", "--env", "SLCD-v0"]) == 2
