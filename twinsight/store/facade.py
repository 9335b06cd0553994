"""`Store`: what the rest of twinsight reads from a store, as typed rows.

A DuckDB file, a folder of Parquet segments, or both, opened read-only as one set
of views (see `reader.open_store`), the tables analysis derived attached beside them
(written through `derived.Derived`). Nothing outside this package sees a connection or SQL.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pyarrow.parquet as pq

from twinsight.events import ExchangeJudged
from twinsight.store.arrowrows import HeaderPairs
from twinsight.store.evidence import (
    Comparability,
    StoredEvidence,
    candidates,
    comparability,
    stored_evidence,
)
from twinsight.store.filters import counted_in, picked
from twinsight.store.info import StoreInfo
from twinsight.store.reader import OpenStore

__all__ = [
    "RequestOutcome",
    "Store",
    "StoredAnswer",
    "StoredExchange",
    "json_value",
    "snapshot_rows",
]


class StoredAnswer(NamedTuple):
    """One target's answer to a stored exchange."""

    target: str
    status: int | None
    headers: HeaderPairs | None
    body: bytes | None
    truncated: bool | None
    sha256: str | None
    size: int | None
    error: str | None
    latency_ms: float | None
    sent_at: float | None = None  # when the request left for the target (epoch s), if recorded


class StoredExchange(NamedTuple):
    """A stored request with every target's answer."""

    id: str
    method: str
    path: str
    query: str | None
    headers: HeaderPairs | None
    body: bytes | None
    answers: list[StoredAnswer]
    source: str | None = None
    session: str | None = None
    ts: datetime | None = None
    truncated: bool = False  # the request body was stored cut at `max_body`


class RequestOutcome(NamedTuple):
    """A request as the client sent it, and each target's status (or error)."""

    id: str
    method: str
    request: str  # path, and `?query` when there is one
    statuses: dict[str, int | None]
    errors: dict[str, str | None]


_REQUESTS = """
SELECT e.id, e.method, e.path, e.query, e.request_headers, e.request_body,
       e.source, e.session, e.ts, coalesce(e.request_truncated, false)
FROM exchanges e {where} ORDER BY e.id
"""
_ANSWERS = """
SELECT r.exchange_id, r.target, r.status, r.headers, r.body, r.truncated, r.body_sha256,
       r.body_size, r.error, r.latency_ms, epoch_us(r.sent_at) / 1000000
FROM responses r {where} ORDER BY r.exchange_id, r.target
"""
_RANKED = """
SELECT id FROM (
  SELECT e.id, row_number() OVER (ORDER BY e.id) AS n FROM {source} e {where}
) WHERE n IN (SELECT unnest(?)) ORDER BY id
"""
_COUNT = "SELECT count(*) FROM {source} e {where}"
READ_RUN = 20_000
"""Exchanges `Store.exchanges` reads per sorted run: DuckDB holds a run's requests and
answers, bodies included, while it sorts them (a process reading 200,000 small exchanges
peaked at 481 MB of RSS as one run, 312 MB in runs of 50,000, for ~4 % more CPU). With
two workers on a million exchanges, runs of 20,000 (each followed by `release_memory`)
took the largest worker from ~370 to ~280 MB at no cost in time measured; runs of 10,000
saved nothing more and were slower."""
_CHOSEN = """WHERE {column} IN (
  SELECT id FROM exchanges WHERE list_contains(?, id) OR list_contains(?, session))"""


def _over_picked(sql: str, where: str) -> str:
    """`sql` (its `{source}` and `{where}` unfilled) over the exchanges `where` picks, in
    the ids a filter picked when it has them (`counted_in`)."""
    source, within = counted_in(where)
    return sql.format(source=source, where=within.format(column="e.id"))


def _within(
    where: str, params: list[Any] | None, low: str | None, high: str | None
) -> tuple[str, list[Any] | None]:
    """`where` narrowed to ids in [low, high) (a bound of None: none on that side)."""
    bounds = [(">=", low), ("<", high)]
    tests = [f"{{column}} {op} ?" for op, value in bounds if value is not None]
    values = [value for _, value in bounds if value is not None]
    if not tests:
        return where, params
    joined = " AND ".join(tests)
    return (f"{where} AND {joined}" if where else f"WHERE {joined}"), [*(params or []), *values]


_EARLIER_VERDICTS = """
SELECT c.exchange_id, e.method, e.path, e.query, c.endpoint, c.candidate, c.classification,
       c.reason,
       list(struct_pack(location := d.location, kind := d.kind, legacy := d.legacy_value,
                        candidate := d.candidate_value, noise := d.noise,
                        accepted := d.accepted) ORDER BY d.location, d.kind)
       FILTER (d.location IS NOT NULL),
       e.source, e.session, e.ts
FROM earlier_classifications c
JOIN exchanges e ON e.id = c.exchange_id
LEFT JOIN earlier_differences d USING (exchange_id, candidate)
GROUP BY ALL ORDER BY c.exchange_id, c.candidate
"""
_OUTCOMES = """
SELECT e.id, e.method, e.path || CASE WHEN e.query = '' THEN '' ELSE '?' || e.query END,
       list(struct_pack(target := r.target, status := r.status, error := r.error))
FROM exchanges e JOIN responses r ON r.exchange_id = e.id
GROUP BY ALL ORDER BY e.id
"""
_SNAPSHOT = """
COPY (
  SELECT e.id, e.ts, e.session, e.method, e.scheme, e.host, e.path, e.query,
         e.request_headers AS request_headers, e.request_body AS request_body,
         e.request_size AS request_size, e.request_sha256 AS request_sha256,
         e.request_truncated AS request_truncated, e.request_encoding AS request_encoding,
         r.status, r.latency_ms, r.error,
         r.headers AS response_headers, r.body AS response_body,
         r.body_size AS response_size, r.body_sha256 AS response_sha256,
         r.truncated AS response_truncated, r.encoding AS response_encoding,
         r.base_url AS response_base_url, r.sent_at AS response_sent_at
  FROM exchanges e
  LEFT JOIN responses r ON r.exchange_id = e.id AND r.target = '{target}'
  WHERE e.source IS DISTINCT FROM '{source}'
  ORDER BY e.ts, e.id
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
"""


class Store(OpenStore):
    """A store open for reading; close it (or use `with`) when done."""

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        segments: Path | None = None,
        *,
        among: Collection[str] | None = None,
        worker: bool = False,
    ) -> Store:
        """The store in the DuckDB file `path`, the segment folder `segments`, or both;
        `among`: only the segment files of those names (`segment_files` of another open);
        `worker`: read by a worker process (`OpenStore`)."""
        return cls(path, segments, among=among, worker=worker)

    @classmethod
    def open_existing(cls, path: Path | None, segments: Path | None) -> Store | None:
        """As `open`, for whichever of the two exists; None when neither does yet."""
        path = path if path is not None and path.exists() else None
        segments = segments if segments is not None and segments.is_dir() else None
        if path is None and segments is None:
            return None
        return cls(path, segments)

    def exchanges(
        self,
        *,
        only_new: bool = False,
        unread: bool = False,
        ids: Collection[str] | None = None,
        sessions: Collection[str] | None = None,
        within: tuple[str | None, str | None] | None = None,
        targets: Collection[str] | None = None,
        batch: int = 1000,
    ) -> Iterator[StoredExchange]:
        """Each exchange with at least one response, in id order. `only_new`: those no
        earlier analysis classified; `unread`: those the evidence it kept does not cover
        (`twinsight.store.kept`); `ids` and `sessions`: only those exchanges, and every
        exchange of those sessions; `within`: ids from the first (included) to the second
        (left out), None for no bound; `targets`: only those targets' answers (an exchange
        none of them answered is left out).

        Requests and responses are read as two sorted streams and merged here: grouping them
        in SQL would hold every body in one aggregate at once. A large store is read in runs
        of `READ_RUN` ids (each sorted alone), so what DuckDB holds for the sorts does not
        grow with the store."""
        if ids is not None or sessions is not None:
            # A few chosen exchanges: one run (`only_new` does not apply).
            chosen = [sorted(ids or ()), sorted(sessions or ())]
            where, params = _within(_CHOSEN, chosen, *(within or (None, None)))
            yield from self._merged(where, params, targets, batch)
            return
        base = picked(self._connection, only_new=only_new, unread=unread)
        low, high = within or (None, None)
        cuts = self._cuts(*_within(base, None, low, high))
        for run in zip([low, *cuts], [*cuts, high], strict=True):
            yield from self._merged(*_within(base, None, *run), targets, batch)
            # Read in id order, no block of this run is read again: what DuckDB caches of
            # them, and what its allocator kept of the sorts, would only grow run by run.
            self.release_memory()

    def _count(self, where: str, params: list[Any] | None) -> int:
        """How many exchanges `where` (with `{column}` unfilled) picks."""
        rows = self._rows(_over_picked(_COUNT, where), params=params)
        count: int = next(rows)[0]
        return count

    def _ids_at(self, where: str, params: list[Any] | None, ranks: list[int]) -> list[str]:
        """The ids at `ranks` (from 1, in id order) of the exchanges `where` picks."""
        if not ranks:
            return []
        query = _over_picked(_RANKED, where)
        return [row[0] for row in self._rows(query, params=[*(params or []), ranks])]

    def _cuts(self, where: str, params: list[Any] | None) -> list[str]:
        """The ids that start the second and later runs of `READ_RUN` exchanges of `where`."""
        total = self._count(where, params)
        return self._ids_at(where, params, list(range(READ_RUN + 1, total + 1, READ_RUN)))

    def _merged(
        self,
        where: str,
        params: list[Any] | None,
        targets: Collection[str] | None,
        batch: int,
    ) -> Iterator[StoredExchange]:
        """The exchanges of `where`, each with its answers (of `targets` only, if given)."""
        on_requests = where.format(column="e.id")
        on_answers = where.format(column="r.exchange_id")
        answer_params = params
        if targets is not None:
            # Fewer answers read, not fewer requests: the merge below drops the unanswered.
            chosen = "list_contains(?, r.target)"
            on_answers = f"{on_answers} AND {chosen}" if on_answers else f"WHERE {chosen}"
            answer_params = [*(params or []), sorted(targets)]
        requests = self._wide_rows(_REQUESTS.format(where=on_requests), batch, params)
        pending = self._wide_rows(_ANSWERS.format(where=on_answers), batch, answer_params)
        answer = next(pending, None)
        for request in requests:
            while answer is not None and answer[0] < request[0]:
                answer = next(pending, None)  # a response whose exchange was never written
            found = []
            while answer is not None and answer[0] == request[0]:
                found.append(StoredAnswer(*answer[1:]))
                answer = next(pending, None)
            if found:
                id_, method, path, query, headers, body, source, session, ts, cut = request
                yield StoredExchange(
                    id_, method, path, query, headers, body, found, source, session, ts, cut
                )

    def paths(self, *, unread: bool = False) -> Iterator[tuple[str, int]]:
        """(path, how many exchanges have it) over every exchange (`unread`: those the kept
        evidence does not cover), for learning endpoints before the real pass."""
        where = picked(self._connection, unread=unread).format(column="id")
        yield from self._rows(f"SELECT path, count(*) FROM exchanges {where} GROUP BY path", 10_000)

    def correlations(self) -> dict[str, frozenset[tuple[str, str]]]:
        """target -> every (legacy id, that target's id) pair a request was rewritten with."""
        query = """SELECT DISTINCT target, legacy_value, target_value FROM correlations
                   WHERE legacy_value IS NOT NULL AND target_value IS NOT NULL"""
        found: dict[str, set[tuple[str, str]]] = {}
        for target, legacy, other in self._rows(query, 10_000):
            found.setdefault(target, set()).add((legacy, other))
        return {target: frozenset(pairs) for target, pairs in found.items()}

    def targets(self) -> set[str]:
        """The targets that answered at least once."""
        return {row[0] for row in self._rows("SELECT DISTINCT target FROM responses")}

    def base_urls(self) -> dict[str, frozenset[str]]:
        """target -> every base URL its answers were recorded as reached at (none in stores
        written before responses recorded it)."""
        query = "SELECT DISTINCT target, base_url FROM responses WHERE base_url IS NOT NULL"
        found: dict[str, set[str]] = {}
        for target, base_url in self._rows(query):
            found.setdefault(target, set()).add(base_url)
        return {target: frozenset(urls) for target, urls in found.items()}

    def comparability(self) -> Comparability:
        """Refused replays with their recordings, replay notes, unmirrored writes: what
        analysis needs to say which exchanges it could not compare, and why."""
        return comparability(self._connection)

    def ids(self, *, source: str) -> frozenset[str]:
        """The ids of the exchanges stored from `source` (proxy, import, replay ...)."""
        query = "SELECT id FROM exchanges WHERE source = ?"
        return frozenset(row[0] for row in self._rows(query, params=[source]))

    def origins(self, *, replay_run: str) -> frozenset[str]:
        """The recorded exchanges replay run `replay_run` has replayed."""
        query = "SELECT origin FROM exchanges WHERE replay_run = ? AND origin IS NOT NULL"
        return frozenset(row[0] for row in self._rows(query, params=[replay_run]))

    def earlier_verdicts(self) -> Iterator[ExchangeJudged]:
        """What an earlier analysis decided, per exchange and candidate, in that order, told
        as if judged now. Only on a store an analysis has written to."""
        for row in self._rows(_EARLIER_VERDICTS):
            id_, method, path, query, endpoint, candidate, classification, reason = row[:8]
            differences, source, session, started_at = row[8:]
            found = tuple(
                {**d, "legacy": json_value(d["legacy"]), "candidate": json_value(d["candidate"])}
                for d in differences or ()
            )
            yield ExchangeJudged(
                id_,
                method,
                path,
                query,
                endpoint,
                candidate,
                classification,
                reason,
                found,
                source=source,
                session=session,
                started_at=started_at,
            )

    def outcomes(self) -> list[RequestOutcome]:
        """Every answered exchange in id order, with each target's status or error."""
        return [
            RequestOutcome(
                id_,
                method,
                request,
                {a["target"]: a["status"] for a in answers},
                {a["target"]: a["error"] for a in answers},
            )
            for id_, method, request, answers in self._rows(_OUTCOMES)
        ]

    def candidates(self) -> list[str]:
        """The candidates analysed (or, before any analysis, that answered), by name."""
        return candidates(self._connection, self._derived)

    def evidence(self, candidate: str, paths: Sequence[Path] = ()) -> StoredEvidence:
        """What the readiness verdict weighs about `candidate`: classification counts,
        answers and latencies per endpoint, clusters, capture counters, what was not
        compared; `paths` as for `info`."""
        return stored_evidence(self._connection, self._derived, candidate, list(paths))

    def info(self, *, endpoints: int = 20) -> StoreInfo:
        """Counts, extent and size on disk (the file and the segment folders read)."""
        return self._summary(endpoints)

    def snapshot(self, out: Path, *, target: str, leave_out_source: str) -> None:
        """Write the exchanges (but those from `leave_out_source`) with the answer of
        `target` to the Parquet file `out`, in recorded order."""
        self._connection.execute(
            _SNAPSHOT.format(
                target=_quoted(target), source=_quoted(leave_out_source), out=_quoted(str(out))
            )
        )


def json_value(text: str | None) -> Any:
    """A value the analysis tables hold as JSON text, decoded (None stays None)."""
    return None if text is None else orjson.loads(text)


def snapshot_rows(snapshot: Path, *, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """The rows of a file `Store.snapshot` wrote, in order, by column name."""
    for chunk in pq.ParquetFile(snapshot).iter_batches(batch_size=batch):
        yield from chunk.to_pylist()


def _quoted(text: str) -> str:
    """`text` inside a SQL string literal."""
    return text.replace("'", "''")
