"""What every one of the 16 learners promises: the same untrained start, exact budgets, evaluation
points that leave training alone, agents that leave and join, checkpoints that reproduce actions
(and refuse another learner's file), learning curves fixed by the seed, acting for any subset of
agents, and clear errors. (Learning itself: test_learners_learning.py.)
"""
import numpy as np
import pytest
import torch

from conftest import some_states
from coopgym.baselines.learners.base import load
from coopgym.baselines.learners.rollout import Rollout
from coopgym.registry import LEARNERS, REGISTRY, make_policy
from coopgym.runner.execute import evaluate
from learner_settings import CENTRALISED, INDEPENDENT, NAMES, make, tiny, tiny_for_many_agents

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_all_sixteen_are_registered_as_learners_of_their_family():
    learners = {name for name, entry in REGISTRY.items() if entry.kind == "learner"}
    assert learners == set(NAMES) == set(LEARNERS) and len(NAMES) == 16
    for family, names in (("independent", INDEPENDENT), ("centralised", CENTRALISED)):
        for name in names:
            entry = REGISTRY[name]
            assert entry.family == family and entry.trains and entry.reference
            assert make_policy(name).name == name and make_policy(name).family == family


@pytest.mark.parametrize("name", NAMES)
def test_untrained_learners_start_at_half_the_endowment(name):
    """0 training steps, default settings: the deterministic policy's mean a/e on SLCD-v0 is in [0.4, 0.6]."""
    learner = make(name)
    assert learner.train("SLCD-v0", 0) == []
    rate = evaluate(learner, "SLCD-v0", 10, 0)["metrics"]["cooperation"]
    assert 0.4 <= rate <= 0.6, (name, rate)


def _counting(monkeypatch):
    """Counts the env-steps the learner is given (the transitions' counted games)."""
    seen = []
    step = Rollout.step

    def counted(self, frac):
        tr = step(self, frac)
        seen.append(tr["count"])
        return tr

    monkeypatch.setattr(Rollout, "step", counted)
    return seen


@pytest.mark.parametrize("name", NAMES)
def test_budgets_are_met_exactly(name, monkeypatch):
    seen = _counting(monkeypatch)
    learner = make(name, **tiny(name))
    learner.train("TeamProduction-v0", 203, dict(horizon=10))    # 203 = 25 joint steps of 8 games and 3 more
    assert sum(seen) == 203 and max(seen) == 8
    assert seen[-1] == 3 or name == "fcp"   # fcp's partners take their share first, each to its exact end


@pytest.mark.parametrize("name", NAMES)
def test_evaluation_points_are_hit_exactly_and_leave_training_alone(name):
    options, points = dict(horizon=10), [0, 50, 200, 203]
    seen = []
    with_points = make(name, seed=2, **tiny(name))
    curve = with_points.train("TeamProduction-v0", 203, options, eval_at=points,
                              evaluate=lambda learner, k: seen.append(k) or k * 10)
    assert seen == points and with_points.evaluations == [(k, k * 10) for k in points]
    without = make(name, seed=2, **tiny(name))
    assert without.train("TeamProduction-v0", 203, options) == curve
    for key, module in with_points.parts().items():
        if isinstance(module, torch.nn.Module):
            for (pname, a), b in zip(module.state_dict().items(), without.parts()[key].state_dict().values()):
                assert torch.equal(a, b), (key, pname)


def test_default_evaluation_is_the_executors_mean_return():
    learner = make("ippo", **tiny("ippo"))
    learner.train("SLCD-v0", 64, dict(horizon=10), eval_at=[0, 64])
    untrained = make("ippo", **tiny("ippo"))
    untrained.train("SLCD-v0", 0, dict(horizon=10))
    expected = float(evaluate(untrained, "SLCD-v0", 10, 0, dict(horizon=10))["returns"].mean())
    assert learner.evaluations[0] == (0, pytest.approx(expected))
    with pytest.raises(ValueError, match="eval_at"):
        learner.train("SLCD-v0", 64, dict(horizon=10), eval_at=[65])


@pytest.mark.parametrize("name", NAMES)
def test_variable_agent_counts_are_supported(name):
    """ApacheProject's historical phases: 8 of 40 contributors at first, more join, some leave."""
    learner = make(name, **tiny_for_many_agents(name))
    curve = learner.train("ApacheProject-v0", 130, dict(phase="historical"))
    assert np.isfinite([r for _, r in curve]).all()
    game, state = some_states("ApacheProject-v0", dict(phase="historical"), batch=4)
    assert not state.active.all()
    a = learner.act(game, state, slice(None))
    assert a.shape == (4, 40) and np.isfinite(a).all()


@pytest.mark.parametrize("name", NAMES)
def test_save_load_reproduces_actions_and_refuses_other_files(name, tmp_path):
    options = dict(horizon=10)
    learner = make(name, seed=4, **tiny(name))
    learner.train("SLCD-v0", 160, options)
    learner.save(tmp_path / "ckpt")
    game, state = some_states("SLCD-v0", options)
    for loaded in (type(learner).load(tmp_path / "ckpt"), load(tmp_path / "ckpt")):
        assert type(loaded) is type(learner) and loaded.seed == 4
        assert loaded.hyperparameters == learner.hyperparameters
        np.testing.assert_array_equal(loaded.act(game, state, slice(None)), learner.act(game, state, slice(None)))
    other = "mappo" if name != "mappo" else "ippo"
    with pytest.raises(ValueError, match=f"holds a '{name}' checkpoint, not '{other}'"):
        REGISTRY[other].factory.load(tmp_path / "ckpt")
    (tmp_path / "junk").write_bytes(b"not a checkpoint")
    for reader in (load, type(learner).load):
        with pytest.raises(ValueError, match="not a learner checkpoint"):
            reader(tmp_path / "junk")
    loaded.train("SLCD-v0", 64, options)   # a loaded learner keeps training


def test_a_checkpoint_of_something_else_is_refused(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="not a learner checkpoint"):
        load(tmp_path / "model.pt")


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_learning_curve(name):
    options = dict(horizon=10)
    runs = []
    for seed in (7, 7, 8):
        learner = make(name, seed=seed, **tiny(name))
        curve = learner.train("TeamProduction-v0", 400, options)
        runs.append((curve, learner.act(*some_states("TeamProduction-v0", options), slice(None))))
    assert runs[0][0] and runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0] or not np.array_equal(runs[0][1], runs[2][1])


@pytest.mark.parametrize("name", NAMES)
def test_acts_for_any_subset_of_agents_and_refuses_another_game(name):
    learner = make(name, **tiny(name))
    learner.train("TeamProduction-v0", 64, dict(horizon=10))
    game, state = some_states("TeamProduction-v0", dict(horizon=10))
    a = learner.act(game, state, slice(None))
    assert a.shape == (state.batch, 4) and np.all((a >= 0) & (a <= game.e))
    np.testing.assert_array_equal(learner.act(game, state, np.array([3, 1])), a[:, [3, 1]])
    with pytest.raises(ValueError, match=r"n=4, obs_dim=\d+ \(TeamProduction-v0\); this game has n=2"):
        learner.act(*some_states("SLCD-v0", {}), slice(None))
    with pytest.raises(ValueError, match="built for TeamProduction-v0"):
        learner.train("SLCD-v0", 16)


@pytest.mark.parametrize("name", NAMES)
def test_bad_settings_and_untrained_use_are_refused(name):
    with pytest.raises(ValueError, match=f"{name}: unknown hyperparameter\\(s\\) \\['learning_rat'\\]; known: "):
        make(name, learning_rat=1e-3)
    with pytest.raises(RuntimeError, match="train"):
        make(name).act(*some_states("SLCD-v0", {}), slice(None))
    with pytest.raises(RuntimeError, match="nothing to save"):
        make(name).save("never")
    with pytest.raises(ValueError, match="steps"):
        make(name).train("SLCD-v0", -1)


def test_hyperparameters_a_learner_does_not_use_are_refused():
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        make("ia2c", epochs=3)                  # A2C takes one step per rollout
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        make("vdn", mixer_embed=8)              # VDN's mixer is a sum
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        make("mappo", partners={1: "constant/50"})
