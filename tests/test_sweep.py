"""Plans and sweeps: expansion, clear errors, skip-finished, failures recorded, SIGKILL and resume."""
import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from coopgym.cli import main
from coopgym.runner import plan
from coopgym.runner.ledger import Ledger, read_records
from coopgym.runner.records import RunConfig
from coopgym.runner.sweep import measure_overhead, plan_text, run_sweep

SYNTH = "coopgym.runner.synthetic:synthetic_run"
NAMES = dict(policy_names=["ippo", "constant/10", "constant/90", "heuristic/random", "ippo_fail"],
             env_ids=["A-v0", "B-v0", "C-v0"])


def grid(**kw):
    args = dict(policies="ippo,constant/10", envs="A-v0,B-v0", rewards="private,m=0.5", seeds="0-1", steps="100")
    return plan.expand(**{**args, **kw}, **NAMES)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- plans ----------------------------------------------------------------------
def test_expand_grid_and_all():
    cfgs = grid()
    assert len(cfgs) == 2 * 2 * 2 * 2
    assert {c.steps for c in cfgs if c.policy == "constant/10"} == {0}  # static policies do not train
    assert {c.steps for c in cfgs if c.policy == "ippo"} == {100}
    everything = plan.expand("all", "all", "all", "0", "10,20", **NAMES)
    assert len(everything) == (2 * 2 + 3) * 3 * 3  # learners x 2 budgets + 3 static policies
    assert {c.reward for c in everything} == {"private", "integrated", "cooperative"}


@pytest.mark.parametrize("kw, message", [
    (dict(policies="ippo,ppo2"), "unknown policy 'ppo2'.*choose from: ippo, "),
    (dict(envs="SLCD-v9"), "unknown env 'SLCD-v9'.*A-v0, B-v0, C-v0"),
    (dict(steps="-100"), "steps: -100 is negative; a budget must be >= 0"),
    (dict(seeds="0,x"), "seeds: 'x' is not an integer"),
    (dict(rewards="private,greedy"), "unknown reward 'greedy'"),
])
def test_bad_plans_name_the_problem(kw, message):
    with pytest.raises(plan.PlanError, match=message):
        grid(**kw)


def test_eval_points_go_to_learners_within_their_budgets():
    cfgs = grid(steps="100,1000", eval_at="0,100,500,1000")
    points = {(c.policy, c.steps): c.eval_at for c in cfgs}
    assert points[("ippo", 100)] == (0, 100) and points[("ippo", 1000)] == (0, 100, 500, 1000)
    assert points[("constant/10", 0)] == ()                                 # static policies: none
    with pytest.raises(plan.PlanError, match="eval_at: 5000 is beyond every training budget"):
        grid(eval_at="0,5000")
    with pytest.raises(plan.PlanError, match=r"eval_at: '0-100' is not an integer \(use e.g. 0,5000,20000"):
        grid(eval_at="0-100")                                                # no ranges: 101 points by mistake


def test_choices_collapse_numbered_families():
    text = plan.describe_choices([f"constant/{i}" for i in range(101)] + ["ippo"])
    assert text == "ippo, constant/{0..100}"


def test_toml_plan_with_grids(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text('policies = ["ippo"]\nenvs = "all"\nrewards = ["private"]\nseeds = "0-2"\nsteps = [50]\n'
                    'ledger = "runs.db"\noptions = { n_agents = 3 }\n\n'
                    '[[grid]]\npolicies = ["constant/90"]\nrewards = "all"\n')
    cfgs, raw = plan.from_file(path, **NAMES)
    assert raw["ledger"] == "runs.db"
    assert len(cfgs) == 3 * 3 + 3 * 3 * 3
    assert all(c.options == (("n_agents", 3),) for c in cfgs)
    path.write_text('policies = ["ippo"]\nenvs = "all"\nbudget = 5\n')
    with pytest.raises(plan.PlanError, match="unknown key.*budget"):
        plan.from_file(path, **NAMES)
    path.write_text('policies = ["ippo"\n')
    with pytest.raises(plan.PlanError, match="not valid TOML"):
        plan.from_file(path, **NAMES)


# -- sweeps -------------------------------------------------------------------------
def test_time_limit_stops_starting_runs_and_the_next_call_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("COOPGYM_SYNTHETIC_SECONDS", "0.05")
    ledger, cfgs = tmp_path / "l.db", grid()                                 # 16 runs of 50 ms
    first = run_sweep(cfgs, ledger, workers=1, run_fn=SYNTH, progress=False, time_limit=0.2)
    assert 1 <= first.ok < 16 and first.left == 16 - first.ok and "left for the next call" in first.line()
    second = run_sweep(cfgs, ledger, workers=1, run_fn=SYNTH, progress=False)
    assert second.skipped == first.ok and second.ok == 16 - first.ok and second.left == 0
    assert len(read_records(ledger)) == 16


def test_sweep_records_skips_and_records_failures(tmp_path):
    ledger = tmp_path / "l.db"
    cfgs = grid(policies="ippo,ippo_fail,constant/10")
    first = run_sweep(cfgs, ledger, workers=1, run_fn=SYNTH, progress=False)
    assert (first.ok, first.failed, first.skipped) == (16, 8, 0)
    recs = read_records(ledger)
    assert len(recs) == len(cfgs) == len({r.config_hash for r in recs})
    failed = [r for r in recs if r.status == "failed"]
    assert all("RuntimeError: synthetic failure" in r.error and "Traceback" in r.error for r in failed)
    again = run_sweep(cfgs, ledger, workers=1, run_fn=SYNTH, progress=False, retry_failed=False)
    assert (again.ok, again.failed, again.skipped) == (0, 0, 24)
    retry = run_sweep(cfgs, ledger, workers=1, run_fn=SYNTH, progress=False)  # failed runs are retried
    assert (retry.ok, retry.failed, retry.skipped) == (0, 8, 16)
    assert len(read_records(ledger)) == 24


def test_process_pool_gives_the_same_records(tmp_path):
    cfgs = grid()
    run_sweep(cfgs, tmp_path / "serial.db", workers=1, run_fn=SYNTH, progress=False)
    run_sweep(cfgs, tmp_path / "pool.db", workers=2, run_fn=SYNTH, progress=False)
    a = {r.config_hash: r for r in read_records(tmp_path / "serial.db")}
    b = {r.config_hash: r for r in read_records(tmp_path / "pool.db")}
    assert a.keys() == b.keys() == {c.config_hash for c in cfgs}
    assert all(a[h].mean_return == b[h].mean_return and a[h].learning_curve == b[h].learning_curve for h in a)


def test_dry_run_creates_nothing(tmp_path, capsys):
    ledger = tmp_path / "l.db"
    text = plan_text(grid(), ledger)
    assert "16 runs; 0 already recorded" in text and "does not exist yet" in text
    assert not ledger.exists()
    rc = main(["sweep", "--policies", "constant/10,constant/20", "--envs", "SLCD-v0", "--seeds", "0-2",
               "--ledger", str(ledger), "--dry-run"])
    assert rc == 0 and "18 runs" in capsys.readouterr().out and not ledger.exists()


@pytest.mark.parametrize("argv, message", [
    (["--policies", "constant/10,nonsense", "--envs", "SLCD-v0"], "unknown policy 'nonsense'"),
    (["--policies", "constant/10", "--envs", "SLCD-v7"], "unknown env 'SLCD-v7'"),
    (["--policies", "constant/10", "--envs", "SLCD-v0", "--steps=-5"], "negative"),
])
def test_bad_cli_input_changes_nothing(tmp_path, capsys, argv, message):
    ledger = tmp_path / "l.db"
    run_sweep(grid(), ledger, workers=1, run_fn=SYNTH, progress=False)
    before = digest(ledger)
    assert main(["sweep", *argv, "--ledger", str(ledger), "--run-fn", SYNTH]) == 2
    assert message in capsys.readouterr().err
    assert digest(ledger) == before


def test_bad_plan_file_and_truncated_ledger_change_nothing(tmp_path, capsys):
    ledger = tmp_path / "l.db"
    run_sweep(grid(), ledger, workers=1, run_fn=SYNTH, progress=False)
    bad = tmp_path / "bad.toml"
    bad.write_text('policies = ["constant/10", "alphastar"]\nenvs = ["SLCD-v0"]\n')
    before = digest(ledger)
    assert main(["sweep", "--plan", str(bad), "--ledger", str(ledger)]) == 2
    assert "unknown policy 'alphastar'" in capsys.readouterr().err and digest(ledger) == before
    ledger.write_bytes(ledger.read_bytes()[:5000])
    before = digest(ledger)
    assert main(["sweep", "--policies", "constant/10", "--envs", "SLCD-v0", "--ledger", str(ledger),
                 "--run-fn", SYNTH]) == 2
    assert "truncated" in capsys.readouterr().err and digest(ledger) == before


def test_sigkill_mid_sweep_then_resume(tmp_path):
    """Kill -9 the whole sweep (parent and workers) after a few records; the restart completes the
    grid with exactly one record per grid point, and no record finished before the kill is lost or redone."""
    ledger = tmp_path / "l.db"
    argv = [sys.executable, "-m", "coopgym.cli", "sweep", "--policies", "constant/10,constant/20,constant/30",
            "--envs", "SLCD-v0,TrustDilemma-v0", "--rewards", "private,integrated", "--seeds", "0-1",
            "--ledger", str(ledger), "--workers", "2", "--run-fn", SYNTH, "--no-progress"]
    env = {**os.environ, "COOPGYM_SYNTHETIC_SECONDS": "0.25"}
    proc = subprocess.Popen(argv, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = 0
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if ledger.exists():
            with Ledger(ledger, create=False) as book:
                seen = len(book)
            if seen >= 4:
                break
        time.sleep(0.05)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.communicate()}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    with Ledger(ledger, create=False) as book:  # the killed ledger opens cleanly
        before = {r.config_hash: r for r in book.records()}
    assert 4 <= len(before) < 24
    done = subprocess.run(argv, env={**env, "COOPGYM_SYNTHETIC_SECONDS": "0"}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} already recorded" in done.stdout
    after = read_records(ledger)
    expected = {RunConfig(p, e, r, s, 0).config_hash for p in ("constant/10", "constant/20", "constant/30")
                for e in ("SLCD-v0", "TrustDilemma-v0") for r in ("private", "integrated") for s in (0, 1)}
    assert len(after) == 24 and {r.config_hash for r in after} == expected
    assert all(r.status == "ok" for r in after)
    now = {r.config_hash: r for r in after}
    assert all(now[h] == rec for h, rec in before.items())  # finished runs kept as they were, not redone


def test_overhead_is_measured():
    """Structure only: speed is reported by `coopgym bench --runner`, never asserted by a timed test."""
    out = measure_overhead(repeats=1, synthetic_seconds=0.001)
    assert out["runs"] == 60 and out["direct_seconds"] > 0.05 and out["runner_seconds"] > 0
    assert {"overhead", "per_run_ms", "workers"} <= out.keys()


def test_kind_selector_and_missing_run_function(tmp_path, capsys):
    constants = plan.expand("kind:constant", "SLCD-v0", "private")  # the real registries
    assert len(constants) == 101 and all(c.policy.startswith("constant/") for c in constants)
    with pytest.raises(plan.PlanError, match="no registered policy of kind 'wizard'"):
        plan.expand("kind:wizard", "SLCD-v0")
    ledger = tmp_path / "l.db"
    assert main(["sweep", "--policies", "constant/50", "--envs", "SLCD-v0", "--ledger", str(ledger),
                 "--run-fn", "no_such_module:run"]) == 2
    assert "run function 'no_such_module:run' is not available" in capsys.readouterr().err
    assert not ledger.exists()  # nothing created when nothing can run


def test_a_dying_worker_fails_its_runs_not_the_sweep(tmp_path):
    """Runs that kill their worker process are recorded as failed; the runs in flight beside them
    are re-run, not blamed."""
    names = dict(policy_names=["ippo", "ippo_crash"], env_ids=["A-v0"])
    cfgs = plan.expand("ippo,ippo_crash", "A-v0", "private", "0-3", "10", **names)
    cfgs = [c for pair in zip(cfgs[:4], cfgs[4:]) for c in pair]  # interleave innocent and crashing runs
    summary = run_sweep(cfgs, tmp_path / "l.db", workers=2, run_fn=SYNTH, progress=False)
    assert (summary.ok, summary.failed) == (4, 4)
    recs = read_records(tmp_path / "l.db")
    assert len(recs) == 8
    assert {r.policy for r in recs if r.status == "ok"} == {"ippo"}
    assert all("worker process died" in r.error for r in recs if r.status == "failed")
