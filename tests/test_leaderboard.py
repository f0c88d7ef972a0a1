"""The leaderboard against a hand-computed example: scales per metric, common task sets, formats,
`reproduce ROW` (determinism and agreement), and the HTML report."""
import csv
import io
import re

import numpy as np
import pytest

from coopgym.cli import main
from coopgym.runner import leaderboard as lbm
from coopgym.runner import stats
from coopgym.runner.plan import expand
from coopgym.runner.records import RunConfig, RunRecord
from coopgym.runner.report import build_html
from coopgym.runner.reproduce import reproduce
from coopgym.runner.sweep import run_sweep

SYNTH = "coopgym.runner.synthetic:synthetic_run"


def rec(policy, env, returns, mechanism="TR-1", steps=0, **metrics):
    """Runs (seeds 0..) of ``policy`` with the given per-seed returns and constant other metrics."""
    base = {"welfare": 100.0, "equality": 0.9, "cooperation": 0.5, "trust": 0.5, **metrics}
    return [RunRecord.from_config(RunConfig(policy, env, "private", seed, steps), n_agents=2,
                                  mean_return=[r - 1, r + 1], std_return=[0.0, 0.0], mechanism=mechanism,
                                  metrics={"return": float(r), **base})
            for seed, r in enumerate(returns)]


@pytest.fixture(scope="module")
def hand():
    """E1, E2 (TR-1) and E3 (TR-3); five seeds except on E3. Values chosen so every scale is checkable by hand."""
    five = lambda v: [v] * 5  # noqa: E731
    return (rec("heuristic/random", "E1-v0", five(10))
            + rec("oracle/equilibrium", "E1-v0", five(20), welfare=150.0, equality=0.95, cooperation=0.3, trust=0.6)
            + rec("constant/50", "E1-v0", five(18), welfare=180.0, trust=0.7)
            + rec("heuristic/tit_for_tat", "E1-v0", five(15), welfare=120.0, equality=0.95, cooperation=0.6,
                  trust=0.8)
            + rec("ippo", "E1-v0", [12, 14, 16, 18, 100], steps=100, welfare=110.0, equality=0.92, cooperation=0.4,
                  trust=0.55)
            + rec("heuristic/random", "E2-v0", five(0), trust=None)
            + rec("oracle/equilibrium", "E2-v0", five(10), trust=None)
            + rec("constant/50", "E2-v0", five(5), welfare=130.0, trust=None)
            + rec("heuristic/tit_for_tat", "E2-v0", five(2), trust=None)
            + rec("heuristic/random", "E3-v0", [1, 1, 1], mechanism="TR-3")
            + rec("constant/50", "E3-v0", [3, 3, 3], mechanism="TR-3", welfare=200.0)
            + [RunRecord.failure(RunConfig("ippo", "E1-v0", "private", 9, 100), "boom")])


def test_scales_are_random_and_the_best_reference(hand):
    lb = lbm.build(hand, reps=1000)
    s = lb.scales[("E1-v0", "private")]
    assert (s["return"].low, s["return"].high, s["return"].best) == (10.0, 20.0, "oracle/equilibrium")
    assert (s["welfare"].high, s["welfare"].best) == (180.0, "constant/50")   # a constant beats the oracle
    assert (s["cooperation"].high, s["cooperation"].best) == (0.6, "heuristic/tit_for_tat")
    assert s["trust"].best == "heuristic/tit_for_tat" and s["return"].problem is None
    e2 = lb.scales[("E2-v0", "private")]
    assert e2["equality"].problem.startswith("degenerate scale: the best reference does not beat")
    assert e2["trust"].problem == "trust is not defined here (no trust state)"
    # the learner's ippo@100 row: mean 32 of (12, 14, 16, 18, 100); normalised (32 - 10) / 10
    row = lb.find("E1-v0|private|ippo@100")
    assert (row.n, row.failed, row.rank) == (5, 1, 1)
    assert row.values["return"][0] == 32.0 and row.normalised["return"][0] == pytest.approx(2.2)
    assert row.values["return"] == pytest.approx(stats.interval([12, 14, 16, 18, 100], "mean", reps=1000))
    assert row.normalised["return"][1:] == pytest.approx(tuple((v - 10) / 10 for v in row.values["return"][1:]))
    assert row.normalised["welfare"][0] == pytest.approx(10 / 80)     # (110 - 100) / (180 - 100)
    assert row.normalised["cooperation"][0] == pytest.approx(-1.0)    # (.4 - .5) / (.6 - .5)
    e2_const = lb.find("E2-v0|private|constant/50")
    assert "equality" not in e2_const.normalised and "degenerate" in e2_const.notes["equality"]


def test_no_reference_row_above_one(hand):
    lb = lbm.build(hand, reps=200)
    for m in ("return", "welfare", "equality", "cooperation", "trust"):
        refs = [r.normalised[m][0] for r in lb.rows if lbm.is_reference(r.policy) and m in r.normalised]
        assert refs and max(refs) <= 1 + 1e-9
        assert any(abs(v - 1) < 1e-12 for v in refs)                  # the best reference is the 1
    oracle = lb.find("E1-v0|private|oracle/equilibrium")
    assert oracle.normalised["welfare"][0] == pytest.approx(50 / 80)  # an oracle is a row, not the scale


def test_class_rows_use_common_task_sets(hand):
    lb = lbm.build(hand, reps=2000)
    cls = {c.key: c for c in lb.classes}
    assert lb.task_sets[("TR-1", "private", "return")] == ["E1-v0", "E2-v0"]
    assert lb.task_sets[("TR-1", "private", "equality")] == ["E1-v0"]   # E2's equality scale is degenerate
    const = cls["TR-1|private|constant/50"]
    # normalised returns: E1 .8 x 5, E2 .5 x 5; IQM of the 10 pooled runs = mean of the middle 6 = .65
    assert const.iqm["return"][0] == pytest.approx(0.65) and const.envs["return"] == 2
    assert const.iqm["return"] == pytest.approx(stats.interval([[0.8] * 5, [0.5] * 5], "iqm", reps=2000))
    ippo = cls["TR-1|private|ippo@100"]
    assert "return" not in ippo.iqm and ippo.notes["return"] == "not ranked: no runs on E2-v0"
    assert ippo.rank is None and "equality" in ippo.iqm              # equality's task set is E1 alone
    assert cls["TR-1|private|oracle/equilibrium"].rank == 1 and const.rank == 2
    assert "TR-1 private: ippo@100 not ranked (no runs on E2-v0)" in lb.notes
    # E3 and E1/E2's policies: ippo has no TR-3 runs at all, and says so
    assert cls["TR-3|private|ippo@100"].notes["return"] == "not ranked: no runs on E3-v0"
    assert any("fewer than 5 seeds" in n for n in lb.notes)
    assert lb.find("E3-v0|private|constant/50").note == "3 seeds (< 5): the interval is rough"


def test_ranking_metric_and_bad_metric(hand):
    lb = lbm.build(hand, metric="welfare", reps=200)
    order = [r.policy for r in lb.rows if r.env == "E1-v0"]
    assert order[0] == "constant/50" and lb.find("E1-v0|private|constant/50").rank == 1
    with pytest.raises(ValueError, match="unknown metric 'fun'; choose one of return, welfare"):
        lbm.build(hand, metric="fun")


def test_csv_has_every_metric_raw_and_normalised(hand):
    lb = lbm.build(hand, reps=500)
    rows = list(csv.DictReader(io.StringIO(lbm.render(lb, "csv"))))
    for m in ("return", "welfare", "equality", "cooperation", "trust"):
        assert {m, f"{m}_lo", f"{m}_hi", f"{m}_norm", f"{m}_norm_lo", f"{m}_norm_hi", f"{m}_note"} <= set(rows[0])
    env = {r["key"]: r for r in rows if r["level"] == "env"}
    ippo = env["E1-v0|private|ippo@100"]
    assert float(ippo["return"]) == 32.0 and float(ippo["return_norm"]) == pytest.approx(2.2)
    assert ippo["kind"] == "learner" and ippo["rank"] == "1" and ippo["ranked_by"] == "return"
    for r in env.values():
        if lbm.is_reference(r["policy"]):
            assert all(float(r[f"{m}_norm"]) <= 1 + 1e-9 for m in ("return", "welfare", "cooperation")
                       if r[f"{m}_norm"])
    assert "degenerate" in env["E2-v0|private|constant/50"]["equality_note"]
    classes = {r["key"]: r for r in rows if r["level"] == "class"}
    const = classes["TR-1|private|constant/50"]
    assert const["return"] == "" and float(const["return_norm"]) == pytest.approx(0.65)   # no raw pooling
    assert const["envs"] == "2" and const["statistic"] == "IQM over runs x tasks"
    scale = {r["key"]: r for r in rows if r["level"] == "scale"}["E1-v0|private"]
    assert (float(scale["welfare"]), float(scale["welfare_lo"]), scale["welfare_note"]) == \
           (180.0, 100.0, "1 = constant/50")


def test_text_formats_and_filters(hand):
    lb = lbm.build(hand, reps=200)
    md = lbm.render(lb, "markdown")
    assert "## Per mechanism class: return" in md and "## Scales of return" in md and "| E1-v0 |" in md
    only = lbm.render(lb, "markdown", kinds=["learner"], level="class")
    assert "| ippo@100 |" in only and "| constant/50 |" not in only and "## Scales" not in only
    assert "oracle/equilibrium" in lbm.render(lb, "table")
    with pytest.raises(ValueError, match="unknown policy kind"):
        lbm.render(lb, "markdown", kinds=["robot"])
    with pytest.raises(ValueError, match="unknown format"):
        lbm.render(lb, "xml")
    with pytest.raises(ValueError, match="row 999 does not exist"):
        lb.find("999")



def test_summary_is_one_policy_by_class_and_reward_table(hand):
    lb = lbm.build(hand, reps=2000)
    head, *body = csv.reader(io.StringIO(lbm.render(lb, "csv", level="summary")))
    assert head == ["policy", "TR-1 private", "TR-3 private"]
    rows = {line[0]: line[1:] for line in body}
    assert list(rows)[:2] == ["ippo@100", "oracle/equilibrium"]            # learners first, then by kind
    lo, hi = stats.interval([[0.8] * 5, [0.5] * 5], "iqm", reps=2000)[1:]
    assert rows["constant/50"] == [f"0.65 [{lo:.2f}, {hi:.2f}]", "1.00 [1.00, 1.00]"]   # E3: (3 - 1) / (3 - 1)
    assert rows["ippo@100"] == ["-", "-"]                                  # not ranked: no runs on E2 / E3
    assert rows["oracle/equilibrium"][0].startswith("1.00") and rows["oracle/equilibrium"][1] == "-"
    md = lbm.render(lb, "markdown", level="summary", kinds=["learner", "oracle"])
    assert "| policy | TR-1 private | TR-3 private |" in md and "| constant/50 |" not in md
    welfare = lbm.render(lbm.build(hand, metric="welfare", reps=200), "markdown", level="summary")
    assert welfare.startswith("## welfare: normalised IQM")
    # the notes speak of the policies shown: ippo's "not ranked" goes with ippo
    assert "ippo@100 not ranked" in md
    assert "ippo@100 not ranked" not in lbm.render(lb, "markdown", level="summary", policies=["oracle/*"])

# ---- reproduce ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("lb") / "l.db"
    names = ["ippo", "heuristic/random", "oracle/equilibrium", "constant/60"]
    configs = expand(",".join(names), "A-v0,B-v0", "private", "0-4", "100", policy_names=names,
                     env_ids=["A-v0", "B-v0"])
    run_sweep(configs, path, workers=1, run_fn=SYNTH, progress=False)
    return path


def test_cli_and_an_exact_reproduction(ledger, capsys):
    assert main(["leaderboard", "--ledger", str(ledger), "--format", "markdown", "--metric", "welfare"]) == 0
    out = capsys.readouterr().out
    assert "ippo@100" in out and "welfare normalised IQM" in out
    key = "A-v0|private|ippo@100"
    assert main(["leaderboard", "reproduce", key, "--ledger", str(ledger), "--run-fn", SYNTH, "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "determinism: PASS" in out and "agreement: PASS" in out and out.strip().endswith("reproduced")
    assert main(["leaderboard", "--ledger", str(ledger.parent / "missing.db")]) == 2


def _drifted(relative, versions=None):
    """A run function whose results move by ``relative`` (and that reports other library versions)."""
    def run(config):
        from coopgym.runner.synthetic import synthetic_run

        r = synthetic_run(config)
        r.mean_return = [x * (1 + relative) for x in r.mean_return]
        r.metrics = {k: (v * (1 + relative) if isinstance(v, float) else v) for k, v in r.metrics.items()}
        r.versions = {**r.versions, **(versions or {})}
        return r
    return run


def test_reproduce_tells_noise_from_difference(ledger):
    lb = lbm.build(lbm.records_from(str(ledger)))
    key = "A-v0|private|ippo@100"
    # 5e-8 relative (the 7e-4 on 14,000): deterministic within 1e-6, and inside the interval
    tiny = reproduce(lb, key, run_fn=_drifted(5e-8), workers=1)
    assert tiny.deterministic and tiny.agrees and tiny.ok
    # 1.3 % (the MADDPG row): not deterministic, whatever the interval says; numpy named
    moved = reproduce(lb, key, run_fn=_drifted(0.013, {"numpy": "0.0.1"}), workers=1)
    assert moved.deterministic is False and not moved.ok and len(moved.differing) == 5
    assert moved.versions["numpy"][1] == "0.0.1"
    text = "\n".join(moved.lines())
    assert "determinism: FAIL, 5 of 5 re-runs differ" in text and "numpy" in text and "return" in text
    # far off: outside the interval too
    far = reproduce(lb, key, run_fn=_drifted(0.5), workers=1)
    assert not far.agrees and "agreement: FAIL" in "\n".join(far.lines())
    # fresh seeds: a replication, judged on agreement alone
    fresh = reproduce(lb, key, run_fn=SYNTH, workers=1, new_seeds=True)
    assert fresh.deterministic is None and fresh.runs == 5


# ---- report ---------------------------------------------------------------------------------------

def test_report_is_self_contained(tmp_path):
    names = ["ippo", "mappo", "heuristic/random", "oracle/equilibrium", "constant/50"]
    configs = expand(",".join(names), "A-v0,B-v0", "private,cooperative", "0-4", "100", eval_at="0,50,100",
                     policy_names=names, env_ids=["A-v0", "B-v0"])
    run_sweep(configs, tmp_path / "l.db", workers=1, run_fn=SYNTH, progress=False)
    audit = tmp_path / "audit.json"
    audit.write_text('{"A-v0": "immune", "B-v0": "broadly vulnerable"}')
    out = tmp_path / "r.html"
    assert main(["report", "--ledger", str(tmp_path / "l.db"), "--out", str(out), "--audit", str(audit)]) == 0
    text = out.read_text()
    # learning curves, performance profiles, welfare ablation, trust, audit
    assert text.count("data:image/png;base64,") == 5
    assert not re.search(r"(src|href)=[\"']https?:", text)  # nothing fetched from the network
    for heading in ("Learning curves", "Performance profiles", "Probability of improvement",
                    "Reward-mode ablation on material welfare", "Trust trajectories", "Audit classes"):
        assert heading in text
    assert "P(X &gt; Y)" in text and "broadly vulnerable" in text
    assert "No audit results" in build_html(lbm.records_from(str(tmp_path / "l.db")), reps=200)


def test_learning_curve_points_are_normalised_iqms(tmp_path):
    from coopgym.runner.report import curve_points
    from coopgym.runner.synthetic import synthetic_run

    names = ["ippo", "heuristic/random", "constant/50"]
    configs = expand(",".join(names), "A-v0", "private", "0-4", "100", eval_at="0,100", policy_names=names,
                     env_ids=["A-v0"])
    records = [synthetic_run(c) for c in configs]
    lb = lbm.build(records, reps=200)
    points = curve_points(lb)
    (mech, reward), = points
    curve = points[(mech, reward)]["ippo@100"]
    scale = lb.scales[("A-v0", "private")]["return"]
    at0 = [scale.normalise(r.evaluations[0]["return"]) for r in records if r.policy == "ippo"]
    assert [k for k, _ in curve] == [0, 100]
    assert curve[0][1][0] == pytest.approx(stats.iqm(np.array(at0)))


def test_a_partial_corpus_draws_learning_curves_per_environment():
    """The learner ran on A-v0 only, so the common task set of their class (A-v0, D-v0: both TR-1 in the
    synthetic runs) is not covered: the report falls back to per-environment curves, each point the mean
    over seeds of the normalised score."""
    from coopgym.runner.report import curve_points, env_curve_points, learning_curves
    from coopgym.runner.synthetic import synthetic_run

    refs = ["heuristic/random", "constant/50"]
    configs = (expand(",".join(refs), "A-v0,D-v0", "private", "0-4", "0", policy_names=refs, env_ids=["A-v0", "D-v0"])
               + expand("ippo", "A-v0", "private", "0-4", "100", eval_at="0,100", policy_names=["ippo"],
                        env_ids=["A-v0"]))
    records = [synthetic_run(c) for c in configs]
    lb = lbm.build(records, reps=200)
    assert not curve_points(lb)
    curve = env_curve_points(lb)[("A-v0", "private")]["ippo@100"]
    scale = lb.scales[("A-v0", "private")]["return"]
    at100 = [scale.normalise(r.evaluations[1]["return"]) for r in records if r.policy == "ippo"]
    assert [k for k, _ in curve] == [0, 100]
    assert curve[1][1][0] == pytest.approx(np.mean(at100))
    assert curve[1][1][1] <= curve[1][1][0] <= curve[1][1][2]
    text = learning_curves(lb)
    assert "data:image/png" in text and "per environment and reward mode (all 1)" in text


def test_reproduce_a_row_whose_seeds_agree_exactly():
    """All five seeds gave 14,000: the interval has zero width; a re-run within 1e-6 still agrees."""
    stored = rec("oracle/equilibrium", "E1-v0", [14000.0] * 5) + rec("heuristic/random", "E1-v0", [10.0] * 5)
    lb = lbm.build(stored, reps=200)

    def rerun(scale):
        def run(config):
            r = next(s for s in stored if s.config_hash == config.config_hash)
            return RunRecord.from_dict({**r.to_dict(), "config_hash": "", "mean_return": [x * scale for x in
                                        r.mean_return], "metrics": {**r.metrics, "return": r.metrics["return"] * scale}})
        return run

    near = reproduce(lb, "E1-v0|private|oracle/equilibrium", run_fn=rerun(1 + 5e-8), workers=1)
    assert near.interval == (14000.0, 14000.0, 14000.0) and near.ok
    off = reproduce(lb, "E1-v0|private|oracle/equilibrium", run_fn=rerun(1 + 1e-5), workers=1)
    assert not off.deterministic and not off.agrees


def _corpus_of(tmp_path, seeds: int):
    """A corpus of 2 environments x 4 policies x ``seeds`` synthetic runs."""
    from coopgym.runner.corpus import export_corpus
    from coopgym.runner.synthetic import synthetic_run

    names = ["ippo", "heuristic/random", "oracle/equilibrium", "constant/60"]
    configs = expand(",".join(names), "A-v0,B-v0", "private", f"0-{seeds - 1}", "100", policy_names=names,
                     env_ids=["A-v0", "B-v0"])
    out = tmp_path / f"corpus{seeds}"
    export_corpus([synthetic_run(c) for c in configs], out, validate=False)
    return out


def test_leaderboard_memory_is_flat_in_corpus_size(tmp_path):
    """`coopgym leaderboard --corpus` streams the runs: four times the runs adds well under a kilobyte of
    Python memory per added run (a kept record costs several), measured with tracemalloc around the CLI."""
    import tracemalloc

    def peak(corpus, keep_records=False):
        tracemalloc.start()
        try:
            if keep_records:   # what the table would cost if it held every record (the control)
                lbm.build(lbm.records_from(corpus=str(corpus)), reps=100)
            else:
                assert main(["leaderboard", "--corpus", str(corpus), "--reps", "100",
                             "--out", str(tmp_path / "lb.txt")]) == 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = _corpus_of(tmp_path, 100), _corpus_of(tmp_path, 400)
    peak(small), peak(small, True)   # imports and first calls out of the measurement
    added = 2 * 4 * 300
    per_run = (peak(large) - peak(small)) / added
    kept_per_run = (peak(large, True) - peak(small, True)) / added
    assert per_run < 1024, f"{per_run:.0f} bytes per added run"
    assert kept_per_run > 1024   # the bound would catch a leaderboard that kept its records
