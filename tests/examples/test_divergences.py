"""Each divergence DIVERGENCES.md lists, pinned: the ground truth later stages test against."""

import uuid

import pytest

from tests.examples.conftest import Client
from twinsight.examples.tasks import files
from twinsight.examples.tasks.traffic import LONG_UNICODE_TITLE, SESSION, run_session


async def test_noise_ids_differ_in_scheme(both: dict[str, Client]) -> None:
    legacy, candidate = await both["legacy"].create(), await both["candidate"].create()
    assert isinstance(legacy["id"], int)
    assert uuid.UUID(candidate["id"]).version == 4
    assert {k: v for k, v in legacy.items() if k not in ("id", "created_at")} == {
        k: v for k, v in candidate.items() if k not in ("id", "created_at")
    }


async def test_accepted_health_reports_a_version(both: dict[str, Client]) -> None:
    legacy = await both["legacy"].call("GET", "/health", auth=False)
    candidate = await both["candidate"].call("GET", "/health", auth=False)
    assert legacy[1] == {"status": "ok"}
    assert candidate[1] == {"status": "ok", "version": "2.0.0"}


async def test_legacy_bug_counts_title_bytes_not_characters(both: dict[str, Client]) -> None:
    body = {"title": LONG_UNICODE_TITLE}
    assert len(LONG_UNICODE_TITLE) <= 255 < len(LONG_UNICODE_TITLE.encode())
    assert (await both["legacy"].call("POST", "/tasks", body))[:2] == (
        400,
        {"error": "Title too long (max 255)"},
    )
    status, task, _ = await both["candidate"].call("POST", "/tasks", body)
    assert (status, task["title"]) == (201, LONG_UNICODE_TITLE)


async def test_regression_pending_filter_lists_in_progress_tasks(both: dict[str, Client]) -> None:
    listed = {}
    for name, client in both.items():
        task = await client.create("Started")
        await client.call("PATCH", f"/tasks/{task['id']}", {"status": "in_progress"})
        await client.create("Waiting")
        listed[name] = [
            t["title"] for t in (await client.call("GET", "/tasks?status=pending"))[1]["tasks"]
        ]
    assert listed == {"legacy": ["Waiting"], "candidate": ["Started", "Waiting"]}


async def test_unexplained_deleting_a_missing_task(both: dict[str, Client]) -> None:
    statuses = {}
    for name, client in both.items():
        task = await client.create()
        await client.call("DELETE", f"/tasks/{task['id']}")
        statuses[name] = (await client.call("DELETE", f"/tasks/{task['id']}"))[0]
    assert statuses == {"legacy": 404, "candidate": 204}


async def test_spec_conflict_both_word_the_cancelled_error_alike(both: dict[str, Client]) -> None:
    answers = []
    for client in both.values():
        task = await client.create()
        await client.call("PATCH", f"/tasks/{task['id']}", {"status": "cancelled"})
        answers.append((await client.call("POST", f"/tasks/{task['id']}/complete"))[:2])
    assert answers == [(409, {"error": "Cannot complete a cancelled task"})] * 2


@pytest.mark.parametrize("every", ["10", "3"])
async def test_candidate_error_every_nth_read(
    every: str, monkeypatch: pytest.MonkeyPatch, both: dict[str, Client]
) -> None:
    monkeypatch.setenv("TWINSIGHT_EXAMPLE_FAIL_EVERY", every)
    task = await both["candidate"].create()
    statuses = [
        (await both["candidate"].call("GET", f"/tasks/{task['id']}"))[0]
        for _ in range(2 * int(every))
    ]
    failing = [n + 1 for n, status in enumerate(statuses) if status == 503]
    assert failing == [int(every), 2 * int(every)]


async def test_scripted_session_shows_each_listed_divergence(both: dict[str, Client]) -> None:
    legacy = await run_session(both["legacy"].url, both["legacy"].token)
    candidate = await run_session(both["candidate"].url, both["candidate"].token)
    pairs = {}
    for left, right in zip(legacy, candidate, strict=True):
        pairs.setdefault(left.step.expect, set()).add((left.status, right.status))
    assert pairs["explained"] == {(200, 200), (400, 201)}
    assert pairs["unexplained"] == {(404, 204)}
    assert pairs["candidate_error"] == {(200, 503)}
    assert pairs["spec_conflict"] == {(409, 409)}
    assert pairs["regression"] == {(200, 200)}
    regression = next(o for o in candidate if o.step.expect == "regression")
    assert "in_progress" in {t["status"] for t in regression.body["tasks"]}


def test_divergences_file_lists_every_expected_classification() -> None:
    text = (files() / "DIVERGENCES.md").read_text(encoding="utf-8")
    for classification in {step.expect for step in SESSION}:
        assert f"`{classification}`" in text
