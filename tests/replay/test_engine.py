"""The replayer against real servers: pacing, session order, headers, filters, resumes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from yarl import URL

from twinsight.events import ReplaySummary
from twinsight.records import Body, Exchange
from twinsight.replay.engine import Replayer, ReplayOptions
from twinsight.replay.outgoing import REPLAY_HEADER
from twinsight.replay.pacing import Pacing
from twinsight.replay.selection import RequestFilter
from twinsight.report.terminal import replay_lines
from twinsight.store import DuckDBSink, Redactor, Store, StoreWriter, open_store
from twinsight.testing import T0, recorded, store_writer
from twinsight.traffic import Target


@dataclass
class Seen:
    """What one server received: (arrival time, session, step, headers), and the most at once."""

    calls: list[tuple[float, str, int, dict[str, str]]] = field(default_factory=list)
    busy: dict[str, int] = field(default_factory=dict)
    most: int = 0
    most_per_session: int = 0


def server(seen: Seen, delay: float = 0.02) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        session, step = request.query.get("s", ""), int(request.query.get("i", "0"))
        seen.calls.append((time.monotonic(), session, step, dict(request.headers)))
        seen.busy[session] = seen.busy.get(session, 0) + 1
        seen.most = max(seen.most, sum(seen.busy.values()))
        seen.most_per_session = max(seen.most_per_session, seen.busy[session])
        await asyncio.sleep(delay)
        seen.busy[session] -= 1
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@pytest.fixture
async def servers() -> AsyncIterator[tuple[list[Target], Seen, Seen]]:
    legacy_seen, candidate_seen = Seen(), Seen()
    runners, targets = [], []
    for name, seen in (("legacy", legacy_seen), ("candidate", candidate_seen)):
        runner = web.AppRunner(server(seen))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        target = Target(name, URL(f"http://127.0.0.1:{port}"), 5.0)
        await target.open()
        runners.append(runner)
        targets.append(target)
    yield targets, legacy_seen, candidate_seen
    for target in targets:
        await target.close()
    for runner in runners:
        await runner.cleanup()


async def replay(
    targets: list[Target],
    exchanges: list[Exchange],
    store: Path,
    *,
    accepts: Callable[[Exchange], bool] = lambda e: True,
    done: frozenset[str] = frozenset(),
    **options: object,
) -> ReplaySummary:
    writer = store_writer(store, flush_interval=0.05)
    try:
        replayer = Replayer(
            targets,
            writer,
            ReplayOptions(run="test-run", **options),  # type: ignore[arg-type]
            done=done,
            accepts=accepts,
        )
        return await replayer.run(exchanges)
    finally:
        writer.close()


async def test_requests_of_a_session_go_one_after_another_and_sessions_run_side_by_side(
    servers: tuple[list[Target], Seen, Seen], tmp_path: Path
) -> None:
    targets, legacy, candidate = servers
    exchanges = [recorded(s, i) for i in range(6) for s in ("a", "b", "c")]
    summary = await replay(targets, exchanges, tmp_path / "s.duckdb", concurrency=8)

    assert summary.sent == 18
    assert summary.sessions == 3
    for seen in (legacy, candidate):
        assert seen.most_per_session == 1  # never two requests of one session at once
        assert seen.most >= 2  # sessions overlapped
        for session in "abc":
            steps = [step for _, s, step, _ in sorted(seen.calls) if s == session]
            assert steps == list(range(6))
    rows = (
        open_store(tmp_path / "s.duckdb")
        .execute(
            "SELECT count(*), count(DISTINCT origin), min(source), min(replay_run) FROM exchanges"
        )
        .fetchone()
    )
    assert rows == (18, 18, "replay", "test-run")


async def test_concurrency_bounds_requests_without_a_session(
    servers: tuple[list[Target], Seen, Seen], tmp_path: Path
) -> None:
    targets, legacy, _ = servers
    exchanges = [recorded(None, i) for i in range(12)]
    await replay(targets, exchanges, tmp_path / "s.duckdb", concurrency=3)
    assert 2 <= legacy.most <= 3


@pytest.mark.parametrize(
    ("pacing", "least", "most"),
    [
        (Pacing("speed", 2.0), 0.35, 2.0),  # recorded over 0.8 s, at twice the speed: 0.4 s
        (Pacing("rate", 10.0), 0.35, 2.0),  # 5 requests at 10/s: the 5th at 0.4 s
        (Pacing(), 0.0, 0.3),
    ],
)
async def test_pacing_spreads_requests_as_asked(
    servers: tuple[list[Target], Seen, Seen],
    tmp_path: Path,
    pacing: Pacing,
    least: float,
    most: float,
) -> None:
    targets, legacy, _ = servers
    exchanges = [recorded(None, i, at=0.2 * i) for i in range(5)]
    await replay(targets, exchanges, tmp_path / "s.duckdb", pacing=pacing)
    arrivals = sorted(t for t, *_ in legacy.calls)
    spread = arrivals[-1] - arrivals[0]
    assert least <= spread <= most


def test_pacing_is_a_pure_schedule() -> None:
    later = T0 + timedelta(seconds=3)
    assert Pacing("speed", 2).due(7, later, T0) == 1.5
    assert Pacing("speed", 0.5).due(7, later, T0) == 6.0
    assert Pacing("rate", 4).due(7, later, T0) == 1.75
    assert Pacing().due(7, later, T0) == 0.0
    assert Pacing("speed", 1).due(0, T0 - timedelta(seconds=1), T0) == 0.0  # out of order
    with pytest.raises(ValueError, match="--rate must be above 0"):
        Pacing("rate", 0)


async def test_headers_are_overridden_per_target_and_redacted_ones_left_out(
    servers: tuple[list[Target], Seen, Seen], tmp_path: Path
) -> None:
    targets, legacy, candidate = servers
    headers = (
        ("Authorization", "Bearer <redacted:0123456789abcdef>"),
        ("Cookie", "<redacted:0123456789abcdef>"),
        ("Accept", "application/json"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "1"),
        ("Host", "recorded.example"),
    )
    summary = await replay(
        targets,
        [recorded(None, 0, headers=headers), recorded(None, 1)],
        tmp_path / "s.duckdb",
        headers={
            "*": [("Authorization", "Bearer legacy-token")],
            "candidate": [("Authorization", "Bearer candidate-token")],
        },
    )
    sent_legacy = next(h for _, _, step, h in legacy.calls if step == 0)
    sent_candidate = next(h for _, _, step, h in candidate.calls if step == 0)
    assert sent_legacy["Authorization"] == "Bearer legacy-token"
    assert sent_candidate["Authorization"] == "Bearer candidate-token"
    for sent in (sent_legacy, sent_candidate):
        assert "Cookie" not in sent  # a redacted marker is never sent
        assert "X-Hop" not in sent  # named by Connection: hop-by-hop
        assert sent["Host"].startswith("127.0.0.1:")
        assert sent["Accept"] == "application/json"
        assert sent[REPLAY_HEADER] == "test-run"
    anonymous = next(h for _, _, step, h in candidate.calls if step == 1)
    assert "Authorization" not in anonymous  # an override replaces, never adds
    assert summary.redacted_headers == 1


async def test_filter_done_and_cut_bodies_are_counted_not_sent(
    servers: tuple[list[Target], Seen, Seen], tmp_path: Path
) -> None:
    targets, legacy, _ = servers
    cut = Exchange(
        id="cut", source="import", method="POST", path="/work", body=Body(b"x", 10, "", True)
    )
    exchanges = [recorded(None, i) for i in range(6)] + [cut]
    keep = RequestFilter('request.query.i != "3"')
    summary = await replay(
        targets,
        exchanges,
        tmp_path / "s.duckdb",
        accepts=keep.accepts,
        done=frozenset({"rec-None-0", "rec-None-1"}),
    )
    assert summary.sent == 3
    assert summary.left_out == {"already_replayed": 2, "filtered_out": 1, "body_cut": 1}
    assert sorted(step for _, _, step, _ in legacy.calls) == [2, 4, 5]
    assert "1 not sent: body cut at capture (raise --max-body there)" in "\n".join(
        replay_lines(summary)
    )


async def test_stopping_lets_requests_in_flight_finish_and_stores_them(
    servers: tuple[list[Target], Seen, Seen], tmp_path: Path
) -> None:
    targets, legacy, _ = servers
    store = tmp_path / "s.duckdb"
    writer = StoreWriter(DuckDBSink(store), redactor=Redactor(), flush_interval=0.05).start()
    replayer = Replayer(targets, writer, ReplayOptions(run="r", pacing=Pacing("rate", 20)))
    asyncio.get_running_loop().call_later(0.15, replayer.stop)
    summary = await replayer.run(recorded(None, i) for i in range(100))
    writer.close()
    assert summary.stopped
    assert 1 <= summary.sent < 100
    assert summary.sent == len(legacy.calls)
    stored = open_store(store).execute("SELECT count(*) FROM exchanges").fetchone()
    assert stored == (summary.sent,)
    assert any("run again with --run-id to resume" in line for line in replay_lines(summary))


def test_a_filter_that_does_not_compile_is_a_one_line_error() -> None:
    from twinsight.errors import UserError

    with pytest.raises(UserError, match=r"--filter: .*column"):
        RequestFilter("request.method ==")
    with pytest.raises(UserError, match=r"--filter: unknown variable 'response'"):
        RequestFilter("response.status == 200")
    assert RequestFilter('request.body.title == "a"').accepts(
        Exchange(
            id="x",
            source="import",
            method="POST",
            path="/",
            body=Body.of(orjson.dumps({"title": "a"}), 99),
        )
    )


async def test_an_unexpected_failure_calling_a_target_is_stored_as_an_error(
    servers: tuple[list[Target], Seen, Seen], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets, _, _ = servers

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(targets[1], "call", broken)
    summary = await replay(targets, [recorded(None, i) for i in range(3)], tmp_path / "s.duckdb")
    assert summary.sent == 3
    assert summary.errors == {("candidate", "protocol"): 3}
    assert summary.answered == {"legacy": 3}


async def test_a_replay_records_where_each_target_was_reached(
    servers: tuple[list[Target], Seen, Seen], tmp_path: Path
) -> None:
    targets, _, _ = servers
    await replay(targets, [recorded(None, i) for i in range(3)], tmp_path / "s.duckdb")
    with Store.open(tmp_path / "s.duckdb") as store:
        assert store.base_urls() == {t.name: frozenset({str(t.url)}) for t in targets}
