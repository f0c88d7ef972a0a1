"""The executor: records computed from the batched core, deterministic per seed; eval points, config
hashes and v1 records."""
import inspect
from pathlib import Path

import numpy as np
import pytest

from coopgym import rng
from coopgym.envs import make_game
from coopgym.runner.backends import run_guarded
from coopgym.runner.execute import EVAL_SEED_OFFSET, evaluate, execute
from coopgym.baselines.learners.base import Learner
from coopgym.runner.records import RunConfig, RunRecord


def test_constant_policy_record_matches_a_hand_rollout():
    cfg = RunConfig(policy="constant/50", env="SLCD-v0", reward="private", seed=3, steps=0, eval_episodes=4)
    rec = execute(cfg)
    assert rec.status == "ok" and rec.n_agents == 2 and rec.metrics["cooperation"] == pytest.approx(0.5)
    game = make_game("SLCD-v0", mutuality=0.0)
    state = game.reset(rng.seed_keys(EVAL_SEED_OFFSET + 3, 4))
    total, payoffs = np.zeros((4, 2)), np.zeros((4, 2))
    for _ in range(game.horizon):
        state, res = game.step(state, np.full((4, 2), 50.0))
        total += res.rewards
        payoffs += res.payoffs
    np.testing.assert_allclose(rec.mean_return, total.mean(axis=0))
    assert rec.metrics["return"] == pytest.approx(total.mean()) and rec.metric("return") == rec.metrics["return"]
    assert rec.metrics["welfare"] == pytest.approx(payoffs.sum(axis=1).mean())
    assert len(rec.trajectory) == game.horizon and 0 <= rec.metrics["trust"] <= 1
    assert rec.mechanism == "TR-1" and rec.evaluations == [] and rec.eval_at == ()
    assert {"numpy", "numba", "scipy", "gymnasium", "pettingzoo", "stable-baselines3", "torch", "python",
            "coopgym"} <= set(rec.versions)


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
    assert len(rec.trajectory) < 100 and rec.metrics["trust"] < 0.05


def test_a_failing_run_becomes_a_failed_record():
    rec = run_guarded(RunConfig(policy="constant/50", env="SLCD-v0", reward="private", seed=0, steps=0,
                                options={"n_agents": 3}))
    assert rec.status == "failed" and "n_agents=3 is impossible" in rec.error


# ---- config hashes, eval points, legacy records -------------------------------------------------------

def test_config_hash_without_eval_points_is_unchanged():
    """The hash is sha256 of the canonical JSON, which leaves out an empty eval_at (ledgers stay valid)."""
    import hashlib

    cfg = RunConfig("ippo", "SLCD-v0", "private", 0, 100)
    text = ('{"env":"SLCD-v0","eval_episodes":10,"options":{},"policy":"ippo","reward":"private","seed":0,'
            '"steps":100}')
    assert cfg.config_hash == hashlib.sha256(text.encode()).hexdigest()
    with_points = RunConfig("ippo", "SLCD-v0", "private", 0, 100, eval_at=[100, 0, 50, 0])
    assert with_points.eval_at == (0, 50, 100) and with_points.config_hash != cfg.config_hash
    assert RunConfig.from_dict(with_points.to_dict()) == with_points
    with pytest.raises(ValueError, match="eval_at count 200 exceeds the training budget steps=100"):
        RunConfig("ippo", "SLCD-v0", "private", 0, 100, eval_at=[0, 200])
    with pytest.raises(ValueError, match="eval_at count must be >= 0"):
        RunConfig("ippo", "SLCD-v0", "private", 0, 100, eval_at=[-5])
    with pytest.raises(TypeError, match="eval_at must be a list"):
        RunConfig("ippo", "SLCD-v0", "private", 0, 100, eval_at="0,50")


def test_a_v1_record_converts():
    v1 = {"policy": "constant/50", "env": "SLCD-v0", "reward": "private", "seed": 0, "steps": 0,
          "n_agents": 2, "mean_return": [10.0, 20.0], "std_return": [0.0, 0.0], "cooperation_rate": 0.5,
          "final_trust": 0.7, "oracle_return": 12.0, "gap_to_oracle": 25.0, "learning_curve": []}
    rec = RunRecord.from_dict(v1)
    assert rec.metrics == {"return": 15.0, "welfare": None, "equality": None, "cooperation": 0.5, "trust": 0.7}
    assert RunRecord.from_json(rec.to_json()) == rec
    with pytest.raises(ValueError, match="unknown run-record field"):
        RunRecord.from_dict({**v1, "bogus": 1})
    with pytest.raises(ValueError, match="unknown metric"):
        RunRecord.from_config(RunConfig("constant/50", "SLCD-v0", "private", 0, 0), n_agents=1, mean_return=[1.0],
                              metrics={"happiness": 1.0})


class StepLearner(Learner):
    """A fake learner with the learner API the executor calls: it plays level k / steps of each endowment
    after k env-steps (so at each evaluation point it is constant/<100 k / steps>)."""

    name = "fake/step"

    def __init__(self, seed=0):
        self.seed, self.level, self.evaluations = seed, 0.0, []

    def train(self, env_id, steps, env_options=None, *, eval_at=(), evaluate=None, callback=None):
        for k in sorted(eval_at):
            self.level = k / steps
            self.evaluations.append((k, evaluate(self, k)))
        self.level = 1.0
        return [(0, 0.0), (steps, 1.0)]

    def act(self, game, state, agents):
        return np.broadcast_to(self.level * game.e[agents], (state.batch, len(game.e[agents]))).copy()

    def save(self, path):
        Path(path).write_text(str(self.level))

    @classmethod
    def load(cls, path):
        out = cls()
        out.level = float(Path(path).read_text())
        return out


@pytest.fixture
def fake_learner(monkeypatch):
    from coopgym.registry import REGISTRY, PolicyEntry

    monkeypatch.setitem(REGISTRY, "fake/step", PolicyEntry("fake/step", StepLearner, "learner", "test", "", True))
    return "fake/step"


def test_eval_points_are_the_learning_curve(fake_learner, tmp_path):
    cfg = RunConfig(fake_learner, "SLCD-v0", "integrated", 2, 100, eval_episodes=3, eval_at=[0, 50, 100])
    rec = execute(cfg, checkpoint=tmp_path / "fake.txt")
    assert [p["steps"] for p in rec.evaluations] == [0, 50, 100]
    for point, level in zip(rec.evaluations, (0, 50, 100)):
        same = execute(RunConfig(f"constant/{level}", "SLCD-v0", "integrated", 2, 0, eval_episodes=3))
        assert {k: v for k, v in point.items() if k != "steps"} == same.metrics
    assert rec.metrics == {k: rec.evaluations[-1][k] for k in rec.metrics}   # the last point is the final policy
    assert rec.learning_curve == [[0, 0.0], [100, 1.0]] and (tmp_path / "fake.txt").read_text() == "1.0"
    again = RunRecord.from_json(rec.to_json())
    assert again.evaluations == rec.evaluations and again.eval_at == (0, 50, 100)
    with pytest.raises(ValueError, match="does not train: there is no training run to evaluate"):
        execute(RunConfig("constant/50", "SLCD-v0", "private", 0, 0, eval_at=[0]))
    with pytest.raises(ValueError, match="does not train: there is no checkpoint"):
        execute(RunConfig("constant/50", "SLCD-v0", "private", 0, 0), checkpoint=tmp_path / "c.zip")


def _learners_take_eval_points() -> bool:
    from coopgym.baselines.learners.ippo import IPPO

    return "eval_at" in inspect.signature(IPPO.train).parameters


@pytest.mark.skipif(not _learners_take_eval_points(),
                    reason="the registry's learners take eval_at once the learners package has landed")
def test_a_real_learner_run_with_eval_points_reproduces(tmp_path):
    cfg = RunConfig("ippo", "SLCD-v0", "private", 0, 2048, eval_episodes=2, options={"horizon": 10},
                    eval_at=[0, 1024, 2048])
    rec = execute(cfg, checkpoint=tmp_path / "ippo.zip")
    assert [p["steps"] for p in rec.evaluations] == [0, 1024, 2048]
    assert rec.metrics == {k: rec.evaluations[-1][k] for k in rec.metrics}   # the last point is the final policy
    again = execute(cfg)
    assert again.metrics == rec.metrics and again.evaluations == rec.evaluations


def test_evaluate_takes_names_and_refuses_bad_episode_counts():
    out = evaluate("constant/100", "TeamProduction-v0", 3, 0, {"horizon": 7})
    assert out["returns"].shape == (3, 4) and out["metrics"]["cooperation"] == pytest.approx(1.0)
    assert out["lengths"].tolist() == [7, 7, 7] and out["n_agents"] == 4
    with pytest.raises(ValueError, match="episodes"):
        evaluate("constant/100", "SLCD-v0", 0, 0)


def test_coopgym_run_command(capsys, fake_learner):
    import json

    from coopgym.cli import main

    assert main(["run", "--policy", "constant/50", "--env", "SLCD-v0", "--reward", "private", "--episodes", "3",
                 "--json"]) == 0
    record = RunRecord.from_dict(json.loads(capsys.readouterr().out))
    assert record.metrics["cooperation"] == pytest.approx(0.5) and record.eval_episodes == 3
    assert main(["run", "--policy", fake_learner, "--env", "SLCD-v0", "--steps", "100", "--episodes", "2",
                 "--eval-at", "0,100", "--option", "horizon=8"]) == 0
    out = capsys.readouterr().out
    assert "agent 1: mean return" in out and "welfare" in out and "learning curve" in out and "100 env-steps" in out
    assert main(["run", "--policy", "nope", "--env", "SLCD-v0"]) == 2
    assert main(["run", "--policy", fake_learner, "--env", "SLCD-v0", "--steps", "10", "--eval-at", "0-10"]) == 2
