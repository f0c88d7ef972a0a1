"""What every one of the 16 learners promises: agents that leave and join, checkpoints that
reproduce actions (and refuse another learner's file), learning curves fixed by the seed, and
learning: after a short budget each beats the random policy and its own untrained start.

COOPGYM_LEARNING=short (the default, CI) runs the learning check on small budgets;
COOPGYM_LEARNING=full runs it with three times the budget and a larger required margin.
"""
import os

import numpy as np
import pytest

from conftest import some_states
from coopgym.baselines import REGISTRY, make_policy
from coopgym.runner.execute import evaluate
from learner_settings import CENTRALISED, INDEPENDENT, make, tiny, tiny_for_many_agents

NAMES = INDEPENDENT + CENTRALISED


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_all_sixteen_are_registered_as_learners_of_their_family():
    learners = {name for name, entry in REGISTRY.items() if entry.kind == "learner"}
    assert learners == set(NAMES) and len(NAMES) == 16
    for family, names in (("independent", INDEPENDENT), ("centralised", CENTRALISED)):
        for name in names:
            entry = REGISTRY[name]
            assert entry.family == family and entry.trains and entry.reference
            assert make_policy(name).name == name


@pytest.mark.parametrize("name", NAMES)
def test_variable_agent_counts_are_supported(name):
    """ApacheProject's historical phases: 8 of 40 contributors at first, more join, some leave."""
    learner = make(name, **tiny_for_many_agents(name))
    curve = learner.train("ApacheProject-v0", 240 if name != "isac" else 64, dict(phase="historical"))
    assert np.isfinite([r for _, r in curve]).all()
    game, state = some_states("ApacheProject-v0", dict(phase="historical"), batch=4)
    assert not state.active.all()
    a = learner.act(game, state, slice(None))
    assert a.shape == (4, 40) and np.isfinite(a).all()


@pytest.mark.parametrize("name", NAMES)
def test_save_load_reproduces_actions(name, tmp_path):
    options = dict(horizon=10)
    learner = make(name, seed=4, **tiny(name))
    learner.train("SLCD-v0", 320, options)
    learner.save(tmp_path / "ckpt")
    loaded = type(learner).load(tmp_path / "ckpt")
    assert loaded.hyperparameters == learner.hyperparameters and loaded.seed == 4
    game, state = some_states("SLCD-v0", options)
    np.testing.assert_array_equal(loaded.act(game, state, slice(None)), learner.act(game, state, slice(None)))
    # another learner of the same family, and one of the other family, refuse the file
    same = [n for n in (INDEPENDENT if name in INDEPENDENT else CENTRALISED) if n != name][0]
    other = CENTRALISED[0] if name in INDEPENDENT else INDEPENDENT[0]
    for wrong in (same, other):
        with pytest.raises(ValueError, match="checkpoint"):
            REGISTRY[wrong].factory.load(tmp_path / "ckpt")
    loaded.train("SLCD-v0", 64, options)   # a loaded learner keeps training


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_learning_curve(name):
    options = dict(horizon=10)
    runs = []
    for seed in (7, 7, 8):
        learner = make(name, seed=seed, **tiny(name))
        curve = learner.train("TeamProduction-v0", 480, options)
        runs.append((curve, learner.act(*some_states("TeamProduction-v0", options), slice(None))))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0] or not np.array_equal(runs[0][1], runs[2][1])


# ---- learning -------------------------------------------------------------------------------------

LEARNING = os.environ.get("COOPGYM_LEARNING", "short")
#: the simple environment: a 4-agent team game (team output omega (sum a)^.7, cost c a) with the
#: cooperative reward, no trust dynamics, 5 steps; the team optimum is everyone at full effort,
#: a dominant action. A team game, because in a social dilemma a correct self-interested learner
#: may end below its start and below random: there "better than random" is no test of learning.
SIMPLE = ("TeamProduction-v0", dict(reward="cooperative", trust=False, horizon=5))
BUDGET = {   # env-steps and hyperparameters of the short form; the full form triples the steps
    "ippo": (60_000, {}), "ia2c": (40_000, {}), "ireinforce": (60_000, {}), "lola": (40_000, {}),
    "selfplay_ppo": (40_000, {}), "fcp": (100_000, dict(num_envs=64, partner_share=0.3)),
    "isac": (12_000, dict(learning_rate=1e-3, learning_starts=500)),
    "mappo": (60_000, dict(num_envs=128)), "coma": (40_000, dict(num_envs=128)),
    "meanfield_ac": (40_000, dict(num_envs=128)),
    **{name: (20_000, dict(num_envs=16, learning_starts=1_000))
       for name in ("maddpg", "matd3", "m3ddpg", "masac", "qmix", "vdn")},
}
#: required share of the gap to the best constant policy (all-in) closed, from random and from the
#: start; the off-policy learners' short budgets are smaller, so the short form asks less of them
MARGIN = {name: (0.6 if LEARNING == "full" else 0.4) for name in INDEPENDENT}
MARGIN.update({name: (0.5 if LEARNING == "full" else 0.3) for name in CENTRALISED})


@pytest.fixture(scope="module")
def reference_returns():
    env_id, options = SIMPLE
    value = lambda p: float(evaluate(p, env_id, 64, 0, options)["returns"].mean())
    return value("heuristic/random"), max(value(f"constant/{level}") for level in range(0, 101, 10))


@pytest.mark.learning
@pytest.mark.parametrize("name", NAMES)
def test_learns_beyond_random_and_its_untrained_start(name, reference_returns):
    env_id, options = SIMPLE
    random, best = reference_returns
    steps, hp = BUDGET[name]
    margin = MARGIN[name]
    untrained = make(name, **hp)
    untrained.train(env_id, 0, options)
    start = float(evaluate(untrained, env_id, 64, 0, options)["returns"].mean())
    learner = make(name, **hp)
    learner.train(env_id, steps * (3 if LEARNING == "full" else 1), options)
    trained = float(evaluate(learner, env_id, 64, 0, options)["returns"].mean())
    assert trained >= random + margin * (best - random), (name, trained, random, best)
    assert trained >= start + margin * (best - start), (name, trained, start, best)
