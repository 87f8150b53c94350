"""The history index: ``<out>/index.sqlite``, a queryable record of versions and runs.

The version folders are the truth; the index is derived from them (``rebuild``) and kept up to
date as versions are published (``record_version``, called under the policy lock) and as runs
end without publishing (``record_run``). It also holds runs that left no folder: a run skipped
because nothing changed, or a scheduled run that failed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reportgen.errors import RegistryError
from reportgen.registry import index_db
from reportgen.registry.manifest import manifest_sha256, read_manifest
from reportgen.registry.store import Published, versions
from reportgen.results.fingerprint import fingerprint
from reportgen.results.io import RESULTS_FILE, load_results
from reportgen.results.trail import Manifest

if TYPE_CHECKING:
    from reportgen.results import ResultDocument

GATE_STATUSES = ("pass", "warn", "fail", "error")
Outcome = Literal["published", "no_change", "error"]

_VERSION_COLUMNS = (
    "policy_id",
    "version",
    "created_at",
    "path",
    "manifest_sha256",
    "fingerprint",
    "policy_sha256",
    "model_sha256s",
    "dataset_sha256s",
    "reportgen_version",
    "gates_pass",
    "gates_warn",
    "gates_fail",
    "gates_error",
    "status",
)


@dataclass(frozen=True)
class VersionRecord:
    """One published version as the index knows it; ``path`` is absolute."""

    policy_id: str
    version: int
    created_at: str
    path: Path
    manifest_sha256: str
    fingerprint: str
    policy_sha256: str
    model_sha256s: dict[str, Any]
    dataset_sha256s: dict[str, str]
    reportgen_version: str
    gates: dict[str, int]
    status: str

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


@dataclass(frozen=True)
class RunRecord:
    """One run of a policy: it published a version, found no change, or failed."""

    policy_id: str
    at: str
    outcome: Outcome
    version: int | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def utc_iso(moment: datetime) -> str:
    """A moment as the index stores it: ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def index_path(out: Path) -> Path:
    return Path(out) / index_db.INDEX


def record_version(out: Path, published: Published, document: ResultDocument) -> None:
    """Index a version that was just published (call it while the policy lock is held).

    Records the version and its 'published' run in one transaction.

    Raises:
        RegistryError: the index cannot be written; the version itself is published.
    """
    statuses = [g.status for g in document.gates]
    row = _version_row(Path(out), published.path, published.manifest, statuses, document.run.seed)
    try:
        with _transaction(Path(out)) as db:
            _insert_version(db, row)
            _insert_run(db, row["policy_id"], row["created_at"], "published", row["version"], "")
    except sqlite3.Error as exc:
        raise RegistryError(
            f"{index_path(out)}: v{published.version} was published but not indexed ({exc}); "
            "run `reportgen history --rebuild`"
        ) from exc


def record_run(
    out: Path,
    policy_id: str,
    outcome: Outcome,
    *,
    version: int | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> None:
    """Record a run that published nothing: 'no_change' (``version`` is the latest) or 'error'.

    Raises:
        RegistryError: the index cannot be written.
    """
    when = utc_iso(at or datetime.now(UTC))
    try:
        with _transaction(Path(out)) as db:
            _insert_run(db, policy_id, when, outcome, version, detail)
    except sqlite3.Error as exc:
        raise RegistryError(f"{index_path(out)}: cannot record the run ({exc})") from exc


def list_versions(out: Path, policy_id: str | None = None) -> list[VersionRecord]:
    """Indexed versions, oldest first (by policy, then version number).

    Builds the index from the version folders when ``out`` has none yet.

    Raises:
        RegistryError: ``out`` has neither an index nor any version, or the index is unreadable.
    """
    where, args = ("WHERE policy_id = ?", (policy_id,)) if policy_id else ("", ())
    rows = _query(Path(out), f"SELECT * FROM versions {where} ORDER BY policy_id, version", args)
    return [_version_record(Path(out), row) for row in rows]


def list_runs(
    out: Path, policy_id: str | None = None, *, outcome: Outcome | None = None, limit: int = 20
) -> list[RunRecord]:
    """The most recent ``limit`` runs, oldest first, optionally of one policy and one outcome."""
    clauses = [(c, v) for c, v in (("policy_id", policy_id), ("outcome", outcome)) if v]
    where = ("WHERE " + " AND ".join(f"{c} = ?" for c, _ in clauses)) if clauses else ""
    sql = f"SELECT * FROM runs {where} ORDER BY at DESC, id DESC LIMIT ?"
    rows = _query(Path(out), sql, (*(v for _, v in clauses), limit))
    return [
        RunRecord(r["policy_id"], r["at"], r["outcome"], r["version"], r["detail"])
        for r in reversed(rows)
    ]


def last_run(out: Path, policy_id: str) -> datetime | None:
    """When ``policy_id`` last ran (any outcome), or None if it never did."""
    if not index_path(out).exists() and not versions(Path(out) / policy_id):
        return None
    rows = _query(Path(out), "SELECT MAX(at) AS at FROM runs WHERE policy_id = ?", (policy_id,))
    at = rows[0]["at"] if rows else None
    return datetime.fromisoformat(at) if at else None


def rebuild(out: Path) -> int:
    """Re-create the versions (and their 'published' runs) from the version folders.

    Runs that left no folder ('no_change', 'error') are kept when the index exists, and are
    lost when it was deleted. Returns the number of versions indexed.

    Raises:
        RegistryError: a version folder's manifest is unreadable. InputError: its results are.
    """
    out = Path(out)
    try:
        with _transaction(out) as db:
            return _rebuild_in(db, out)
    except sqlite3.Error as exc:
        raise RegistryError(f"{index_path(out)}: cannot rebuild the index ({exc})") from exc


def _rebuild_in(db: sqlite3.Connection, out: Path) -> int:
    db.execute("DELETE FROM versions")
    db.execute("DELETE FROM runs WHERE outcome = 'published'")
    count = 0
    for folder in _version_folders(out):
        row = _folder_row(out, folder)
        _insert_version(db, row)
        _insert_run(db, row["policy_id"], row["created_at"], "published", row["version"], "")
        count += 1
    return count


def _version_folders(out: Path) -> Iterator[Path]:
    if not out.is_dir():
        return
    for policy_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        for number in versions(policy_dir):
            yield policy_dir / f"v{number}"


def _folder_row(out: Path, folder: Path) -> dict[str, Any]:
    """A versions row read from a version folder's manifest.json and results.json.

    Raises:
        RegistryError: the manifest is missing or unreadable. InputError: the results are.
    """
    manifest = read_manifest(folder)
    document = load_results(folder / RESULTS_FILE)
    statuses = [g.status for g in document.gates]
    return _version_row(out, folder, manifest, statuses, document.run.seed)


def _version_row(
    out: Path, folder: Path, manifest: Manifest, statuses: Iterable[str], seed: int
) -> dict[str, Any]:
    """A versions row from a manifest and its document's gate statuses and seed."""
    inputs: dict[str, Any] = manifest.inputs
    models, datasets = inputs.get("models", {}), inputs.get("datasets", {})
    tally = {s: 0 for s in GATE_STATUSES}
    for status in statuses:
        tally[status] += 1
    printed = inputs.get("fingerprint") or fingerprint(
        inputs.get("policy", ""), models, datasets, manifest.reportgen_version, seed
    )
    return {
        "policy_id": manifest.policy_id,
        "version": manifest.version,
        "created_at": manifest.created_at,
        "path": _relative(out, folder),
        "manifest_sha256": manifest_sha256(folder),
        "fingerprint": printed,
        "policy_sha256": inputs.get("policy", ""),
        "model_sha256s": json.dumps(models, sort_keys=True),
        "dataset_sha256s": json.dumps(datasets, sort_keys=True),
        "reportgen_version": manifest.reportgen_version,
        **{f"gates_{s}": n for s, n in tally.items()},
        "status": "published",
    }


def _relative(out: Path, folder: Path) -> str:
    """The folder relative to ``out`` when inside it (the index survives moving ``out``)."""
    try:
        return folder.resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return str(folder.resolve())


def _version_record(out: Path, row: Mapping[str, Any] | sqlite3.Row) -> VersionRecord:
    return VersionRecord(
        policy_id=row["policy_id"],
        version=row["version"],
        created_at=row["created_at"],
        path=out / row["path"],
        manifest_sha256=row["manifest_sha256"],
        fingerprint=row["fingerprint"],
        policy_sha256=row["policy_sha256"],
        model_sha256s=json.loads(row["model_sha256s"]),
        dataset_sha256s=json.loads(row["dataset_sha256s"]),
        reportgen_version=row["reportgen_version"],
        gates={s: row[f"gates_{s}"] for s in GATE_STATUSES},
        status=row["status"],
    )


def _insert_version(db: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    names = ", ".join(_VERSION_COLUMNS)
    marks = ", ".join("?" for _ in _VERSION_COLUMNS)
    db.execute(
        f"INSERT OR REPLACE INTO versions ({names}) VALUES ({marks})",
        tuple(row[c] for c in _VERSION_COLUMNS),
    )


def _insert_run(
    db: sqlite3.Connection,
    policy_id: str,
    at: str,
    outcome: Outcome,
    version: int | None,
    detail: str,
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO runs (policy_id, at, outcome, version, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (policy_id, _normal_at(at), outcome, version, detail),
    )


def _normal_at(at: str) -> str:
    """An ISO time in the index's form (UTC, seconds); a naive time is taken as UTC."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    return utc_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _query(out: Path, sql: str, args: tuple[Any, ...]) -> list[sqlite3.Row]:
    if not index_path(out).exists() and next(_version_folders(out), None) is None:
        raise RegistryError(
            f"{out}: holds no history index and no report version; "
            f"publish one with `reportgen run POLICY --out {out}`"
        )
    try:
        with _transaction(out, write=not index_path(out).exists()) as db:
            return list(db.execute(sql, args))
    except sqlite3.Error as exc:
        raise RegistryError(f"{index_path(out)}: cannot read the history index ({exc})") from exc


@contextmanager
def _transaction(out: Path, *, write: bool = True) -> Iterator[sqlite3.Connection]:
    """A transaction on the index, which is created (and filled from the folders) on first use."""
    with index_db.transaction(
        index_path(out), write=write, on_create=lambda db: _rebuild_in(db, out)
    ) as db:
        yield db
