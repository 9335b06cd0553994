"""A captured session of the example services, replayed to fresh services with `twinsight replay`.

The legacy hands out integer ids, the candidate uuids. With id correlation the
fresh candidate ends in the legacy's logical state and the analysis classifies
every replayed step as the captured one was; without it, the candidate answers
404 to every request that names a task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.cli.run import twinsight as run_twinsight
from twinsight.analysis.service import analyze_store
from twinsight.config import Config, load_config
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.examples.tasks.traffic import LONG_UNICODE_TITLE, SESSION
from twinsight.spec import load_spec
from twinsight.store import Store, open_store

TOKEN = make_token("replayer")


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("captured") / "captured.duckdb"
    asyncio.run(capture_example_session(store))
    return store


@pytest.fixture
async def fresh() -> AsyncIterator[dict[str, str]]:
    legacy, legacy_port = await start(make_legacy())
    candidate, candidate_port = await start(make_candidate())
    yield {
        "legacy": f"http://127.0.0.1:{legacy_port}",
        "candidate": f"http://127.0.0.1:{candidate_port}",
    }
    await legacy.cleanup()
    await candidate.cleanup()


async def twinsight(*args: str) -> tuple[int, str, str]:
    # In a thread: the services it talks to run on this event loop.
    done = await asyncio.to_thread(run_twinsight, *args)
    return done.returncode, done.stdout, done.stderr


async def tasks_of(url: str) -> list[tuple[Any, ...]]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as client, client.get(f"{url}/tasks") as got:
        listed = await got.json()
    return sorted((t["title"], t["status"], t.get("description")) for t in listed["tasks"])


def replay_args(captured: Path, out: Path, urls: dict[str, str], *more: str) -> list[str]:
    return [
        "replay",
        "--from",
        str(captured),
        "--store",
        str(out),
        "--legacy",
        urls["legacy"],
        "--candidate",
        urls["candidate"],
        # The store keeps only a keyed hash of the captured token: supply a working one.
        "--header",
        f"Authorization: Bearer {TOKEN}",
        *more,
    ]


async def test_a_correlated_replay_leaves_the_candidate_in_the_legacys_state(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "replayed.duckdb"
    code, printed, errors = await twinsight(*replay_args(captured, out, fresh, "--run-id", "r1"))
    assert code == 0, errors
    assert f"sent {len(SESSION)}" in printed
    assert "with ids rewritten for a target" in printed

    legacy_tasks = await tasks_of(fresh["legacy"])
    assert legacy_tasks  # the session created tasks
    # The one intended difference (DIVERGENCES.md): only the candidate accepts a title of
    # 200 characters that take 400 bytes.
    intended = (LONG_UNICODE_TITLE, "pending", None)
    assert await tasks_of(fresh["candidate"]) == sorted([*legacy_tasks, intended])

    config = Config.model_validate(
        {"targets": fresh, "normalize": load_config(files() / "twinsight.toml").normalize}
    )
    analyze_store(out, None, config=config, spec=load_spec(files() / "spec.yaml"))
    with Store.open(out) as stored:
        verdicts = {v.id: v.classification for v in stored.earlier_verdicts()}
    rows = open_store(out).execute("SELECT id FROM exchanges ORDER BY origin").fetchall()
    got = [verdicts[row[0]] for row in rows]
    assert got == [step.expect for step in SESSION]

    pairs = (
        open_store(out)
        .execute(
            "SELECT count(*), count(DISTINCT legacy_value) FROM correlations "
            "WHERE target = 'candidate'"
        )
        .fetchone()
    )
    assert pairs is not None
    assert pairs[0] > 0  # the mapping is stored with each rewritten exchange

    # The same run again: everything is already replayed, nothing is sent twice.
    code, printed, errors = await twinsight(*replay_args(captured, out, fresh, "--run-id", "r1"))
    assert code == 0, errors
    assert "sent 0" in printed
    assert f"{len(SESSION)} already replayed in this run" in printed


async def test_without_correlation_the_candidate_answers_404_for_the_legacys_ids(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "uncorrelated.duckdb"
    code, _, errors = await twinsight(*replay_args(captured, out, fresh, "--no-correlate"))
    assert code == 0, errors
    statuses = (
        open_store(out)
        .execute(
            "SELECT e.method, e.path, r.status FROM exchanges e JOIN responses r "
            "ON r.exchange_id = e.id AND r.target = 'candidate' ORDER BY e.origin"
        )
        .fetchall()
    )
    # The candidate's DELETE answers 204 whether or not the task exists (DIVERGENCES.md).
    naming_a_task = [s for s in statuses if s[1].startswith("/tasks/") and s[0] != "DELETE"]
    assert len(naming_a_task) == sum(
        1 for step in SESSION if step.path.startswith("/tasks/{") and step.method != "DELETE"
    )
    # The last is the candidate's 10th read of one path, which it fails with 503 regardless.
    assert [status for _, _, status in naming_a_task] == [404] * (len(naming_a_task) - 1) + [503]
    assert await tasks_of(fresh["candidate"]) != await tasks_of(fresh["legacy"])


async def test_a_store_is_replayed_into_itself_and_replays_are_never_replayed(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    store = tmp_path / "both.duckdb"
    store.write_bytes(captured.read_bytes())
    for run in ("first", "second"):
        code, printed, errors = await twinsight(
            "replay", "--store", str(store), "--legacy", fresh["legacy"],
            "--candidate", fresh["candidate"], "--run-id", run,
        )  # fmt: skip
        assert code == 0, errors
        assert f"sent {len(SESSION)} in" in printed
    by_source = (
        open_store(store)
        .execute("SELECT source, replay_run, count(*) FROM exchanges GROUP BY ALL ORDER BY ALL")
        .fetchall()
    )
    assert by_source == [
        ("proxy", None, len(SESSION)),
        ("replay", "first", len(SESSION)),
        ("replay", "second", len(SESSION)),
    ]


def test_another_store_is_imported_with_its_legacy_answers(captured: Path, tmp_path: Path) -> None:
    from tests.cli.run import twinsight as twinsight_sync

    out = tmp_path / "imported.duckdb"
    result = twinsight_sync("import", str(captured), "--store", str(out))
    assert result.returncode == 0, result.stderr
    assert f"read {len(SESSION)}, skipped 0" in result.stdout
    rows = (
        open_store(out)
        .execute(
            "SELECT DISTINCT e.source, r.target FROM exchanges e "
            "JOIN responses r ON r.exchange_id = e.id"
        )
        .fetchall()
    )
    assert rows == [("import", "legacy")]


async def test_a_segment_folder_is_imported_into_and_replayed_from(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "segments"
    code, printed, errors = await twinsight("import", str(captured), "--segments", str(folder))
    assert code == 0, errors
    assert f"stored {len(SESSION)}" in printed
    out = tmp_path / "replayed.duckdb"
    code, printed, errors = await twinsight(
        *replay_args(folder, out, fresh), "--sessions-by", "header:authorization"
    )
    assert code == 0, errors
    assert f"sent {len(SESSION)} in" in printed
    assert "1 session(s)" in printed  # the token's; requests without one go on their own
    assert "with ids rewritten for a target" in printed


async def test_workers_split_sessions_and_the_store_gets_every_exchange(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "workers.duckdb"
    args = replay_args(captured, out, fresh, "--workers", "2", "--run-id", "w")
    code, printed, errors = await twinsight(*args)
    assert code == 0, errors
    assert f"sent {len(SESSION)} in" in printed
    assert "2 workers" in printed
    legacy_tasks = await tasks_of(fresh["legacy"])
    intended = (LONG_UNICODE_TITLE, "pending", None)
    assert await tasks_of(fresh["candidate"]) == sorted([*legacy_tasks, intended])
    stored = (
        open_store(out)
        .execute("SELECT count(*), count(DISTINCT origin), min(replay_run) FROM exchanges")
        .fetchone()
    )
    assert stored == (len(SESSION), len(SESSION), "w")
    # Resuming the run with workers skips what any worker replayed.
    code, printed, errors = await twinsight(*args)
    assert code == 0, errors
    assert f"{len(SESSION)} already replayed in this run" in printed
