"""The corpus: JSONL + Parquet + Croissant 1.0 metadata that mlcroissant validates and loads back."""
import json
import math

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
    configs = expand("ippo,constant/70,ippo_fail", "A-v0,B-v0", "private,m=0.5", "0-2", "300",
                     policy_names=["ippo", "constant/70", "ippo_fail"], env_ids=["A-v0", "B-v0"])
    run_sweep(configs, ledger, workers=1, run_fn=SYNTH, progress=False)
    assert main(["corpus", "export", "--ledger", str(ledger), "--out", str(tmp / "out"),
                 "--date", "2026-01-15"]) == 0
    return ledger, tmp / "out"


def test_files_and_required_metadata(exported):
    _, out = exported
    assert {p.name for p in out.iterdir()} >= {corpus.JSONL, corpus.PARQUET, corpus.METADATA}
    md = json.loads((out / corpus.METADATA).read_text())
    assert md["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert md["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert md["datePublished"] == "2026-01-15" and md["creator"]["name"]
    assert corpus.check_metadata(md, out) == []
    assert corpus.validate_corpus(out) == []  # no mlcroissant errors or warnings


def test_records_load_back_equal_to_the_ledger(exported):
    ledger, out = exported
    expected = {r.config_hash: r for r in read_records(ledger)}
    assert len(expected) == 36 and sum(r.status == "failed" for r in expected.values()) == 12
    fast = corpus.load_corpus(out)
    assert {r.config_hash: r for r in fast} == expected
    via_croissant = corpus.load_croissant(out, "runs")  # mlcroissant reading the Parquet file
    assert {r.config_hash: r for r in via_croissant} == expected
    # JSON Lines: exact with the json module ...
    lines = [corpus.row_record(json.loads(line)) for line in (out / corpus.JSONL).read_text().splitlines()]
    assert {r.config_hash: r for r in lines} == expected
    # ... and through mlcroissant, whose pandas.read_json keeps ~15 significant digits of a float.
    for rec in corpus.load_croissant(out, "runs_jsonl"):
        exp = expected[rec.config_hash]
        for name in ("train_seconds", "eval_seconds", "cooperation_rate", "final_trust", "oracle_return",
                     "gap_to_oracle"):
            a, b = getattr(rec, name), getattr(exp, name)
            assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-11)
        assert (rec.mean_return, rec.learning_curve, rec.trajectory, rec.error, rec.started_at) == \
               (exp.mean_return, exp.learning_curve, exp.trajectory, exp.error, exp.started_at)


@pytest.mark.parametrize("field", ["creator", "datePublished", "license", "url"])
def test_missing_required_field_is_flagged(exported, tmp_path, field):
    _, out = exported
    md = json.loads((out / corpus.METADATA).read_text())
    del md[field]
    for name in (corpus.JSONL, corpus.PARQUET):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    (tmp_path / corpus.METADATA).write_text(json.dumps(md))
    with pytest.raises(corpus.CorpusError, match=f"missing required field '{field}'"):
        corpus.validate_corpus(tmp_path)


def test_tampered_file_is_detected(exported, tmp_path):
    _, out = exported
    for name in (corpus.JSONL, corpus.PARQUET, corpus.METADATA):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    with open(tmp_path / corpus.JSONL, "a") as fh:
        fh.write("{}\n")
    with pytest.raises(corpus.CorpusError, match="does not match its sha256"):
        corpus.validate_corpus(tmp_path)
    assert main(["corpus", "validate", str(out)]) == 0


def test_export_of_a_missing_ledger_is_a_clear_error(tmp_path, capsys):
    assert main(["corpus", "export", "--ledger", str(tmp_path / "none.db"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
