"""The run ledger: an embedded SQLite database in WAL mode, one row per ``config_hash``.

Each record is written in its own transaction, so a run is recorded whole or
not at all, and a sweep killed at any instant (SIGKILL included) keeps every
record committed before it. With ``synchronous=NORMAL`` in WAL mode a commit
survives the death of the process; only an OS crash or power loss can drop
the last commits (never corrupt the file). Set ``durable=True`` for
``synchronous=FULL``.

A file that is not a coopgym ledger (foreign SQLite database, truncated or
corrupt file, a later schema) is refused with a :class:`LedgerError` before
anything is written to it.
"""
from __future__ import annotations

import os
import sqlite3
import struct
import tempfile
from pathlib import Path
from typing import Iterator

from .records import RunRecord

APPLICATION_ID = 0x436F6F70  # "Coop": marks the file as a coopgym ledger (PRAGMA application_id)
SCHEMA_VERSION = 1
DEFAULT_LEDGER = Path("coopgym-runs") / "ledger.db"
_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    config_hash TEXT PRIMARY KEY,
    policy TEXT NOT NULL, env TEXT NOT NULL, reward TEXT NOT NULL,
    seed INTEGER NOT NULL, steps INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT, started_at TEXT, finished_at TEXT,
    record TEXT NOT NULL
);
CREATE INDEX runs_group ON runs (env, reward, policy);
"""


class LedgerError(ValueError):
    """The ledger file cannot be used (not a ledger, truncated, corrupt, newer schema)."""


def default_ledger_path() -> Path:
    """``$COOPGYM_LEDGER`` if set, else ``./coopgym-runs/ledger.db``."""
    return Path(os.environ.get("COOPGYM_LEDGER") or DEFAULT_LEDGER)


def _check_header(path: Path) -> None:
    """Refuse files that are not SQLite or are shorter than their header says (truncated)."""
    size = path.stat().st_size
    wal = Path(f"{path}-wal")
    if size == 0:
        if wal.exists() and wal.stat().st_size > 0:
            return  # SQLite will rebuild the main file from its write-ahead log
        raise LedgerError(f"ledger {path} is an empty file (0 bytes), not a coopgym ledger; "
                          "it was truncated or created by something else: move it away or choose another --ledger")
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise LedgerError(f"ledger {path} is not a SQLite database (foreign or corrupt file, {size} bytes); "
                          "refusing to touch it: choose another --ledger")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    (change, n_pages), (valid_for,) = struct.unpack(">II", header[24:32]), struct.unpack(">I", header[92:96])
    if n_pages and change == valid_for and size < n_pages * page_size:
        raise LedgerError(f"ledger {path} is truncated: its header promises {n_pages} pages "
                          f"({n_pages * page_size} bytes) but the file has {size} bytes; restore it from a copy")


def _create(path: Path) -> None:
    """Create a ledger atomically: build it under a temporary name, then link it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp)
        with conn:
            conn.executescript(_SCHEMA)
            conn.execute("INSERT INTO meta VALUES ('schema_version', ?), ('created_by', 'coopgym')",
                         (str(SCHEMA_VERSION),))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
        try:
            os.link(tmp, path)  # fails if another process created the ledger meanwhile: theirs wins
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


class Ledger:
    """A run ledger on disk. ``Ledger(path)`` opens it, creating it if ``create`` and missing."""

    def __init__(self, path: str | os.PathLike | None = None, *, create: bool = True, durable: bool = False):
        self.path = Path(path) if path is not None else default_ledger_path()
        if self.path.is_dir():
            raise LedgerError(f"ledger {self.path} is a directory; give a file path such as {self.path / 'ledger.db'}")
        if not self.path.exists():
            if not create:
                raise FileNotFoundError(f"ledger {self.path} does not exist")
            _create(self.path)
        _check_header(self.path)
        try:
            self._conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        except sqlite3.Error as err:
            raise LedgerError(f"cannot open ledger {self.path}: {err}") from None
        try:
            self._verify()
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        except BaseException:
            self._conn.close()
            raise

    def _verify(self) -> None:
        """Integrity, identity and schema checks; reads only."""
        where = f"ledger {self.path}"
        try:
            problems = [r[0] for r in self._conn.execute("PRAGMA quick_check").fetchall()]
            app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            raise LedgerError(f"{where} is corrupt or not a database ({err}); restore it from a copy") from None
        if problems != ["ok"]:
            raise LedgerError(f"{where} is corrupt (integrity check: {'; '.join(problems[:3])}); "
                              "restore it from a copy")
        if app_id != APPLICATION_ID or not {"meta", "runs"} <= tables:
            raise LedgerError(f"{where} is a SQLite database but not a coopgym ledger "
                              f"(tables: {', '.join(sorted(tables)) or 'none'}); refusing to write to it")
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None or int(row[0]) > SCHEMA_VERSION:
            raise LedgerError(f"{where} has schema version {row[0] if row else '?'}; this coopgym reads "
                              f"version {SCHEMA_VERSION}: upgrade coopgym")

    # -- writing -----------------------------------------------------------
    def put(self, record: RunRecord) -> bool:
        """Record a run atomically. A finished ('ok') run is never replaced; a failed one may be.

        Returns whether the record was written.
        """
        row = (record.config_hash, record.policy, record.env, record.reward, record.seed, record.steps,
               record.status, record.error, record.started_at, record.finished_at, record.to_json())
        cur = self._conn.execute(
            "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(config_hash) DO UPDATE SET "
            "status = excluded.status, error = excluded.error, started_at = excluded.started_at, "
            "finished_at = excluded.finished_at, record = excluded.record WHERE runs.status != 'ok'", row)
        return cur.rowcount == 1

    # -- reading -----------------------------------------------------------
    def statuses(self) -> dict[str, str]:
        """config_hash -> status of every recorded run."""
        return dict(self._conn.execute("SELECT config_hash, status FROM runs").fetchall())

    def done(self, include_failed: bool = False) -> set[str]:
        """Hashes of runs a sweep should skip: the 'ok' ones (and the failed ones if asked)."""
        return {h for h, s in self.statuses().items() if s == "ok" or include_failed}

    def get(self, config_hash: str) -> RunRecord | None:
        row = self._conn.execute("SELECT record FROM runs WHERE config_hash = ?", (config_hash,)).fetchone()
        return self._decode(row[0]) if row else None

    def records(self, status: str | None = None) -> list[RunRecord]:
        """All records (optionally one status), in a stable order (env, reward, policy, seed, steps)."""
        return list(self.iter_records(status))

    def iter_records(self, status: str | None = None) -> Iterator[RunRecord]:
        sql = "SELECT record FROM runs" + (" WHERE status = ?" if status else "")
        sql += " ORDER BY env, reward, policy, steps, seed, config_hash"
        for (text,) in self._conn.execute(sql, (status,) if status else ()):
            yield self._decode(text)

    def _decode(self, text: str) -> RunRecord:
        try:
            return RunRecord.from_json(text)
        except (ValueError, TypeError) as err:
            raise LedgerError(f"ledger {self.path} holds an unreadable record: {err}") from None

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall()
        return {"ok": 0, "failed": 0, **dict(rows)}

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_records(path: str | os.PathLike, status: str | None = None) -> list[RunRecord]:
    """Records of an existing ledger (never creates one)."""
    with Ledger(path, create=False) as ledger:
        return ledger.records(status)
