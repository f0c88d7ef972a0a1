"""The nine centralised-training learners: they train on both test games, share parameters on
request, keep each agent on its own reward, and QMIX/VDN factorise a team value only under the
cooperative reward. (The contract all 16 learners share, learning included, is in
test_learners_contract.py.)
"""
import numpy as np
import pytest
import torch

from conftest import some_states
from coopgym.baselines.learners import qmix
from coopgym.baselines.learners.common import Rollout, member
from learner_settings import CENTRALISED, ON_POLICY, make, tiny

NAMES = CENTRALISED


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ---- registry and interface -------------------------------------------------------------------

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
