"""The behavior both example services share: the SDD proposal's scenarios and edge cases."""

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from tests.examples.conftest import Client
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start

ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


async def test_health_needs_no_token(client: Client) -> None:
    status, body, _ = await client.call("GET", "/health", auth=False)
    assert status == 200
    assert body["status"] == "ok"


async def test_everything_else_needs_a_valid_token(client: Client) -> None:
    assert (await client.call("GET", "/tasks", auth=False))[0] == 401
    assert (await client.call("GET", "/tasks", token="not-a-jwt"))[:2] == (
        401,
        {"error": "Authentication required"},
    )


async def test_create_a_simple_task(client: Client) -> None:
    status, task, headers = await client.call("POST", "/tasks", {"title": "Buy groceries"})
    assert status == 201
    assert task["title"] == "Buy groceries"
    assert task["status"] == "pending"
    assert task["completed_at"] is None
    assert ISO_SECONDS.match(task["created_at"])
    assert headers["Location"] == f"/tasks/{task['id']}"
    assert (await client.call("GET", f"/tasks/{task['id']}"))[1] == task


async def test_ids_are_unique(client: Client) -> None:
    ids = {(await client.create(f"task {n}"))["id"] for n in range(5)}
    assert len(ids) == 5


async def test_complete_a_task_then_cannot_complete_it_again(client: Client) -> None:
    task = await client.create()
    status, done, _ = await client.call("POST", f"/tasks/{task['id']}/complete")
    assert status == 200
    assert done["status"] == "completed"
    assert done["completed_at"] >= done["created_at"]
    again = await client.call("POST", f"/tasks/{task['id']}/complete")
    assert again[:2] == (409, {"error": "Task is already completed"})
    _, after, _ = await client.call("GET", f"/tasks/{task['id']}")
    assert after["completed_at"] == done["completed_at"]
    assert after["status"] == "completed"


async def test_concurrent_completions_exactly_one_succeeds(client: Client) -> None:
    task = await client.create()
    answers = await asyncio.gather(
        *(client.call("POST", f"/tasks/{task['id']}/complete") for _ in range(10))
    )
    assert sorted(status for status, _, _ in answers) == [200] + [409] * 9


async def test_list_tasks_filtered_by_status(client: Client) -> None:
    first = await client.create("Task 1")
    second = await client.create("Task 2")
    third = await client.create("Task 3")
    await client.call("POST", f"/tasks/{second['id']}/complete")
    status, listing, _ = await client.call("GET", "/tasks?status=pending")
    assert status == 200
    assert [t["title"] for t in listing["tasks"]] == ["Task 1", "Task 3"]
    assert listing["count"] == 2
    assert {t["id"] for t in listing["tasks"]} == {first["id"], third["id"]}
    assert (await client.call("GET", "/tasks?status=bogus"))[:2] == (
        400,
        {"error": "Invalid status filter"},
    )


async def test_sql_injection_text_is_stored_verbatim(client: Client) -> None:
    title = "'; DROP TABLE tasks; --"
    task = await client.create(title)
    assert task["title"] == title
    assert (await client.call("GET", "/tasks"))[1]["count"] == 1


async def test_unicode_and_emoji_are_kept(client: Client) -> None:
    for title in ("完成项目", "Task with emoji 🎯"):
        assert (await client.create(title))["title"] == title


async def test_title_length_limits(client: Client) -> None:
    assert (await client.create("x" * 255))["title"] == "x" * 255
    for title in ("x" * 256, "x" * 10_000):
        assert (await client.call("POST", "/tasks", {"title": title}))[:2] == (
            400,
            {"error": "Title too long (max 255)"},
        )
    assert (await client.call("GET", "/tasks"))[1]["count"] == 1


async def test_bad_bodies_are_refused(client: Client) -> None:
    cases = [
        ({}, "Title is required"),
        ({"title": ""}, "Title is required"),
        ({"title": 3}, "Title is required"),
        ([1, 2], "Body must be a JSON object"),
        ({"title": "a", "description": 5}, "Description must be text"),
        ({"title": "a", "due_date": "tomorrow"}, "Invalid due_date"),
    ]
    for body, message in cases:
        assert (await client.call("POST", "/tasks", body))[:2] == (400, {"error": message}), body


async def test_state_transitions(client: Client) -> None:
    task = await client.create()
    path = f"/tasks/{task['id']}"
    for status in ("in_progress", "pending", "in_progress", "cancelled"):
        answer = await client.call("PATCH", path, {"status": status})
        assert (answer[0], answer[1]["status"]) == (200, status)
    for status in ("pending", "in_progress", "completed"):
        assert (await client.call("PATCH", path, {"status": status}))[:2] == (
            409,
            {"error": f"Cannot change status from cancelled to {status}"},
        )
    assert (await client.call("POST", f"{path}/complete"))[:2] == (
        409,
        {"error": "Cannot complete a cancelled task"},
    )
    assert (await client.call("PATCH", path, {"status": "archived"}))[:2] == (
        400,
        {"error": "Invalid status"},
    )


async def test_completing_through_update_sets_completed_at(client: Client) -> None:
    task = await client.create()
    _, done, _ = await client.call(
        "PATCH", f"/tasks/{task['id']}", {"status": "completed", "title": "Done"}
    )
    assert (done["status"], done["title"]) == ("completed", "Done")
    assert done["completed_at"]
    assert (await client.call("PATCH", f"/tasks/{task['id']}", {"status": "pending"}))[0] == 409
    assert (await client.call("PATCH", f"/tasks/{task['id']}", {"colour": "red"}))[:2] == (
        400,
        {"error": "Unknown field: colour"},
    )


async def test_delete_then_gone(client: Client) -> None:
    task = await client.create()
    assert (await client.call("DELETE", f"/tasks/{task['id']}"))[0] == 204
    assert (await client.call("GET", f"/tasks/{task['id']}"))[:2] == (
        404,
        {"error": "Task not found"},
    )


async def test_unknown_ids_are_not_found(client: Client) -> None:
    for path in (
        "/tasks/999999",
        "/tasks/not-an-id",
        "/tasks/00000000-0000-4000-8000-000000000000",
    ):
        assert (await client.call("GET", path))[:2] == (404, {"error": "Task not found"})
        assert (await client.call("POST", f"{path}/complete"))[0] == 404


async def test_users_see_only_their_own_tasks(client: Client) -> None:
    task = await client.create()
    bob = make_token("bob")
    assert (await client.call("GET", f"/tasks/{task['id']}", token=bob))[0] == 404
    assert (await client.call("GET", "/tasks", token=bob))[1] == {"tasks": [], "count": 0}


async def test_every_answer_carries_a_request_id(client: Client) -> None:
    first = (await client.call("GET", "/health", auth=False))[2]["X-Request-Id"]
    second = (await client.call("GET", "/health", auth=False))[2]["X-Request-Id"]
    assert first != second


@pytest.mark.parametrize(
    ("name", "db_name"), [("legacy", "tasks.sqlite"), ("candidate", "tasks.json")]
)
async def test_tasks_survive_a_restart_with_a_db_file(
    name: str, db_name: str, tmp_path: Path
) -> None:
    db = str(tmp_path / db_name)
    factory = {"legacy": make_legacy, "candidate": make_candidate}[name]
    token = make_token("alice")
    titles = []
    for round_ in range(2):
        runner, port = await start(factory(db))
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            client = Client(session, "", token)
            await client.create(f"round {round_}")
            titles = [t["title"] for t in (await client.call("GET", "/tasks"))[1]["tasks"]]
        await runner.cleanup()
    assert titles == ["round 0", "round 1"]
