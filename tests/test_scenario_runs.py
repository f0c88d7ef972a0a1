"""Scenario evaluations inside runs (issue 14, phase 2): sweeps score each final policy on its environment's
scenarios and record it; the leaderboard's generalisation view; the report's cross-play heatmap; the
corpus columns."""
import csv
import io
import json

import pytest

from coopgym.cli import main
from coopgym.runner import corpus
from coopgym.runner.execute import execute
from coopgym.runner.ledger import read_records
from coopgym.runner.records import RunConfig
from coopgym.scenarios.catalogue import get_scenario, scenarios_for
from coopgym.scenarios.references import references

ENV = "SLCD-v0"


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """Scenario references go to a per-session temporary cache, never the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COOPGYM_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        yield


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Two reference policies x seeds 0-2, each scored on every SLCD-v0 scenario."""
    tmp = tmp_path_factory.mktemp("scen")
    ledger = tmp / "l.db"
    assert main(["sweep", "--policies", "constant/50,oracle/trust_aware", "--envs", ENV, "--rewards", "private",
                 "--seeds", "0-2", "--scenarios", "all", "--ledger", str(ledger), "--workers", "1",
                 "--no-progress"]) == 0
    return ledger


def test_a_sweep_records_every_scenario_score(swept):
    records = read_records(swept)
    ids = sorted(s.id for s in scenarios_for(ENV))
    assert len(records) == 6 and all(list(r.scenarios) == ids for r in records)
    for r in records:
        assert [s["scenario"] for s in r.scenario_scores] == ids and all(s["seed"] == r.seed for s in r.scenario_scores)
        assert all(s["normalised"] is None or -5 < s["normalised"] <= 1 + 1e-9 for s in r.scenario_scores)


def test_configs_without_scenarios_keep_their_hashes():
    plain = RunConfig("constant/50", ENV, "private", 0, 0)
    assert "scenarios" not in json.loads(plain.canonical_json())
    scored = RunConfig("constant/50", ENV, "private", 0, 0, scenarios="all")
    assert scored.config_hash != plain.config_hash
    assert RunConfig.from_dict(scored.to_dict()) == scored
    assert RunConfig("constant/50", ENV, "private", 0, 0, scenarios=["visitor/mixed"]).scenarios == (
        f"{ENV}/visitor/mixed",)


def test_the_best_focal_response_scores_one_and_random_zero_inside_a_run():
    scenario = get_scenario(f"{ENV}/visitor/cooperators")
    refs = references(scenario)
    for policy, expected in ((refs.best_policy, 1.0), ("heuristic/random", 0.0)):
        record = execute(RunConfig(policy, ENV, "private", 0, 0, eval_episodes=1, scenarios=[scenario.id]))
        assert record.scenario_scores[0]["normalised"] == pytest.approx(expected, abs=1e-9), policy


def test_unknown_scenarios_stop_the_sweep_before_it_starts(tmp_path, capsys):
    ledger = tmp_path / "l.db"
    assert main(["sweep", "--policies", "constant/50", "--envs", ENV, "--scenarios", "visitor/nowhere",
                 "--ledger", str(ledger)]) == 2
    assert "unknown scenario" in capsys.readouterr().err and not ledger.exists()
    with pytest.raises(ValueError, match="belongs to"):
        RunConfig("constant/50", "TeamProduction-v0", "private", 0, 0, scenarios=[f"{ENV}/visitor/mixed"])


def test_the_generalisation_view_has_a_row_per_kind_with_intervals(swept, capsys):
    assert main(["leaderboard", "--ledger", str(swept), "--view", "generalisation", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    groups = {(r[0], r[3]) for r in rows}
    for policy in ("constant/50", "oracle/trust_aware"):
        for kind in ("cooperators", "defectors", "reciprocators", "mixed"):
            assert (policy, f"kind: {kind}") in groups
        assert (policy, "layout: visitor") in groups
    mixed = next(r for r in rows if r[0] == "constant/50" and r[3] == "kind: reciprocators")
    lo, hi = (float(x) for x in mixed[7].strip("[]").split(", "))
    assert lo <= float(mixed[6]) <= hi                                   # three seeds: a real interval


def test_the_report_draws_the_crossplay_matrix(swept, tmp_path):
    matrix = tmp_path / "cp.json"
    policies = "constant/10,constant/50,constant/90,heuristic/tit_for_tat"
    assert main(["crossplay", "--env", ENV, "--policies", policies, "--episodes", "2", "--out", str(matrix)]) == 0
    assert len(json.loads(matrix.read_text())["matrix"]) == 4
    page = tmp_path / "r.html"
    assert main(["report", "--ledger", str(swept), "--out", str(page), "--crossplay", str(matrix)]) == 0
    section = page.read_text().split("<h2>Generalisation and cross-play</h2>")[1].split("<h2>")[0]
    assert section.count("data:image/png") == 1 and "kind: mixed" in section
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["report", "--ledger", str(swept), "--out", str(page), "--crossplay", str(bad)]) == 2


def test_scenario_scores_survive_the_corpus(swept, tmp_path):
    records = read_records(swept)
    corpus.export_corpus(records, tmp_path, date_published="2026-12-04")
    assert {r.config_hash: r for r in corpus.load_corpus(tmp_path)} == {r.config_hash: r for r in records}
    assert {r.config_hash: r for r in corpus.load_croissant(tmp_path)} == {r.config_hash: r for r in records}
