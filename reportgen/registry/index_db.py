"""The SQLite file behind the history index: schema, WAL mode and transactions.

Kept apart from the records it stores (``history``): this module knows tables and locks, not
versions or runs.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

INDEX = "index.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    policy_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    path TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    model_sha256s TEXT NOT NULL,
    dataset_sha256s TEXT NOT NULL,
    reportgen_version TEXT NOT NULL,
    gates_pass INTEGER NOT NULL,
    gates_warn INTEGER NOT NULL,
    gates_fail INTEGER NOT NULL,
    gates_error INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'published',
    PRIMARY KEY (policy_id, version)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id TEXT NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('published', 'no_change', 'error')),
    version INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_by_policy ON runs (policy_id, at);
CREATE UNIQUE INDEX IF NOT EXISTS one_publishing_run ON runs (policy_id, version)
    WHERE outcome = 'published';
"""


@contextmanager
def transaction(
    path: Path, *, write: bool, on_create: Callable[[sqlite3.Connection], object]
) -> Iterator[sqlite3.Connection]:
    """A transaction on the index at ``path``; ``on_create`` fills a newly created index.

    A write transaction takes the write lock at once (BEGIN IMMEDIATE), so two writers queue on
    the busy timeout instead of failing when one upgrades a read lock.
    """
    _ensure_wal(path)
    with closing(sqlite3.connect(path, timeout=30.0, isolation_level=None)) as db:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            if _create_schema(db):
                on_create(db)
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _ensure_wal(path: Path) -> None:
    """Put a new index in WAL mode, one process at a time.

    Switching the journal mode needs the database to itself and does not wait on the busy
    timeout, so processes creating the index at once take turns on a lock file beside it.
    """
    if _is_wal(path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the file closes
        if not _is_wal(path):
            with closing(sqlite3.connect(path, timeout=30.0)) as db:
                db.execute("PRAGMA journal_mode = WAL")


def _is_wal(path: Path) -> bool:
    """True when the database header says WAL (file format versions 2 at bytes 18 and 19)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except FileNotFoundError:
        return False
    return header[18:20] == b"\x02\x02"


def _create_schema(db: sqlite3.Connection) -> bool:
    """Create the tables if this index is new; True when it was."""
    known = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if known:
        found = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        if found != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"index schema version {found}, this reportgen reads {SCHEMA_VERSION}"
            )
        return False
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
    return True
