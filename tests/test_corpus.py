"""The corpus: Parquet + Croissant 1.0 metadata that mlcroissant validates and loads back; partial builds;
the v1 corpus still loads."""
import json
from pathlib import Path

import pytest

from coopgym.cli import main
from coopgym.runner import corpus
from coopgym.runner.ledger import read_records
from coopgym.runner.plan import expand
from coopgym.runner.sweep import run_sweep

mlc = pytest.importorskip("mlcroissant")
SYNTH = "coopgym.runner.synthetic:synthetic_run"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corpus")
    ledger = tmp / "l.db"
    configs = expand("ippo,constant/70,ippo_fail", "A-v0,B-v0", "private,m=0.5", "0-2", "300", eval_at="0,150,300",
                     policy_names=["ippo", "constant/70", "ippo_fail"], env_ids=["A-v0", "B-v0"])
    run_sweep(configs, ledger, workers=1, run_fn=SYNTH, progress=False)
    assert main(["corpus", "export", "--ledger", str(ledger), "--out", str(tmp / "out"),
                 "--date", "2026-01-15"]) == 0
    return ledger, tmp / "out"


def test_files_and_required_metadata(exported):
    _, out = exported
    assert {p.name for p in out.iterdir()} == {corpus.PARQUET, corpus.METADATA}   # no JSONL unless asked
    md = json.loads((out / corpus.METADATA).read_text())
    assert [f["contentUrl"] for f in md["distribution"]] == [corpus.PARQUET]
    fields = [f["name"] for f in md["recordSet"][0]["field"]]
    assert {"return", "welfare", "equality", "cooperation", "trust", "evaluations", "eval_at"} <= set(fields)
    assert "This release: 36 runs (24 ok, 12 failed)." in md["description"]
    assert md["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert md["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert md["datePublished"] == "2026-01-15" and md["creator"]["name"]
    assert corpus.check_metadata(md, out) == []
    assert corpus.validate_corpus(out) == []  # no mlcroissant errors or warnings


def test_records_load_back_equal_to_the_ledger(exported, tmp_path):
    ledger, out = exported
    expected = {r.config_hash: r for r in read_records(ledger)}
    assert len(expected) == 36 and sum(r.status == "failed" for r in expected.values()) == 12
    learner = next(r for r in expected.values() if r.policy == "ippo" and r.status == "ok")
    assert [p["steps"] for p in learner.evaluations] == [0, 150, 300] and learner.metrics["welfare"] is not None
    fast = corpus.load_corpus(out)
    assert {r.config_hash: r for r in fast} == expected                       # nested fields exactly
    via_croissant = corpus.load_croissant(out)                                 # mlcroissant reading the Parquet
    assert {r.config_hash: r for r in via_croissant} == expected
    # JSON Lines on request: the same rows, exact with the json module
    assert main(["corpus", "export", "--ledger", str(ledger), "--out", str(tmp_path), "--jsonl",
                 "--date", "2026-01-15"]) == 0
    lines = [corpus.row_record(json.loads(line)) for line in (tmp_path / corpus.JSONL).read_text().splitlines()]
    assert {r.config_hash: r for r in lines} == expected
    assert main(["corpus", "export", "--ledger", str(ledger), "--out", str(tmp_path), "--date", "2026-01-15"]) == 0
    assert not (tmp_path / corpus.JSONL).exists()                           # a stale JSONL does not stay


@pytest.mark.parametrize("field", ["creator", "datePublished", "license", "url"])
def test_missing_required_field_is_flagged(exported, tmp_path, field):
    _, out = exported
    md = json.loads((out / corpus.METADATA).read_text())
    del md[field]
    (tmp_path / corpus.PARQUET).write_bytes((out / corpus.PARQUET).read_bytes())
    (tmp_path / corpus.METADATA).write_text(json.dumps(md))
    with pytest.raises(corpus.CorpusError, match=f"missing required field '{field}'"):
        corpus.validate_corpus(tmp_path)


def test_tampered_file_is_detected(exported, tmp_path):
    _, out = exported
    for name in (corpus.PARQUET, corpus.METADATA):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    with open(tmp_path / corpus.PARQUET, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(corpus.CorpusError, match="does not match its sha256"):
        corpus.validate_corpus(tmp_path)
    assert main(["corpus", "validate", str(out)]) == 0


def test_export_of_a_missing_ledger_is_a_clear_error(tmp_path, capsys):
    assert main(["corpus", "export", "--ledger", str(tmp_path / "none.db"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_partial_build_says_how_much_of_the_plan_it_holds(tmp_path, capsys):
    """A real (tiny) build: a plan of 4 runs, two of them run first; the export says 2 of 4 and so does
    the README's status block; then the build resumes and completes."""
    plan = tmp_path / "plan.toml"
    plan.write_text('policies = ["constant/10", "constant/90"]\nenvs = ["SLCD-v0"]\nrewards = ["private"]\n'
                    'seeds = [0, 1]\neval_episodes = 2\noptions = { horizon = 5 }\n')
    first = tmp_path / "first.toml"
    first.write_text(plan.read_text().replace('"constant/10", "constant/90"', '"constant/10"'))
    out = tmp_path / "corpus"
    out.mkdir()
    (out / "README.md").write_text("# corpus\n<!-- build-status:begin -->\nold\n<!-- build-status:end -->\nend\n")
    assert main(["corpus", "build", "--plan", str(first), "--out", str(out), "--workers", "1"]) == 0
    assert main(["corpus", "build", "--plan", str(plan), "--out", str(out), "--export-only"]) == 0
    assert "2 of 4 planned runs (2 ok, 0 failed) (a partial build" in capsys.readouterr().out
    md = json.loads((out / corpus.METADATA).read_text())
    assert "2 of 4 planned runs" in md["description"] and "partial build" in md["description"]
    readme = (out / "README.md").read_text()
    assert "2 of 4 planned runs" in readme and "old" not in readme and readme.endswith("end\n")
    assert main(["corpus", "build", "--plan", str(plan), "--out", str(out), "--workers", "1"]) == 0
    assert "4 of 4 planned runs (4 ok, 0 failed)." in json.loads((out / corpus.METADATA).read_text())["description"]
    assert len(corpus.load_corpus(out)) == 4 and not (out / corpus.JSONL).exists()
    (out / "ledger.sqlite").unlink()   # a fresh clone: only the released files, the build goes on from them
    before = {r.config_hash: r for r in corpus.load_corpus(out)}
    bigger = tmp_path / "bigger.toml"
    bigger.write_text(plan.read_text().replace("seeds = [0, 1]", "seeds = [0, 1, 2]"))
    assert main(["corpus", "build", "--plan", str(bigger), "--out", str(out), "--workers", "1"]) == 0
    assert "resuming from" in capsys.readouterr().out
    after = {r.config_hash: r for r in corpus.load_corpus(out)}
    assert len(after) == 6 and all(after[h] == r for h, r in before.items())   # 2 new runs, 4 kept as they were
    assert main(["corpus", "build", "--plan", str(plan), "--out", str(tmp_path / "none"), "--export-only"]) == 2


def test_v1_corpus_still_loads():
    """A sample of the release-1 corpus (nested fields as JSON text, no metric columns; tests/data/corpus_v1,
    150 rows of SLCD-v0 and ApacheProject-v0) loads; its metrics carry over; it seeds no build."""
    root = Path(__file__).resolve().parent / "data" / "corpus_v1"
    records = corpus.load_corpus(root)
    assert len(records) == 150 and corpus.is_first_release(root)
    r = next(r for r in records if r.policy == "constant/50" and r.env == "SLCD-v0" and r.status == "ok")
    assert r.metrics["return"] == sum(r.mean_return) / len(r.mean_return)
    assert r.metrics["welfare"] is None and r.metrics["cooperation"] is not None
    assert r.versions["python"] and isinstance(r.learning_curve, list)


def test_nested_fields_and_times_are_native_parquet_types(tmp_path):
    """#16 item 7: lists, structs and timestamps are Parquet types (not JSON text), the Croissant fields say
    so (repeated fields, subfields, DateTime), and a record with options, a training curve and a learning
    curve reads back equal through pyarrow, mlcroissant and the JSON Lines export."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from coopgym.runner.records import RunRecord

    rec = RunRecord(policy="ippo", env="SLCD-v0", reward="private", seed=3, steps=300, eval_episodes=2,
                    options={"action_units": "fraction", "horizon": 5, "focal": [0]}, eval_at=(0, 300),
                    started_at="2026-12-03T01:02:03.456Z", finished_at="2026-12-03T01:02:04.000Z",
                    train_seconds=1.5, eval_seconds=0.25, versions={"python": "3.11.7", "stable-baselines3": "2.9.2"},
                    n_agents=2, mean_return=[1.0, 2.5], std_return=[0.0, 0.5],
                    metrics={"return": 1.75, "welfare": 3.5, "equality": 0.9, "cooperation": 0.4, "trust": None},
                    evaluations=[{"steps": 0, "return": 1.0, "welfare": 2.0, "equality": 1.0, "cooperation": 0.5,
                                  "trust": None}, {"steps": 300, "return": 1.75, "welfare": 3.5, "equality": 0.9,
                                                   "cooperation": 0.4, "trust": None}],
                    learning_curve=[[100, 0.5], [300, 1.25]], mechanism="TR-1", trajectory=[0.5, 0.25])
    corpus.export_corpus([rec], tmp_path, date_published="2026-12-03", jsonl=True)
    schema = pq.read_schema(tmp_path / corpus.PARQUET)
    assert schema.field("started_at").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("mean_return").type == pa.list_(pa.float64())
    assert schema.field("eval_at").type == pa.list_(pa.int64())
    assert schema.field("versions").type.names == ["python", "stable-baselines3"]
    assert pa.types.is_struct(schema.field("evaluations").type.value_type)
    assert pq.read_table(tmp_path / corpus.PARQUET).column("learning_curve").to_pylist() == [
        [{"steps": 100, "return": 0.5}, {"steps": 300, "return": 1.25}]]
    md = json.loads((tmp_path / corpus.METADATA).read_text())
    fields = {f["name"]: f for f in md["recordSet"][0]["field"]}
    assert fields["mean_return"]["repeated"] and fields["mean_return"]["dataType"] == "sc:Float"
    assert [f["name"] for f in fields["learning_curve"]["subField"]] == ["steps", "return"]
    assert fields["started_at"]["dataType"] == "sc:DateTime"
    assert corpus.load_corpus(tmp_path) == [rec]
    assert corpus.load_croissant(tmp_path) == [rec]
    line = json.loads((tmp_path / corpus.JSONL).read_text())
    assert line["options"] == {"action_units": "fraction", "focal": [0], "horizon": 5}      # JSON values, not text
    assert line["mean_return"] == [1.0, 2.5] and line["started_at"] == "2026-12-03T01:02:03.456Z"
    assert corpus.row_record(line) == rec
