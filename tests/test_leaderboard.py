"""The leaderboard against a hand-computed example, its formats, `reproduce ROW`, and the HTML report."""
import csv
import io
import itertools
import re

import numpy as np
import pytest

from coopgym.cli import main
from coopgym.runner import leaderboard as lbm
from coopgym.runner import stats
from coopgym.runner.plan import expand
from coopgym.runner.records import RunConfig, RunRecord
from coopgym.runner.report import build_html
from coopgym.runner.sweep import run_sweep

SYNTH = "coopgym.runner.synthetic:synthetic_run"


def rec(policy, env, returns_by_seed, mechanism="TR-1", oracle=None):
    return [RunRecord.from_config(RunConfig(policy, env, "private", seed, 0), n_agents=2, mean_return=[r - 1, r + 1],
                                  std_return=[0.0, 0.0], mechanism=mechanism, oracle_return=oracle)
            for seed, r in enumerate(returns_by_seed)]


@pytest.fixture
def hand():
    """E1: random R = 10, oracle R = 20, P R = 12, 14, 16, 100. E2: random 0, oracle 10, P 5 (x4)."""
    return (rec("heuristic/random", "E1-v0", [10, 10, 10, 10]) + rec("oracle/equilibrium", "E1-v0", [20] * 4)
            + rec("constant/50", "E1-v0", [12, 14, 16, 100])
            + rec("heuristic/random", "E2-v0", [0] * 4) + rec("oracle/equilibrium", "E2-v0", [10] * 4)
            + rec("constant/50", "E2-v0", [5] * 4)
            + [RunRecord.failure(RunConfig("constant/50", "E1-v0", "private", 9, 0), "boom")])


def test_hand_computed_row(hand):
    lb = lbm.build(hand, reps=4000)
    row = lb.find("E1-v0|private|constant/50")
    assert (row.n, row.failed) == (4, 1)
    assert row.iqm[0] == 15.0                        # IQM of 12, 14, 16, 100 = mean(14, 16)
    assert row.mean[0] == 35.5
    assert row.norm_iqm[0] == 0.5                    # (15 - 10) / (20 - 10)
    assert row.gap == pytest.approx(77.5)            # (35.5 - 20) / |20| x 100
    assert row.rank == 2                             # oracle 20 > P 15 > random 10
    # The interval is the percentile interval of the exact bootstrap distribution (4^4 resamples).
    exact = [stats.iqm(np.array(c)) for c in itertools.product([12, 14, 16, 100], repeat=4)]
    lo, hi = np.percentile(exact, [2.5, 97.5])
    assert row.iqm[1] == pytest.approx(lo, abs=0.75) and row.iqm[2] == pytest.approx(hi, abs=0.75)
    assert row.norm_iqm[1:] == pytest.approx(((row.iqm[1] - 10) / 10, (row.iqm[2] - 10) / 10))


def test_class_rows_pool_environments_as_strata(hand):
    lb = lbm.build(hand, reps=4000)
    cls = {c.policy: c for c in lb.classes}
    p = cls["constant/50"]
    assert (p.mechanism, p.n_envs, p.n_runs) == ("TR-1", 2, 8)
    # normalised scores: E1 -> .2, .4, .6, 9.0; E2 -> .5 x 4; pooled IQM = mean(.5, .5, .5, .5) = .5
    assert p.norm_iqm[0] == pytest.approx(0.5) and p.norm_mean[0] == pytest.approx((0.2 + 0.4 + 0.6 + 9 + 2) / 8)
    assert stats.interval([[0.2, 0.4, 0.6, 9.0], [0.5] * 4], "iqm") == pytest.approx(p.norm_iqm)
    assert cls["oracle/equilibrium"].rank == 1 and p.rank == 2 and cls["heuristic/random"].rank == 3


def test_oracle_return_field_is_the_fallback_reference():
    recs = rec("heuristic/random", "E-v0", [10] * 3) + rec("constant/50", "E-v0", [15] * 3, oracle=20.0)
    row = lbm.build(recs).find("E-v0|private|constant/50")
    assert row.norm_iqm[0] == 0.5 and row.gap == -25.0


def test_formats(hand):
    lb = lbm.build(hand, reps=500)
    md = lbm.render(lb, "markdown")
    assert "| # | env | class |" in md and "E1-v0" in md and "Per mechanism class" in md
    rows = list(csv.DictReader(io.StringIO(lbm.render(lb, "csv"))))
    env_rows = {r["key"]: r for r in rows if r["level"] == "env"}
    assert float(env_rows["E1-v0|private|constant/50"]["iqm"]) == 15.0
    assert any(r["level"] == "class" for r in rows)
    assert "constant/50" in lbm.render(lb, "table")
    with pytest.raises(ValueError, match="unknown format"):
        lbm.render(lb, "xml")
    with pytest.raises(ValueError, match="row 99 does not exist"):
        lb.find("99")


def test_cli_and_reproduce(tmp_path, capsys):
    ledger = tmp_path / "l.db"
    configs = expand("ippo,heuristic/random,oracle/equilibrium", "A-v0,B-v0", "private", "0-4", "100",
                     policy_names=["ippo", "heuristic/random", "oracle/equilibrium"], env_ids=["A-v0", "B-v0"])
    run_sweep(configs, ledger, workers=1, run_fn=SYNTH, progress=False)
    assert main(["leaderboard", "--ledger", str(ledger), "--format", "markdown"]) == 0
    assert "ippo@100" in capsys.readouterr().out
    assert main(["leaderboard", "reproduce", "1", "--ledger", str(ledger), "--run-fn", SYNTH, "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "inside the interval" in out and "identical" in out
    lb = lbm.build(lbm.records_from(str(ledger)))
    drifted = lambda c: _shifted(c)  # noqa: E731 - a run function that no longer reproduces
    res = lbm.reproduce(lb, "1", run_fn=drifted, workers=1)
    assert not res["inside"] and res["identical"] is False
    assert main(["leaderboard", "--ledger", str(tmp_path / "missing.db")]) == 2


def _shifted(config):
    from coopgym.runner.synthetic import synthetic_run

    r = synthetic_run(config)
    r.mean_return = [x + 50.0 for x in r.mean_return]
    return r


def test_report_is_self_contained(tmp_path):
    configs = expand("ippo,heuristic/random,oracle/equilibrium", "A-v0,B-v0", "private,cooperative", "0-2", "100",
                     policy_names=["ippo", "heuristic/random", "oracle/equilibrium"], env_ids=["A-v0", "B-v0"])
    run_sweep(configs, tmp_path / "l.db", workers=1, run_fn=SYNTH, progress=False)
    audit = tmp_path / "audit.json"
    audit.write_text('{"A-v0": "immune", "B-v0": "broadly vulnerable"}')
    out = tmp_path / "r.html"
    assert main(["report", "--ledger", str(tmp_path / "l.db"), "--out", str(out), "--audit", str(audit)]) == 0
    text = out.read_text()
    assert text.count("data:image/png;base64,") == 4  # curves, ablation, trust, audit
    assert not re.search(r"(src|href)=[\"']https?:", text)  # nothing fetched from the network
    for heading in ("Learning curves", "Reward-mode ablation", "Trust trajectories", "Audit classes"):
        assert heading in text
    assert "broadly vulnerable" in text
    assert "No audit results" in build_html(lbm.records_from(str(tmp_path / "l.db")))
