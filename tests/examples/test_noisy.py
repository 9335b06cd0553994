"""The noisy variant (`--noisy`): per-answer noise on both sides and the planted rows 10-12."""

import asyncio
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest

from tests.examples.conftest import FACTORIES, Client
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.examples.tasks.traffic import NOISY_SESSION, Outcome, run_session

ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BCRYPT = re.compile(r"^\$2b\$12\$[./A-Za-z0-9]{53}$")
NOISE_FIELDS = frozenset({"updated_at", "token_hash", "request_id"})
OWN_VALUES = frozenset({"id", "created_at", "completed_at"})  # rows 1-2: each side's own
NOISE_HEADERS = ("Etag", "Last-Modified")


async def serve_noisy(name: str, **options: Any) -> tuple[Any, str]:
    factory = make_legacy if name == "legacy" else make_candidate
    runner, port = await start(factory(noisy=True, **options))
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture(params=["legacy", "candidate"])
async def noisy(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    """Each noisy service on an ephemeral port."""
    runner, url = await serve_noisy(request.param)
    async with aiohttp.ClientSession(url) as session:
        yield Client(session, url, make_token("alice"))
    await runner.cleanup()


async def noisy_session(name: str, **options: Any) -> list[Outcome]:
    runner, url = await serve_noisy(name, **options)
    try:
        return await run_session(url, make_token("alice"), NOISY_SESSION)
    finally:
        await runner.cleanup()


def meaning(body: Any) -> Any:
    """The body without noise fields and each side's own ids and times, tags as a set."""
    if isinstance(body, dict):
        return {
            k: sorted(v) if k == "tags" else meaning(v)
            for k, v in body.items()
            if k not in NOISE_FIELDS | OWN_VALUES
        }
    if isinstance(body, list):
        return [meaning(item) for item in body]
    return body


def noise_shapes(body: Any) -> Any:
    """The types of the noise fields, wherever they are."""
    if isinstance(body, dict):
        own = {k: type(v).__name__ for k, v in body.items() if k in NOISE_FIELDS}
        nested = {k: noise_shapes(v) for k, v in body.items() if isinstance(v, list | dict)}
        return {**own, **nested}
    if isinstance(body, list):
        return [noise_shapes(item) for item in body]
    return None


def headers_sent(outcome: Outcome) -> set[str]:
    return {name for name in NOISE_HEADERS if name in outcome.headers}


async def test_a_noisy_task_answer_carries_every_noise_field(noisy: Client) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    body = {"title": "Tagged", "tags": ["b", "a", "b"]}
    async with noisy.session.post(
        "/tasks", json=body, headers={"Authorization": f"Bearer {noisy.token}"}
    ) as answer:
        raw, headers = await answer.read(), answer.headers
        task = await answer.json()
    assert ISO_MILLIS.match(task["updated_at"])
    stamped = datetime.fromisoformat(task["updated_at"].replace("Z", "+00:00"))
    assert before <= stamped <= datetime.now(UTC)
    assert BCRYPT.match(task["token_hash"])
    assert uuid.UUID(task["request_id"]).version == 4
    assert sorted(task["tags"]) == ["a", "b"]
    assert headers["ETag"] == f'"{hashlib.blake2b(raw, digest_size=16).hexdigest()}"'
    modified = parsedate_to_datetime(headers["Last-Modified"])
    assert before <= modified <= datetime.now(UTC)
    listed = (await noisy.call("GET", "/tasks"))[1]
    assert BCRYPT.match(listed["tasks"][0]["token_hash"])
    assert uuid.UUID(listed["request_id"]).version == 4


async def test_error_answers_carry_a_request_id_and_no_validators(noisy: Client) -> None:
    status, body, headers = await noisy.call("GET", "/tasks", auth=False)
    assert status == 401
    assert body["error"] == "Authentication required"
    assert uuid.UUID(body["request_id"]).version == 4
    assert "ETag" not in headers
    assert "Last-Modified" not in headers


async def test_default_services_carry_no_noise() -> None:
    for factory in FACTORIES.values():
        runner, port = await start(factory())
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(url) as session:
            client = Client(session, url, make_token("alice"))
            status, task, headers = await client.call("POST", "/tasks", {"title": "t", "tags": []})
        await runner.cleanup()
        assert status == 201
        assert not (NOISE_FIELDS | {"tags"}) & set(task)
        assert "ETag" not in headers
        assert "Last-Modified" not in headers


async def test_two_identical_legacy_reads_differ_only_in_noise() -> None:
    runner, url = await serve_noisy("legacy")
    async with aiohttp.ClientSession(url) as session:
        client = Client(session, url, make_token("alice"))
        task = await client.create("Read twice", tags=["x", "y", "z"])
        first = await client.call("GET", f"/tasks/{task['id']}")
        await asyncio.sleep(0.005)
        second = await client.call("GET", f"/tasks/{task['id']}")
        orders = {tuple((await client.call("GET", f"/tasks/{task['id']}"))[1]["tags"])}
        for _ in range(30):
            orders.add(tuple((await client.call("GET", f"/tasks/{task['id']}"))[1]["tags"]))
    await runner.cleanup()
    (_, one, one_headers), (_, two, two_headers) = first, second
    assert {k: v for k, v in one.items() if k not in NOISE_FIELDS | {"tags"}} == {
        k: v for k, v in two.items() if k not in NOISE_FIELDS | {"tags"}
    }
    assert sorted(one["tags"]) == sorted(two["tags"]) == ["x", "y", "z"]
    assert all(one[name] != two[name] for name in NOISE_FIELDS)
    assert one_headers["ETag"] != two_headers["ETag"]
    volatile = {"etag", "last-modified", "date", "x-request-id"}
    assert {k: v for k, v in one_headers.items() if k.lower() not in volatile} == {
        k: v for k, v in two_headers.items() if k.lower() not in volatile
    }
    assert len(orders) > 1, "a set is served in random order"


@pytest.fixture
async def sessions(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Outcome]]:
    """The noisy session played against each noisy service, the candidate's planted rows on."""
    monkeypatch.setenv("TWINSIGHT_EXAMPLE_FAIL_EVERY", "10")
    return {name: await noisy_session(name) for name in ("legacy", "candidate")}


def pairs(sessions: dict[str, list[Outcome]], row: str) -> list[tuple[Outcome, Outcome]]:
    both = zip(sessions["legacy"], sessions["candidate"], strict=True)
    return [(left, right) for left, right in both if left.step.note.startswith(row)]


async def test_agreeing_steps_agree_in_meaning_and_in_noise_shapes(
    sessions: dict[str, list[Outcome]],
) -> None:
    agreeing = 0
    for left, right in zip(sessions["legacy"], sessions["candidate"], strict=True):
        if left.step.expect not in ("noise", "match"):
            continue
        agreeing += 1
        assert (left.status, meaning(left.body)) == (right.status, meaning(right.body)), left.step
        assert noise_shapes(left.body) == noise_shapes(right.body), left.step
        assert headers_sent(left) == headers_sent(right), left.step
    assert agreeing == 17


async def test_row_10_patch_answers_updated_at_as_epoch_milliseconds(
    sessions: dict[str, list[Outcome]],
) -> None:
    found = pairs(sessions, "row 10")
    assert [left.step.method for left, _ in found] == ["PATCH", "PATCH"]
    for left, right in found:
        assert (left.status, right.status) == (200, 200)
        assert ISO_MILLIS.match(left.body["updated_at"])
        assert isinstance(right.body["updated_at"], int)
        moment = datetime.fromtimestamp(right.body["updated_at"] / 1000, UTC)
        assert abs(moment - datetime.now(UTC)) < timedelta(minutes=5)
        assert meaning(left.body) == meaning(right.body)


async def test_row_11_complete_answers_without_last_modified(
    sessions: dict[str, list[Outcome]],
) -> None:
    [(left, right)] = pairs(sessions, "row 11")
    assert (left.status, right.status) == (200, 200)
    assert meaning(left.body) == meaning(right.body)
    assert noise_shapes(left.body) == noise_shapes(right.body)
    assert headers_sent(left) == {"Etag", "Last-Modified"}
    assert headers_sent(right) == {"Etag"}


async def test_row_12_the_candidate_lowercases_tags(sessions: dict[str, list[Outcome]]) -> None:
    [(left, right)] = pairs(sessions, "row 12")
    assert sorted(left.body["tags"]) == ["Work", "urgent"]
    assert sorted(right.body["tags"]) == ["urgent", "work"]
    assert {**meaning(left.body), "tags": None} == {**meaning(right.body), "tags": None}


async def test_the_earlier_divergences_stay_in_the_noisy_session(
    sessions: dict[str, list[Outcome]],
) -> None:
    statuses: dict[str, set[tuple[int, int]]] = {}
    for left, right in zip(sessions["legacy"], sessions["candidate"], strict=True):
        statuses.setdefault(left.step.expect, set()).add((left.status, right.status))
    assert statuses["explained"] == {(200, 200), (400, 201)}
    assert statuses["candidate_error"] == {(200, 503)}
    assert statuses["spec_conflict"] == {(409, 409)}
    assert statuses["regression"] == {(200, 200)}
    assert statuses["unexplained"] == {(200, 200), (201, 201), (404, 204)}


async def test_faithful_noisy_candidate_leaves_out_rows_10_to_12() -> None:
    legacy = await noisy_session("legacy")
    candidate = await noisy_session("candidate", faithful=True)
    for left, right in zip(legacy, candidate, strict=True):
        if left.step.note.startswith("row"):
            assert meaning(left.body) == meaning(right.body), left.step
            assert noise_shapes(left.body) == noise_shapes(right.body), left.step
            assert headers_sent(left) == headers_sent(right), left.step


def test_divergences_file_documents_the_noisy_session() -> None:
    text = (files() / "DIVERGENCES.md").read_text(encoding="utf-8")
    assert "--noisy" in text
    for classification in {step.expect for step in NOISY_SESSION}:
        assert f"`{classification}`" in text
    for row in ("| 10 |", "| 11 |", "| 12 |"):
        assert row in text
    steps: dict[str, list[int]] = {}
    for number, step in enumerate(NOISY_SESSION, start=1):
        steps.setdefault(step.expect, []).append(number)
    assert steps["unexplained"] == [4, 6, 10, 13, 17]
    assert (steps["explained"], steps["regression"], steps["spec_conflict"]) == ([1, 7], [11], [14])
    assert steps["candidate_error"] == [27]
    assert "match" not in steps  # every answer carries its own X-Request-Id (row 3)
    assert "steps 4,\n6, 10, 13 and 17 are `unexplained`" in text


@pytest.mark.parametrize("service", ["legacy", "candidate"])
def test_the_noisy_flag_serves_noisy_answers(service: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "twinsight", "example", service, "--noisy", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        asked = urllib.request.Request(
            f"{url}/tasks",
            data=json.dumps({"title": "t", "tags": ["a"]}).encode(),
            headers={"Authorization": f"Bearer {make_token()}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(asked, timeout=10) as answer:
            task = json.loads(answer.read())
            assert answer.headers["ETag"]
        assert ISO_MILLIS.match(task["updated_at"])
        assert task["tags"] == ["a"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()
