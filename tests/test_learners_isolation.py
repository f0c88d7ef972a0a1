"""Each agent learns from its own reward: changing only agent 1's rewards leaves agent 0's first update
untouched, in every learner with one set of parameters per agent; the shared-policy learners train on
each seat's own reward; LOLA's agent 0 sees agent 1's reward only through its model of agent 1's learning.
"""
import numpy as np
import pytest
import torch

from coopgym.baselines.learners.nets import member_views
from coopgym.baselines.learners.rollout import Rollout
from learner_settings import EPISODIC, NAMES, OFF_POLICY, SHARED, make, tiny

pytestmark = pytest.mark.usefixtures("one_torch_thread")

OPTIONS = dict(reward="private", horizon=10)


def _trained_with(name, monkeypatch, alter, **hp):
    """A learner trained until its first update on TeamProduction (private rewards), agent 1's rewards
    passed through ``alter`` before it sees them."""
    step = Rollout.step

    def altered(self, frac):
        tr = step(self, frac)
        tr["rewards"][1] = alter(tr["rewards"][1])
        return tr

    monkeypatch.setattr(Rollout, "step", altered)
    if name in OFF_POLICY:   # one gradient step, at the end of the random warm-up (8 games x 1/8)
        hp.setdefault("utd", 1 / 8)
    learner = make(name, seed=1, **tiny(name, **hp))
    # one update: the first batch (on-policy), or the one gradient step (off-policy); after it, agent 0's
    # targets and data depend on agent 1's new policy, and so on agent 1's reward, as the algorithms intend
    budget = 80 if name in EPISODIC else 64
    learner.train("TeamProduction-v0", budget, OPTIONS)
    monkeypatch.setattr(Rollout, "step", step)
    return learner


def _per_agent_modules(learner):
    """Every network whose first parameter axis is the agent (or, for QMIX/VDN, the owner), or c x the
    agents (twin critics: member c * n + i is agent i's critic c)."""
    n = learner.meta["n"]
    return {k: m for k, m in learner.parts().items() if isinstance(m, torch.nn.Module) and
            len({v.shape[0] for v in member_views(m)}) == 1 and next(iter(member_views(m))).shape[0] % n == 0}


def _agent_views(module, agent, n):
    """Agent ``agent``'s slices of every parameter of ``module`` (every member of it, for twin critics)."""
    k = member_views(module)[0].shape[0]
    return [v for member in range(agent, k, n) for v in member_views(module, member)]


@pytest.mark.parametrize("name", [n for n in NAMES if n not in SHARED])
def test_changing_agent_1_rewards_leaves_agent_0_untouched(name, monkeypatch):
    extra = dict(lookahead=0.0) if name == "lola" else {}   # LOLA's opponent model: the test below
    a = _trained_with(name, monkeypatch, lambda r: r, **extra)
    b = _trained_with(name, monkeypatch, lambda r: -3.0 * r + 1.0, **extra)
    modules = _per_agent_modules(a)
    assert {"actor", "utilities"} & set(modules), sorted(modules)
    changed, n = False, a.meta["n"]
    for key, module in modules.items():
        other = b.parts()[key]
        for pa, pb in zip(_agent_views(module, 0, n), _agent_views(other, 0, n)):
            assert torch.equal(pa, pb), (name, key)
        changed |= any(not torch.equal(pa, pb) for pa, pb in zip(_agent_views(module, 1, n), _agent_views(other, 1, n)))
    assert changed, "the test has no power: agent 1's parameters did not change either"


def test_lola_agent_0_sees_agent_1_rewards_only_through_its_learning(monkeypatch):
    """With the lookahead, agent 0's update depends on agent 1's rewards: agent 0 models agent 1's learning
    step on agent 1's own objective (opponent shaping, by design); without it, it does not."""
    for lookahead, same in ((0.0, True), (0.3, False)):
        a = _trained_with("lola", monkeypatch, lambda r: r, lookahead=lookahead)
        b = _trained_with("lola", monkeypatch, lambda r: -3.0 * r + 1.0, lookahead=lookahead)
        equal = all(torch.equal(x, y) for x, y in zip(member_views(a.actor, 0), member_views(b.actor, 0)))
        assert equal == same, lookahead


@pytest.mark.parametrize("name", SHARED + ["ippo"])
def test_shared_policies_train_on_each_seats_own_reward(name, monkeypatch):
    """The batch of the one shared policy holds every seat's own reward from the reward layer, never a sum."""
    from coopgym.adapters.vector import MultiAgentVectorEnv

    given, raw = [], []
    env_step, step = MultiAgentVectorEnv.step, Rollout.step

    def env_recording(self, actions):
        out = env_step(self, actions)
        raw.append(out[1])
        return out

    def recording(self, frac):
        tr = step(self, frac)
        given.append(tr["rewards"].clone())
        return tr

    monkeypatch.setattr(MultiAgentVectorEnv, "step", env_recording)
    monkeypatch.setattr(Rollout, "step", recording)
    learner = make(name, share_parameters=True, **tiny(name, scale_rewards=False))
    learner.train("TeamProduction-v0", 64, OPTIONS)
    assert len(given) == len(raw) > 0
    for g, r in zip(given, raw):
        np.testing.assert_allclose(g.numpy(), r.T.astype(np.float32))
        assert not np.allclose(r[:, 0], r[:, 1])   # private rewards differ by seat
