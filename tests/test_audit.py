"""The behavioural audit's probes and its classification."""
import numpy as np
import pytest

from coopgym.registry import make_policy, policy_names
from coopgym.runner.probes import COOPERATE, static_probe_names, temporal_probe_names
from coopgym.envs import make_game
from coopgym.runner.audit import audit_plan, classify, defection_probes
from coopgym.runner.records import RunConfig, RunRecord


def test_probe_counts_match_the_audit_design():
    assert len(static_probe_names()) == 18 and len(temporal_probe_names()) == 14
    assert "probe/cooperate" in policy_names("probe")


@pytest.mark.parametrize("name, expected_at", [
    ("probe/temporal/switch_at_0.5", {0: COOPERATE, 49: COOPERATE, 50: 0.0, 99: 0.0}),
    ("probe/temporal/switch_at_T-3", {96: COOPERATE, 97: 0.0}),
    ("probe/temporal/early_20", {0: 0.0, 19: 0.0, 20: COOPERATE}),
    ("probe/temporal/ramp_down", {79: COOPERATE, 80: COOPERATE, 90: COOPERATE / 2, 99: COOPERATE / 20}),
    ("probe/static/cut50_at_0.4", {39: COOPERATE, 40: COOPERATE / 2}),
])
def test_probe_schedules(name, expected_at):
    game = make_game("SLCD-v0")   # horizon 100, e = 100
    probe = make_policy(name).bind(game)
    state = game.reset(np.zeros(1, dtype=np.uint64))
    for t, level in expected_at.items():
        state.t = np.array([t])
        a = probe.act(game, state, slice(None))
        assert a[0, 0] == pytest.approx(level * 100) and a[0, 1] == pytest.approx(COOPERATE * 100)


def _record(policy, env, returns, reward="private", seed=0):
    cfg = RunConfig(policy=policy, env=env, reward=reward, seed=seed, steps=0)
    return RunRecord.from_config(cfg, n_agents=len(returns), mean_return=list(returns), std_return=[0.0] * len(returns))


def test_classification_counts_exploitative_probes():
    probes = defection_probes()
    records = [_record("probe/cooperate", "A", [10.0, 10.0]), _record("probe/cooperate", "B", [10.0, 10.0])]
    # env A: every defection pays agent 0 and hurts the partner; env B: defection never pays
    records += [_record(p, "A", [12.0, 8.0]) for p in probes]
    records += [_record(p, "B", [9.0, 8.0]) for p in probes]
    rows = {r["env"]: r for r in classify(records)}
    assert rows["A"]["class"] == "broadly vulnerable" and rows["A"]["exploitative_share"] == 1.0
    assert rows["B"]["class"] == "immune" and rows["B"]["exploitative_share"] == 0.0
    # a quarter of the probes paying makes a narrowly vulnerable environment
    k = len(probes) // 4
    records = [_record("probe/cooperate", "C", [10.0, 10.0])]
    records += [_record(p, "C", [12.0, 8.0] if i < k else [9.0, 9.0]) for i, p in enumerate(probes)]
    assert classify(records)[0]["class"] == "narrowly vulnerable"


def test_audit_plan_covers_every_probe():
    plan = audit_plan(["SLCD-v0"], ["private"], [0, 1])
    assert len(plan) == 2 * len(policy_names("probe")) and all(c.steps == 0 for c in plan)
