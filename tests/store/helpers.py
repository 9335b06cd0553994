"""Small builders for exchanges in tests."""

from __future__ import annotations

import duckdb

from twinsight.records import Body, Exchange, Response
from twinsight.store import new_id
from twinsight.store.schema import TABLES

SECRET = "s3cr3t-token-value"


def exchange(
    path: str = "/tasks/1",
    *,
    method: str = "GET",
    legacy: bytes = b'{"id": 1}',
    candidate: bytes = b'{"id": "a"}',
    source: str = "proxy",
) -> Exchange:
    """A GET with a bearer token, answered by legacy and candidate."""
    json = (("Content-Type", "application/json"),)
    return Exchange(
        id=new_id(),
        source=source,  # type: ignore[arg-type]
        method=method,
        path=path,
        host="example.test",
        headers=(("Authorization", f"Bearer {SECRET}"), ("Accept", "application/json")),
        responses=(
            Response(
                "legacy",
                200,
                (*json, ("Set-Cookie", f"sid={SECRET}; Path=/")),
                Body.of(legacy, 1 << 20),
                1.5,
            ),
            Response("candidate", 200, json, Body.of(candidate, 1 << 20), 2.5),
        ),
    )


def unkeyed_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """The tables of a schema-2 store, as an older twinsight made them: no keys."""
    for table in TABLES.values():
        columns = ", ".join(f"{c.name} {c.sql}" for c in table.columns)
        connection.execute(f"CREATE TABLE {table.name} ({columns})")
    connection.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMPTZ)")
    connection.execute("INSERT INTO schema_version VALUES (1, now()), (2, now())")
