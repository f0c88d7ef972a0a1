"""What a new user trips on at the command line (issue 16, items 3, 4, 5 and 8): each test reproduces a
reported failure and checks the fix."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coopgym.cli import main
from coopgym.runner import plan
from coopgym.runner.ledger import Ledger
from coopgym.runner.records import RunConfig
from coopgym.runner.sweep import run_sweep

SYNTH = "coopgym.runner.synthetic:synthetic_run"


@pytest.fixture
def a_file(tmp_path):
    """A file standing where a folder would have to be: no output can be made below it."""
    f = tmp_path / "plain-file"
    f.write_text("x")
    return f


# -- 3. paths are checked before the work, in one line naming them --------------------------------
def test_unwritable_outputs_are_one_line_errors_before_any_work(a_file, capsys, monkeypatch):
    import coopgym.runner.execute as execute

    monkeypatch.setattr(execute, "execute", lambda *a, **k: pytest.fail("trained before checking --save"))
    cases = [["run", "--policy", "ippo", "--env", "SLCD-v0", "--steps", "1000", "--save", f"{a_file}/x.pt"],
             ["sweep", "--policies", "constant/50", "--envs", "SLCD-v0", "--ledger", f"{a_file}/l.db"],
             ["report", "--corpus", "corpus", "--out", f"{a_file}/r.html"],
             ["corpus", "export", "--ledger", f"{a_file}.db", "--out", f"{a_file}/out"],
             ["leaderboard", "--corpus", "tests/data/corpus_v1", "--out", f"{a_file}/lb.txt"]]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert str(a_file) in err and "is a file" in err and "Traceback" not in err and "\n" not in err, err


def test_save_makes_its_folders_and_keeps_the_model(tmp_path):
    path = tmp_path / "new" / "dir" / "ippo.pt"
    assert main(["run", "--policy", "ippo", "--env", "SLCD-v0", "--steps", "256", "--episodes", "1",
                 "--save", str(path)]) == 0
    assert path.stat().st_size > 0


# -- 4. options from the command line and from plans ---------------------------------------------
def test_option_values_are_json_or_toml_tables():
    assert plan.parse_options(['params={"gamma":0.5}', "n=[1, 2]", "flag=true", "name=fraction"]) == {
        "params": {"gamma": 0.5}, "n": [1, 2], "flag": True, "name": "fraction"}
    assert plan.parse_options(["params={gamma = 0.5}"]) == {"params": {"gamma": 0.5}}
    config = RunConfig("constant/50", "SLCD-v0", "private", 0, 0, options={"params": {"gamma": 0.5}})
    assert config.options_dict == {"params": {"gamma": 0.5}}
    assert RunConfig.from_dict(json.loads(config.canonical_json())).config_hash == config.config_hash
    plain = RunConfig("constant/50", "SLCD-v0", "private", 0, 0, options={"horizon": 5})
    assert plain.canonical_json() == ('{"env":"SLCD-v0","eval_episodes":10,"options":{"horizon":5},'
                                      '"policy":"constant/50","reward":"private","seed":0,"steps":0}')


def test_a_plan_table_option_runs(tmp_path):
    p = tmp_path / "plan.toml"
    p.write_text('policies = ["constant/50"]\nenvs = ["SLCD-v0"]\nrewards = ["private"]\n'
                 'options = { params = { gamma = 0.5 }, horizon = 5 }\n')
    configs, _ = plan.from_file(p)
    assert configs[0].options_dict == {"horizon": 5, "params": {"gamma": 0.5}}


def test_impossible_options_stop_a_sweep_before_its_first_run(tmp_path, capsys):
    ledger = tmp_path / "l.db"
    assert main(["sweep", "--policies", "constant/50", "--envs", "SLCD-v0,TrustDilemma-v0", "--option",
                 "n_agents=3", "--ledger", str(ledger)]) == 2
    assert "n_agents=3" in capsys.readouterr().err and not ledger.exists()
    assert main(["run", "--policy", "constant/50", "--env", "SLCD-v0", "--option", "reward=private"]) == 2
    assert "give --reward" in capsys.readouterr().err


# -- 5. guard rails -----------------------------------------------------------------------------
def test_a_huge_grid_needs_yes(tmp_path, capsys):
    ledger = tmp_path / "l.db"
    assert main(["sweep", "--policies", "constant/50", "--envs", "SLCD-v0", "--rewards", "private",
                 "--seeds", "0-20000", "--ledger", str(ledger)]) == 2
    assert "20,001 runs" in capsys.readouterr().err and not ledger.exists()
    assert main(["sweep", "--policies", "constant/50", "--envs", "SLCD-v0", "--rewards", "private",
                 "--seeds", "0-2", "--ledger", str(ledger), "--max-runs", "2", "--yes", "--workers", "1",
                 "--run-fn", SYNTH, "--no-progress"]) == 0


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_workers_die_with_a_killed_sweep(tmp_path):
    """SIGKILL of the parent alone (no process group kill): its pool workers end too."""
    ledger = tmp_path / "l.db"
    argv = [sys.executable, "-m", "coopgym.cli", "sweep", "--policies", "constant/10,constant/20",
            "--envs", "SLCD-v0", "--rewards", "private", "--seeds", "0-20", "--ledger", str(ledger),
            "--workers", "2", "--run-fn", SYNTH, "--no-progress"]
    proc = subprocess.Popen(argv, env={**os.environ, "COOPGYM_SYNTHETIC_SECONDS": "0.5"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers, deadline = [], time.time() + 60
    while time.time() < deadline and len(workers) < 2:
        cmdlines = {c: _cmdline(c) for c in _children(proc.pid)}
        workers = [c for c, cmd in cmdlines.items() if b"multiprocessing" in cmd and b"resource_tracker" not in cmd]
        time.sleep(0.1)
    assert len(workers) == 2, "the pool did not start"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.time() + 15
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    alive = []
    for w in workers:
        try:
            state = Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(w)
    assert not alive, f"workers {alive} outlived their sweep"


def test_audit_keeps_its_probes_out_of_the_default_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("COOPGYM_LEDGER", str(tmp_path / "ledger.db"))
    import argparse

    from coopgym.commands import audit

    parser = argparse.ArgumentParser()
    audit.configure(parser)
    assert parser.parse_args([]).ledger is None
    seen = {}

    class Book:
        def __init__(self, path, **kw):
            seen["path"] = Path(path)

        def __enter__(self):
            raise SystemExit(0)

        def __exit__(self, *a):
            return False

    monkeypatch.setattr("coopgym.runner.ledger.Ledger", Book)
    with pytest.raises(SystemExit):
        audit.run(parser.parse_args(["--envs", "SLCD-v0", "--rewards", "private", "--seeds", "0"]))
    assert seen["path"] == tmp_path / "audit.db"


def test_a_bare_leaderboard_says_where_the_results_are(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COOPGYM_LEDGER", raising=False)
    assert main(["leaderboard"]) == 2
    assert "--corpus" in capsys.readouterr().err
    (tmp_path / "runs").mkdir()
    with Ledger(tmp_path / "runs" / "main.sqlite"):
        pass
    assert main(["leaderboard"]) == 2
    assert "--ledger runs/main.sqlite" in capsys.readouterr().err


# -- 8. output -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("lb") / "l.db"
    names = ["ippo", "heuristic/random", "oracle/equilibrium", "constant/60", "constant/20"]
    configs = plan.expand(",".join(names), "SLCD-v0,TrustDilemma-v0", "private,integrated", "0-4", "100",
                          policy_names=names, env_ids=["SLCD-v0", "TrustDilemma-v0"])
    run_sweep(configs, path, workers=1, run_fn=SYNTH, progress=False)
    return path


def test_leaderboard_filters_and_a_compact_default(small_ledger, capsys):
    assert main(["leaderboard", "--ledger", str(small_ledger), "--format", "csv"]) == 0
    default = capsys.readouterr().out
    assert main(["leaderboard", "--ledger", str(small_ledger), "--format", "csv", "--level", "all"]) == 0
    full = capsys.readouterr().out
    assert len(default.splitlines()) < len(full.splitlines())                 # the class view by default
    assert main(["leaderboard", "--ledger", str(small_ledger), "--format", "csv", "--env", "SLCD-v0",
                 "--reward", "private", "--policy", "constant/*"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "constant/" in line or "ippo" in line]
    assert rows and all("constant/" in r and "TrustDilemma" not in r and "integrated" not in r for r in rows)
    assert main(["leaderboard", "--ledger", str(small_ledger), "--format", "csv", "--top", "1"]) == 0
    top = capsys.readouterr().out
    assert len(top.splitlines()) < len(default.splitlines())
    assert main(["leaderboard", "--ledger", str(small_ledger), "--class", "TR-9"]) == 2
    assert "TR-9" in capsys.readouterr().err


def test_unknown_names_are_errors(capsys, tmp_path):
    assert main(["policies", "--family", "bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["report", "--corpus", "tests/data/corpus_v1", "--audit", str(bad),
                 "--out", str(tmp_path / "r.html")]) == 2
    assert str(bad) in capsys.readouterr().err


def test_one_set_of_apache_phase_names_and_the_documented_options():
    import gymnasium

    from coopgym.envs import get_spec
    from coopgym.validation.cases import APACHE_PATTERN_BANDS, APACHE_PHASES

    assert [p[0] for p in APACHE_PHASES] == list(APACHE_PATTERN_BANDS)
    assert set(APACHE_PATTERN_BANDS) == set(get_spec("ApacheProject-v0").phases)
    with pytest.raises(TypeError) as err:
        gymnasium.make("coopgym/SLCD-v0", bogus=1)
    for name in ("focal", "coplayers", "joint", "action_units", "reward_scale"):
        assert name in str(err.value)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "`reward_scale`" in readme and "`action_units`" in readme
