"""A capture of a two-user service replayed faithfully: each user's own credentials from a
credentials file, causal order across sessions, and degraded runs that say so.

The admin creates a space and a user (carol) after a slow call; bob reads the space from
his own session, reads himself, and is refused a create; carol's first request needs her
account; one request carries a wrong password. Replayed to a
fresh legacy and candidate (the candidate's admin token is its own, its ids start at
100), every answer must have the recorded status.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import duckdb
import pytest

from tests.cli.run import twinsight as run_twinsight
from twinsight.examples.tasks.serve import start
from twinsight.records import Body, Exchange, Response
from twinsight.store import Redactor, new_id
from twinsight.store.ids import session_label
from twinsight.testing import T0, store_writer

from .multiuser import (
    ADMIN,
    BOB,
    BOB_BASIC,
    CANDIDATE_ADMIN,
    CAROL,
    WRONG_BASIC,
    make_service,
)

KEY = b"multiuser-test-redaction-key"
LEGACY_TOKENS = {ADMIN: "admin", BOB: "bob"}
CANDIDATE_TOKENS = {CANDIDATE_ADMIN: "admin", BOB: "bob"}
# (authorization, method, path, body): in recorded order
STEPS = (
    (f"Bearer {ADMIN}", "GET", "/slow", None),
    (f"Bearer {ADMIN}", "POST", "/spaces", b'{"name": "ops"}'),
    (f"Bearer {ADMIN}", "POST", "/users", b'{"name": "carol"}'),
    (f"Bearer {BOB}", "GET", "/spaces/1", None),
    (f"Bearer {BOB}", "GET", "/me", None),
    (f"Bearer {BOB}", "POST", "/spaces", b'{"name": "mine"}'),
    (f"Basic {BOB_BASIC}", "GET", "/me", None),
    (f"Basic {WRONG_BASIC}", "GET", "/me", None),
    (f"Bearer {CAROL}", "GET", "/me", None),
    (f"Bearer {ADMIN}", "GET", "/me", None),
)
RECORDED_STATUSES = [200, 201, 201, 200, 200, 403, 200, 401, 200, 200]
SPACE_READ, BOB_CREATE, CAROL_FIRST = 3, 5, 8  # steps the order tests look at
SECRETS = (ADMIN, BOB, BOB_BASIC, WRONG_BASIC, CANDIDATE_ADMIN, CAROL)


def marker(secret: str) -> str:
    """What the capture stored for `secret`."""
    return Redactor(key=KEY).marker(secret)


async def record(url: str, out: Path) -> None:
    """Send STEPS to the service at `url` and store them as a proxy would (redacted)."""
    exchanges = []
    async with aiohttp.ClientSession() as client:
        for index, (auth, method, path, body) in enumerate(STEPS):
            headers = {"Authorization": auth}
            if body:
                headers["Content-Type"] = "application/json"
            async with client.request(method, url + path, headers=headers, data=body) as got:
                data = await got.read()
                answer = Response(
                    "legacy", got.status, tuple(got.headers.items()), Body.of(data, 1 << 20)
                )
            exchanges.append(
                Exchange(
                    id=new_id(),
                    source="proxy",
                    method=method,
                    path=path,
                    host="spaces.example",
                    headers=tuple(headers.items()),
                    body=Body.of(body or b"", 1 << 20),
                    responses=(answer,),
                    session=auth,
                    ts=T0 + timedelta(seconds=index),
                )
            )
    writer = store_writer(out, redactor=Redactor(key=KEY))
    for item in exchanges:
        writer.submit(item)
    writer.close()


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("captured") / "captured.duckdb"

    async def capture() -> None:
        runner, port = await start(make_service(1, LEGACY_TOKENS))
        try:
            await record(f"http://127.0.0.1:{port}", out)
        finally:
            await runner.cleanup()

    asyncio.run(capture())
    return out


@pytest.fixture
async def fresh() -> AsyncIterator[dict[str, str]]:
    legacy, legacy_port = await start(make_service(1, LEGACY_TOKENS))
    candidate, candidate_port = await start(make_service(100, CANDIDATE_TOKENS))
    yield {
        "legacy": f"http://127.0.0.1:{legacy_port}",
        "candidate": f"http://127.0.0.1:{candidate_port}",
    }
    await legacy.cleanup()
    await candidate.cleanup()


def credentials_file(folder: Path) -> Path:
    """Every user's own value, each way the file can give one."""
    path = folder / "credentials.toml"
    mint = json.dumps([sys.executable, "-c", "import sys; print(sys.argv[1])", BOB_BASIC])
    path.write_text(
        f'[tokens."{marker(ADMIN)}"]\nvalue = "Bearer {ADMIN}"\n'
        f'[tokens."{marker(BOB)}"]\nenv = "BOB_TOKEN"\n'
        f'[tokens."{marker(BOB_BASIC)}"]\ncommand = {mint}\n'
        f'[tokens."{marker(WRONG_BASIC)[10:26]}"]\nvalue = "{WRONG_BASIC}"\n'
        f'[tokens."{marker(CAROL)}"]\nvalue = "{CAROL}"\n'
        f'[targets.candidate.tokens."{marker(ADMIN)}"]\nvalue = "{CANDIDATE_ADMIN}"\n'
    )
    return path


async def twinsight(*args: str) -> tuple[int, str, str]:
    # In a thread: the services it talks to run on this event loop.
    environment = {**os.environ, "BOB_TOKEN": BOB}
    done = await asyncio.to_thread(run_twinsight, *args, env=environment)
    return done.returncode, done.stdout, done.stderr


@dataclass(frozen=True)
class Replayed:
    """One replayed exchange: its recorded step, notes and each target's status."""

    step: int
    degraded: list[str] | None
    statuses: dict[str, int | None]


def replayed(captured: Path, out: Path) -> list[Replayed]:
    """The replayed exchanges of `out`, in recorded order."""
    with duckdb.connect(str(captured), read_only=True) as connection:
        order = [
            r[0] for r in connection.execute("SELECT id FROM exchanges ORDER BY ts").fetchall()
        ]
    with duckdb.connect(str(out), read_only=True) as connection:
        rows = connection.execute(
            "SELECT e.origin, e.replay_degraded, r.target, r.status FROM exchanges e "
            "JOIN responses r ON r.exchange_id = e.id WHERE e.source = 'replay'"
        ).fetchall()
    found: dict[str, Replayed] = {}
    for origin, notes, target, status in rows:
        item = found.setdefault(origin, Replayed(order.index(origin), notes, {}))
        item.statuses[target] = status
    return sorted(found.values(), key=lambda r: r.step)


def replay_args(captured: Path, out: Path, urls: dict[str, str], *more: str) -> list[str]:
    return [
        "replay", "--from", str(captured), "--store", str(out),
        "--legacy", urls["legacy"], "--candidate", urls["candidate"], *more,
    ]  # fmt: skip


async def test_with_credentials_every_answer_has_its_recorded_status_on_both_targets(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out" / "replayed.duckdb"
    out.parent.mkdir()
    credentials = credentials_file(tmp_path)
    code, printed, errors = await twinsight(
        *replay_args(captured, out, fresh, "--credentials", str(credentials))
    )
    assert code == 0, errors
    found = replayed(captured, out)
    assert [r.statuses for r in found] == [
        {"legacy": s, "candidate": s} for s in RECORDED_STATUSES
    ], printed
    assert all(r.degraded == [] for r in found)
    assert "degraded" not in printed
    assert "without a redacted header" not in printed
    assert "order: causal" in printed
    waited = [line.strip() for line in printed.splitlines() if "waited for session" in line]
    assert any("POST /spaces created /spaces/1 used by GET /spaces/1" in w for w in waited)
    carol = session_label(Redactor(key=KEY).fingerprint(f"Bearer {CAROL}"))
    assert f"session {carol} waited for session " in printed
    (carols,) = [w for w in waited if w.startswith(f"session {carol} ")]
    assert carols.endswith(
        "POST /users recorded before its first request GET /me (and 1 more of its creates)"
    )
    # No credential reaches anything the replay wrote, nor what it printed.
    written = [p for p in out.parent.rglob("*") if p.is_file()]
    assert written
    for secret in SECRETS:
        for file in written:
            assert secret.encode() not in file.read_bytes(), (secret, file)
        assert secret not in printed + errors


async def test_without_credentials_the_affected_exchanges_carry_degraded_notes(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "replayed.duckdb"
    code, printed, errors = await twinsight(*replay_args(captured, out, fresh))
    assert code == 0, errors
    found = replayed(captured, out)
    assert len(found) == len(STEPS)
    for item in found:
        auth = STEPS[item.step][0]
        token = marker(auth.partition(" ")[2])
        assert item.degraded == [f"no credential for {token} (authorization): header left out"]
    # Sent anonymously, every request is refused: the recorded statuses are gone.
    assert {r.statuses["legacy"] for r in found} == {401}
    assert f"{len(STEPS)} sent without a redacted header" in printed
    assert f"{len(STEPS)} degraded" in printed
    # Analysed, none of them passes as agreement, and the verdict waits for a faithful run.
    code, lines, errors = await twinsight("analyze", "--store", str(out), "--json", "-")
    assert code == 0, errors
    judged = [json.loads(line) for line in lines.splitlines()]
    assert {j["classification"] for j in judged} == {"not_comparable"}
    assert len(judged) == len(STEPS)
    code, _, errors = await twinsight("ready", "--store", str(out))
    assert code == 4, errors


async def test_a_header_override_is_noted_on_each_request_it_replaced(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "replayed.duckdb"
    args = replay_args(captured, out, fresh, "--header", f"Authorization: Bearer {ADMIN}")
    code, _, errors = await twinsight(*args)
    assert code == 0, errors
    found = replayed(captured, out)
    assert all(r.degraded == ["authorization from --header"] for r in found)
    # Everyone became the admin: bob's refused create now succeeds on the legacy.
    assert found[BOB_CREATE].statuses["legacy"] == 201


async def test_sessions_order_reads_the_space_before_it_exists_and_causal_order_does_not(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "sessions.duckdb"
    credentials = credentials_file(tmp_path)
    args = replay_args(captured, out, fresh, "--credentials", str(credentials))
    code, printed, errors = await twinsight(*args, "--order", "sessions")
    assert code == 0, errors
    found = replayed(captured, out)
    # Read before the create, and carol asked before she existed.
    assert found[SPACE_READ].statuses == {"legacy": 404, "candidate": 404}, printed
    assert found[CAROL_FIRST].statuses == {"legacy": 401, "candidate": 401}, printed
    assert "waited for session" not in printed


async def test_recorded_order_sends_one_at_a_time_and_keeps_every_status(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "recorded.duckdb"
    credentials = credentials_file(tmp_path)
    args = replay_args(captured, out, fresh, "--credentials", str(credentials))
    code, printed, errors = await twinsight(*args, "--order", "recorded")
    assert code == 0, errors
    assert [r.statuses["legacy"] for r in replayed(captured, out)] == RECORDED_STATUSES
    assert "order: recorded" in printed


async def test_segments_written_with_credentials_hold_none_of_them(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    segments = tmp_path / "segments"
    credentials = credentials_file(tmp_path)
    args = [
        "replay", "--from", str(captured), "--segments", str(segments),
        "--legacy", fresh["legacy"], "--candidate", fresh["candidate"],
        "--credentials", str(credentials),
    ]  # fmt: skip
    code, printed, errors = await twinsight(*args)
    assert code == 0, errors
    written = [p for p in segments.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written), written
    for secret in SECRETS:
        assert not [p for p in written if secret.encode() in p.read_bytes()], secret
        assert secret not in printed + errors


async def test_store_credentials_lists_each_token_and_its_template_names_them_all(
    captured: Path, tmp_path: Path
) -> None:
    code, printed, errors = await twinsight("store", "credentials", "--store", str(captured))
    assert code == 0, errors
    assert "5 redacted token(s)" in printed
    block = printed.split(marker(BOB))[1].splitlines()
    assert block[0].strip() == "in authorization"
    assert block[1].strip().startswith("3 request(s), 1 session(s): s-")
    assert block[2].strip().startswith("first: GET /spaces/1 at 2026-11-20T10:00:03")
    code, template, errors = await twinsight(
        "store", "credentials", "--store", str(captured), "--template"
    )
    assert code == 0, errors
    path = tmp_path / "credentials.toml"
    path.write_text(template)
    assert {marker(s) for s in (ADMIN, BOB, BOB_BASIC, WRONG_BASIC, CAROL)} == set(
        tomllib.loads(template)["tokens"]
    )
    # Left unfilled, the file is refused in one line naming the first entry.
    code, _, errors = await twinsight(
        "replay", "--from", str(captured), "--store", str(tmp_path / "x.duckdb"),
        "--legacy", "http://127.0.0.1:9", "--credentials", str(path),
    )  # fmt: skip
    assert code == 2
    assert errors.strip().endswith(f'tokens."{marker(ADMIN)}".value: expected a non-empty string')


async def test_credentials_for_one_target_only_note_the_other_by_name(
    captured: Path, fresh: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "legacy-only.toml"
    path.write_text(f'[targets.legacy.tokens."{marker(BOB)}"]\nvalue = "{BOB}"\n')
    out = tmp_path / "replayed.duckdb"
    code, _, errors = await twinsight(
        *replay_args(captured, out, fresh, "--credentials", str(path))
    )
    assert code == 0, errors
    bobs = [r for r in replayed(captured, out) if STEPS[r.step][0] == f"Bearer {BOB}"]
    assert [r.statuses for r in bobs] == [
        {"legacy": 404, "candidate": 401},  # the admin's create went out without credentials
        {"legacy": 200, "candidate": 401},
        {"legacy": 403, "candidate": 401},
    ]
    note = f"no credential for {marker(BOB)} (authorization): header left out (target candidate)"
    assert all(r.degraded == [note] for r in bobs)
