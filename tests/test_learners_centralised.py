"""The nine centralised-training learners: they train, checkpoint, reproduce, learn, and each
agent learns from its own reward only.

COOPGYM_LEARNING=short (the default, CI) runs the learning check on small budgets;
COOPGYM_LEARNING=full runs it with three times the budget and a larger required margin.
"""
import os

import numpy as np
import pytest
import torch

import coopgym
from conftest import some_states
from coopgym.baselines import REGISTRY, make_policy
from coopgym.baselines.learners import qmix
from coopgym.baselines.learners.common import Rollout, member

NAMES = ["mappo", "maddpg", "matd3", "masac", "m3ddpg", "qmix", "vdn", "coma", "meanfield_ac"]
ON_POLICY = {"mappo", "coma", "meanfield_ac"}
LEARNING = os.environ.get("COOPGYM_LEARNING", "short")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny networks gain nothing from threads, and parallel test workers would oversubscribe the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny(name, **extra):
    """Hyperparameters for a quick run: few games, small networks, updates from the first steps."""
    hp = dict(num_envs=8, hidden=16)
    if name in ON_POLICY:
        hp.update(rollout=8)
    else:
        hp.update(learning_starts=64, batch_size=32)
    hp.update(extra)
    return hp


def make(name, seed=0, share_parameters=False, **hp):
    return REGISTRY[name].factory(seed=seed, share_parameters=share_parameters, **hp)


def evaluate(policy, env_id, options, episodes=64, seed=10_000):
    """Mean return per agent of ``policy`` acting deterministically in ``episodes`` games."""
    env = coopgym.vector_env(env_id, num_envs=episodes, **options)
    env.reset(seed=seed)
    policy.bind(env.game)
    total, done = np.zeros((episodes, env.n_agents)), np.zeros(episodes, dtype=bool)
    while not done.all():
        _, r, term, trunc, _ = env.step(policy.act(env.game, env.state, slice(None)))
        total += np.where(done[:, None], 0.0, r)
        done |= term | trunc
    return float(total.mean())


# ---- registry and interface -------------------------------------------------------------------

def test_all_nine_are_registered_as_centralised_learners():
    for name in NAMES:
        entry = REGISTRY[name]
        assert entry.kind == "learner" and entry.family == "centralised" and entry.trains
        assert entry.reference and make_policy(name).name == name


def test_bad_hyperparameters_and_untrained_use_are_refused():
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        make("mappo", learning_rate=1e-3)
    with pytest.raises(RuntimeError, match="train"):
        make("maddpg").act(*some_states("SLCD-v0", {}), slice(None))
    learner = make("vdn", **tiny("vdn"))
    learner.train("SLCD-v0", 0)
    with pytest.raises(ValueError, match="n=2"):
        learner.act(*some_states("TeamProduction-v0", {}), slice(None))
    with pytest.raises(ValueError, match="steps"):
        learner.train("SLCD-v0", -5)


# ---- brief training on the two named environments ----------------------------------------------

@pytest.mark.parametrize("env_id", ["SLCD-v0", "TeamProduction-v0"])
@pytest.mark.parametrize("name", NAMES)
def test_trains_briefly_with_finite_losses_and_returns(name, env_id):
    options = dict(horizon=10)
    seen = []
    learner = make(name, **tiny(name))
    curve = learner.train(env_id, 480, options, callback=lambda steps, ret: seen.append((steps, ret)))
    assert curve and all(np.isfinite(r) for _, r in curve)
    assert [s for s, _ in curve] == sorted(s for s, _ in curve)
    assert len(seen) == len(curve) and seen[0][1].shape == (learner.meta["n"],)
    assert learner.last_stats and all(np.isfinite(v) for v in learner.last_stats.values())
    game, state = some_states(env_id, options)
    a = learner.act(game, state, slice(None))
    assert a.shape == (state.batch, game.n) and np.all((a >= 0) & (a <= game.e))
    np.testing.assert_array_equal(learner.act(game, state, np.array([1])), a[:, [1]])


@pytest.mark.parametrize("name", NAMES)
def test_shared_parameters_train(name):
    learner = make(name, share_parameters=True, **tiny(name))
    curve = learner.train("TeamProduction-v0", 480, dict(horizon=10, reward="private"))
    assert curve and np.isfinite([r for _, r in curve]).all()
    assert sum(p.numel() for m in learner.modules().values() for p in m.parameters()) > 0


@pytest.mark.parametrize("name", NAMES)
def test_variable_agent_counts_are_supported(name):
    """ApacheProject's historical phases: 8 of 40 contributors at first, more join, some leave."""
    small = {} if name in ON_POLICY else {"batch_size": 16}
    if name == "qmix":   # 40 mixers, one per agent, each with hypernetworks on a 3,321-dim state
        small.update(mixer_embed=4, hyper_hidden=8)
    learner = make(name, **tiny(name, num_envs=2, hidden=8, **small))
    curve = learner.train("ApacheProject-v0", 240, dict(phase="historical"))
    assert curve and np.isfinite([r for _, r in curve]).all()
    game, state = some_states("ApacheProject-v0", dict(phase="historical"), batch=4)
    assert not state.active.all()
    a = learner.act(game, state, slice(None))
    assert a.shape == (4, 40) and np.isfinite(a).all()


# ---- checkpoints and determinism ----------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_save_load_reproduces_actions(name, tmp_path):
    options = dict(horizon=10)
    learner = make(name, seed=4, **tiny(name))
    learner.train("SLCD-v0", 320, options)
    learner.save(tmp_path / "ckpt.pt")
    loaded = type(learner).load(tmp_path / "ckpt.pt")
    assert loaded.hyperparameters == learner.hyperparameters and loaded.seed == 4
    game, state = some_states("SLCD-v0", options)
    np.testing.assert_array_equal(loaded.act(game, state, slice(None)), learner.act(game, state, slice(None)))
    other = "vdn" if name != "vdn" else "qmix"
    with pytest.raises(ValueError, match="checkpoint"):
        REGISTRY[other].factory.load(tmp_path / "ckpt.pt")


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


# ---- each agent learns from its own reward --------------------------------------------------------

def _policy_module(learner):
    return learner.utilities if isinstance(learner, qmix.QMIX) else learner.actor


def _own_modules(learner):
    """Everything whose parameters decide agent 0's actions, ensemble member 0 being agent 0's."""
    mods = [_policy_module(learner)]
    return mods + ([learner.mixer] if isinstance(learner, qmix.QMIX) else [])


def _grads(module, index):
    return [g.clone() for g in member(module, index, grad=True)]


def _one_update(name, alter):
    """Two identical learners take one update on the same data, except ``alter`` changes agent 1's rewards
    in the second; returns both learners."""
    env_id, options = "TeamProduction-v0", dict(reward="private", horizon=10)
    hp = tiny(name)
    if name in ON_POLICY:
        hp.update(minibatches=1, **({"epochs": 1} if name == "mappo" else {"critic_epochs": 1}))
    if name == "matd3":
        hp.update(policy_delay=1)
    learners = [make(name, seed=1, **hp) for _ in range(2)]
    for learner in learners:
        learner.prepare(env_id, options)
    if name in ON_POLICY:
        batch = learners[0].collect(Rollout(env_id, hp["num_envs"], 5, options))
        key, agent_axis = "rewards", 1                   # (T, n, N)
    else:
        for learner in learners:
            learner.total_steps, learner.env_steps = 1000, 500
            learner.buffer = learner.make_buffer()
        env, rng = Rollout(env_id, hp["num_envs"], 5, options), np.random.default_rng(0)
        for _ in range(20):
            tr = env.step(rng.random((env.num_envs, env.n)))
            tr["rewards"] = learners[0].scaler(tr["rewards"], tr["done"])
            learners[0].buffer.add(**tr)
        batch = learners[0].batch()
        key, agent_axis = "rewards", 0                   # (n, B)
    altered = {k: v.clone() for k, v in batch.items()}
    idx = [slice(None)] * altered[key].dim()
    idx[agent_axis] = 1
    altered[key][tuple(idx)] = alter(altered[key][tuple(idx)])
    state = learners[0].gen.get_state()   # the same minibatch draws in both updates
    learners[0].update(batch)
    learners[1].gen.set_state(state)
    learners[1].update(altered)
    return learners


@pytest.mark.parametrize("name", NAMES)
def test_changing_agent_1_rewards_leaves_agent_0_untouched(name):
    """reward="private": one update step; agent 0's actor (QMIX/VDN: its utility network and mixer)
    gets the same gradient and the same parameters whatever agent 1's rewards are."""
    a, b = _one_update(name, lambda r: -3.0 * r + 1.0)
    for ma, mb in zip(_own_modules(a), _own_modules(b)):
        for ga, gb in zip(_grads(ma, 0), _grads(mb, 0)):
            torch.testing.assert_close(ga, gb, rtol=0, atol=0)
        for pa, pb in zip(member(ma, 0), member(mb, 0)):
            torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    # the test has power: agent 1's own gradient does change
    assert any(not torch.equal(ga, gb) for ga, gb in zip(_grads(_policy_module(a), 1), _grads(_policy_module(b), 1)))


def test_team_factorisation_only_under_the_cooperative_reward():
    for name in ("qmix", "vdn"):
        learner = make(name, factorisation="team", **tiny(name))
        with pytest.raises(ValueError, match="cooperative"):
            learner.train("TeamProduction-v0", 0, dict(reward="integrated"))
        auto = make(name, **tiny(name))
        auto.train("TeamProduction-v0", 0, dict(reward="cooperative"))
        assert auto.team
        auto = make(name, **tiny(name))
        auto.train("TeamProduction-v0", 0, dict(reward="private"))
        assert not auto.team


# ---- learning ---------------------------------------------------------------------------------------

#: the simple environment: a 4-agent team game (team output omega (sum a)^.7, cost c a) with the
#: cooperative reward, no trust dynamics, 5 steps; the team optimum is everyone at full effort.
#: A team game, because in a social dilemma a correct self-interested learner may end below
#: its start (and below random): there "better than random" is no test of learning.
SIMPLE = ("TeamProduction-v0", dict(reward="cooperative", trust=False, horizon=5))
BUDGET = {  # env-steps and hyperparameters of the short form; the full form triples the steps
    "mappo": (60_000, dict(num_envs=128)),
    "coma": (40_000, dict(num_envs=128)),
    "meanfield_ac": (40_000, dict(num_envs=128)),
    **{name: (20_000, dict(num_envs=16, learning_starts=1_000))
       for name in ("maddpg", "matd3", "m3ddpg", "masac", "qmix", "vdn")},
}
#: required share of the gap to the best constant policy (all-in) closed, from random and from the start
MARGIN = 0.5 if LEARNING == "full" else 0.3


@pytest.fixture(scope="module")
def reference_returns():
    env_id, options = SIMPLE
    random = evaluate(make_policy("heuristic/random"), env_id, options)
    best = max(evaluate(make_policy(f"constant/{level}"), env_id, options) for level in range(0, 101, 10))
    return random, best


@pytest.mark.learning
@pytest.mark.parametrize("name", NAMES)
def test_learns_beyond_random_and_its_untrained_start(name, reference_returns):
    env_id, options = SIMPLE
    random, best = reference_returns
    steps, hp = BUDGET[name]
    untrained = make(name, **hp)
    untrained.train(env_id, 0, options)
    start = evaluate(untrained, env_id, options)
    learner = make(name, **hp)
    learner.train(env_id, steps * (3 if LEARNING == "full" else 1), options)
    trained = evaluate(learner, env_id, options)
    assert trained >= random + MARGIN * (best - random), (name, trained, random, best)
    assert trained >= start + MARGIN * (best - start), (name, trained, start, best)
