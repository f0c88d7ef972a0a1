"""The run ledger and the run-record contract: atomic rows, one per config hash, refusal of bad files."""
import hashlib
import json
import sqlite3

import pytest

from coopgym.runner.backends import run_guarded
from coopgym.runner.ledger import Ledger, LedgerError, read_records
from coopgym.runner.records import RunConfig, RunRecord
from coopgym.runner.synthetic import synthetic_run


def configs(n=6):
    return [RunConfig("constant/50", "SLCD-v0", "private", seed, 0) for seed in range(n)]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        for c in configs(40):
            assert ledger.put(run_guarded(c, synthetic_run))
    return path


# -- the contract -----------------------------------------------------------------
def test_config_hash_is_sha256_of_canonical_json():
    c = RunConfig("ippo", "SLCD-v0", "m=0.50", 3, 1000, options={"n_agents": 2, "action_units": "fraction"})
    text = ('{"env":"SLCD-v0","eval_episodes":10,"options":{"action_units":"fraction","n_agents":2},'
            '"policy":"ippo","reward":"m=0.5","seed":3,"steps":1000}')
    assert c.canonical_json() == text
    assert c.config_hash == hashlib.sha256(text.encode()).hexdigest()
    same = RunConfig("ippo", "SLCD-v0", "m=0.5", 3, 1000, 10, (("n_agents", 2), ("action_units", "fraction")))
    assert same.config_hash == c.config_hash and same.mutuality == 0.5
    assert RunConfig.from_dict(c.to_dict()) == c


@pytest.mark.parametrize("kwargs, message", [
    (dict(steps=-1), "steps must be >= 0"),
    (dict(seed=-2), "seed must be >= 0"),
    (dict(reward="selfish"), "unknown reward 'selfish'"),
    (dict(reward="m=2.5"), "mutuality m must lie in [0, 2]"),
    (dict(eval_episodes=0), "eval_episodes must be >= 1"),
    (dict(policy=""), "policy must be a non-empty string"),
    (dict(options={"x": {1: "a"}}), "option 'x': table keys must be strings"),
    (dict(steps=1.5), "steps must be an integer"),
])
def test_config_validation_names_the_problem(kwargs, message):
    base = dict(policy="ippo", env="SLCD-v0", reward="private", seed=0, steps=10)
    with pytest.raises((ValueError, TypeError), match=message.replace("[", r"\[").replace("]", r"\]")):
        RunConfig(**{**base, **kwargs})


def test_record_rejects_a_foreign_hash_and_round_trips_json():
    rec = run_guarded(configs(1)[0], synthetic_run)
    assert RunRecord.from_json(rec.to_json()) == rec
    data = rec.to_dict() | {"config_hash": "0" * 64}
    with pytest.raises(ValueError, match="does not match its config"):
        RunRecord.from_dict(data)


# -- writing and reading -------------------------------------------------------------
def test_one_row_per_hash_ok_is_never_replaced(tmp_path):
    c = configs(1)[0]
    with Ledger(tmp_path / "l.db") as ledger:
        failed = RunRecord.failure(c, "boom")
        assert ledger.put(failed)
        assert ledger.get(c.config_hash).status == "failed"
        ok = run_guarded(c, synthetic_run)
        assert ledger.put(ok)  # a failed run may be replaced by its retry
        again = RunRecord.failure(c, "later failure")
        assert not ledger.put(again)  # a finished run never is
        assert ledger.get(c.config_hash) == ok
        assert len(ledger) == 1 and ledger.counts() == {"ok": 1, "failed": 0}


def test_records_read_back_equal(filled):
    recs = read_records(filled)
    assert len(recs) == 40
    expected = {r.config_hash: r for r in (run_guarded(c, synthetic_run) for c in configs(40))}
    for r in recs:
        e = expected[r.config_hash]
        assert (r.mean_return, r.std_return, r.learning_curve, r.trajectory) == \
               (e.mean_return, e.std_return, e.learning_curve, e.trajectory)


def test_missing_ledger_is_created_only_when_asked(tmp_path):
    with pytest.raises(FileNotFoundError):
        Ledger(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()
    with Ledger(tmp_path / "deep" / "dir" / "l.db") as ledger:
        assert len(ledger) == 0


# -- corrupt or foreign files: a clear error, nothing changed ------------------------------------
@pytest.mark.parametrize("keep", [0, 60, 4096, 0.5, 0.97])
def test_truncated_ledger_is_refused_unchanged(filled, keep):
    data = filled.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep
    filled.write_bytes(data[:size])
    before = digest(filled)
    with pytest.raises(LedgerError, match="truncated|empty|not a SQLite"):
        Ledger(filled)
    assert digest(filled) == before


def test_foreign_sqlite_database_is_refused_unchanged(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (x)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(LedgerError, match="not a coopgym ledger"):
        Ledger(path)
    assert digest(path) == before


def test_text_file_and_directory_are_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text(json.dumps({"hello": "world"}) * 50)
    before = digest(path)
    with pytest.raises(LedgerError, match="not a SQLite database"):
        Ledger(path)
    assert digest(path) == before
    with pytest.raises(LedgerError, match="is a directory"):
        Ledger(tmp_path)


def test_corrupt_page_is_refused(filled):
    data = bytearray(filled.read_bytes())
    data[4096 * 3: 4096 * 3 + 512] = b"\xff" * 512  # scribble over a b-tree page
    filled.write_bytes(bytes(data))
    before = digest(filled)
    with pytest.raises(LedgerError, match="corrupt"):
        Ledger(filled)
    assert digest(filled) == before


def test_newer_schema_is_refused(filled):
    conn = sqlite3.connect(filled)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="schema version 99"):
        Ledger(filled)
