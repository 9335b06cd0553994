"""`twinsight store check`: duplicates, orphans and missing keys, and removing extra copies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from twinsight.store.files import StoreError, connect, first_line, unreadable_store
from twinsight.store.migrations import count_duplicates, migrate
from twinsight.store.reader import segment_sources
from twinsight.store.schema import TABLES

__all__ = ["StoreCheck", "check_store"]


@dataclass
class StoreCheck:
    """What `store check` found in one store (a DuckDB file or a segment folder)."""

    where: str
    duplicates: dict[str, tuple[int, int]] = field(default_factory=dict)  # (exact, differing)
    orphan_responses: int = 0  # a response whose exchange is not in the store
    without_legacy: int = 0  # an exchange with no legacy answer
    unkeyed: list[str] = field(default_factory=list)  # tables an older twinsight left unkeyed
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """One line per problem left in the store."""
        lines = [
            f"{table}: {exact} exact duplicate row(s), {differing} differing cop(ies) of a key"
            for table, (exact, differing) in self.duplicates.items()
            if exact or differing
        ]
        if self.orphan_responses:
            lines.append(f"responses: {self.orphan_responses} without their exchange")
        if self.without_legacy:
            lines.append(f"exchanges: {self.without_legacy} without a legacy answer")
        if self.unkeyed:
            lines.append(f"tables without keys (a store of an older twinsight): {self.unkeyed}")
        return lines


def check_store(
    path: Path | None, segments: Path | None, *, repair: bool = False, shown: str | None = None
) -> StoreCheck:
    """Check the DuckDB file at `path` (repairing it when asked) or the folder `segments`.

    `shown` is what the user named the folder, when that is not its path: the s3:// URL of
    segments in object storage, whose local copy `segments` is. Messages name it, and an
    object's key under it, never the copy."""
    if path is not None:
        if not path.exists():
            raise StoreError(f"{path}: no such store file")
        return _check_file(path, repair=repair)
    where = shown or str(segments)
    if segments is None or not segments.is_dir():
        raise StoreError(f"{where}: no such segment folder")
    if repair:
        raise StoreError(
            f"{where}: segments are never rewritten; absorb them into a store file "
            "(it keeps one copy of each) or read them as they are (readers do too)"
        )
    connection = duckdb.connect()
    try:
        for name, source in segment_sources(segments).items():
            connection.execute(f"CREATE VIEW {name} AS {source}")
        return _inspect(connection, where, StoreCheck(where))
    except (duckdb.Error, pa.ArrowException) as exc:
        damaged = unreadable_store(exc)
        if damaged is None or shown is None:
            raise
        # The copy mirrors the prefix: its file NAME is the object PREFIX/NAME.
        text = str(damaged).replace(str(segments), shown)
        raise StoreError(f"{shown}: {text}") from None
    finally:
        connection.close()


def _check_file(path: Path, *, repair: bool) -> StoreCheck:
    report = StoreCheck(str(path))
    connection = connect(path, read_only=not repair)
    try:
        if not _exists(connection, "schema_version"):
            raise StoreError(f"{path}: not a twinsight store (no schema_version table)")
        if repair:
            # Migrating keys the tables, removing the extra copies an older store holds.
            try:
                report.repaired = migrate(connection, str(path))
            except duckdb.Error as exc:
                raise StoreError(f"{path}: cannot repair the store: {first_line(exc)}") from None
        keyed = {
            str(row[0])
            for row in connection.execute(
                "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
            ).fetchall()
        }
        report.unkeyed = [
            name for name in TABLES if name not in keyed and _exists(connection, name)
        ]
        return _inspect(connection, str(path), report)
    finally:
        connection.close()


def _inspect(connection: duckdb.DuckDBPyConnection, where: str, report: StoreCheck) -> StoreCheck:
    for name in TABLES:
        if not _exists(connection, name):
            continue
        report.duplicates[name] = count_duplicates(connection, name)
    if _exists(connection, "responses") and _exists(connection, "exchanges"):
        row = connection.execute(
            "SELECT (SELECT count(*) FROM responses WHERE exchange_id NOT IN "
            "(SELECT id FROM exchanges)), (SELECT count(*) FROM exchanges WHERE id NOT IN "
            "(SELECT exchange_id FROM responses WHERE target = 'legacy'))"
        ).fetchone()
        if row is not None:
            report.orphan_responses, report.without_legacy = int(row[0]), int(row[1])
    return report


def _exists(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
        "UNION ALL SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
        [name, name],
    ).fetchall()
    return any(int(r[0]) for r in row)
