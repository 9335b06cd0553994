"""The legacy Task Management service: aiohttp over SQLite, integer ids.

It implements the SDD proposal's scenarios and edge cases, including one bug the
new spec fixes (see DIVERGENCES.md): title length is measured in UTF-8 bytes, so
some unicode titles of 255 characters or fewer are refused.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from twinsight.examples.tasks.auth import auth_middleware, user_of
from twinsight.examples.tasks.noise import noise_middleware

__all__ = ["make_app"]

STATUSES = ("pending", "in_progress", "completed", "cancelled")
TRANSITIONS = {
    "pending": {"in_progress", "completed", "cancelled"},
    "in_progress": {"completed", "cancelled", "pending"},
    "completed": set(),
    "cancelled": set(),
}
MAX_TITLE = 255
DB_KEY = web.AppKey("db", sqlite3.Connection)
COLUMNS = "id, title, description, status, due_date, created_at, completed_at"

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    due_date TEXT,
    created_at TEXT NOT NULL,
    completed_at TEXT
)
"""


def make_app(db_path: str = ":memory:", *, noisy: bool = False) -> web.Application:
    """The legacy service over the SQLite database at `db_path` (in memory by default);
    `noisy` stamps per-answer times, ids, hashes and tag sets (`noise.py`)."""
    db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute(SCHEMA)
    middlewares: list[Middleware] = [request_id_middleware, auth_middleware]
    if noisy:
        middlewares.insert(0, noise_middleware())
    app = web.Application(middlewares=middlewares)
    app[DB_KEY] = db
    app.on_cleanup.append(_close)
    app.router.add_get("/health", health)
    app.router.add_post("/tasks", create_task)
    app.router.add_get("/tasks", list_tasks)
    app.router.add_get("/tasks/{id}", get_task)
    app.router.add_patch("/tasks/{id}", update_task)
    app.router.add_delete("/tasks/{id}", delete_task)
    app.router.add_post("/tasks/{id}/complete", complete_task)
    return app


async def _close(app: web.Application) -> None:
    app[DB_KEY].close()


@web.middleware
async def request_id_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    response.headers["X-Request-Id"] = str(uuid.uuid4())
    return response


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def as_json(row: sqlite3.Row) -> dict[str, Any]:
    return {name: row[name] for name in COLUMNS.split(", ")}


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def read_object(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def title_problem(title: Any) -> str | None:
    if not isinstance(title, str) or not title:
        return "Title is required"
    # The legacy bug the spec fixes: bytes, not characters.
    if len(title.encode("utf-8")) > MAX_TITLE:
        return f"Title too long (max {MAX_TITLE})"
    return None


def optional_text(body: dict[str, Any], name: str) -> bool:
    return body.get(name) is None or isinstance(body.get(name), str)


def valid_due_date(value: Any) -> bool:
    if value is None:
        return True
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return isinstance(value, str)


async def create_task(request: web.Request) -> web.Response:
    body = await read_object(request)
    if body is None:
        return error(400, "Body must be a JSON object")
    problem = title_problem(body.get("title"))
    if problem:
        return error(400, problem)
    if not optional_text(body, "description"):
        return error(400, "Description must be text")
    if not valid_due_date(body.get("due_date")):
        return error(400, "Invalid due_date")
    db = request.app[DB_KEY]
    cursor = db.execute(
        "INSERT INTO tasks (owner, title, description, due_date, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (user_of(request), body["title"], body.get("description"), body.get("due_date"), now()),
    )
    row = fetch(request, cursor.lastrowid)
    assert row is not None
    response = web.json_response(as_json(row), status=201)
    response.headers["Location"] = f"/tasks/{row['id']}"
    return response


def fetch(request: web.Request, task_id: Any) -> sqlite3.Row | None:
    row: sqlite3.Row | None = (
        request.app[DB_KEY]
        .execute(
            f"SELECT {COLUMNS} FROM tasks WHERE id = ? AND owner = ?", (task_id, user_of(request))
        )
        .fetchone()
    )
    return row


def path_id(request: web.Request) -> int | None:
    text = request.match_info["id"]
    return int(text) if text.isascii() and text.isdigit() else None


async def get_task(request: web.Request) -> web.Response:
    row = fetch(request, path_id(request))
    return web.json_response(as_json(row)) if row else error(404, "Task not found")


async def list_tasks(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        return error(400, "Invalid status filter")
    sql = f"SELECT {COLUMNS} FROM tasks WHERE owner = ?"
    params: list[Any] = [user_of(request)]
    if status:
        sql += " AND status = ?"
        params.append(status)
    rows = request.app[DB_KEY].execute(sql + " ORDER BY id", params).fetchall()
    return web.json_response({"tasks": [as_json(r) for r in rows], "count": len(rows)})


async def complete_task(request: web.Request) -> web.Response:
    task_id = path_id(request)
    row = fetch(request, task_id)
    if row is None:
        return error(404, "Task not found")
    # One atomic UPDATE: of two concurrent completions exactly one changes the row.
    changed = (
        request.app[DB_KEY]
        .execute(
            "UPDATE tasks SET status = 'completed', completed_at = ? "
            "WHERE id = ? AND status IN ('pending', 'in_progress')",
            (now(), task_id),
        )
        .rowcount
    )
    if not changed:
        if row["status"] == "completed":
            return error(409, "Task is already completed")
        return error(409, f"Cannot complete a {row['status']} task")
    updated = fetch(request, task_id)
    assert updated is not None
    return web.json_response(as_json(updated))


async def update_task(request: web.Request) -> web.Response:
    task_id = path_id(request)
    row = fetch(request, task_id)
    if row is None:
        return error(404, "Task not found")
    body = await read_object(request)
    if body is None:
        return error(400, "Body must be a JSON object")
    unknown = set(body) - {"title", "description", "status", "due_date"}
    if unknown:
        return error(400, f"Unknown field: {sorted(unknown)[0]}")
    if "title" in body and (problem := title_problem(body["title"])):
        return error(400, problem)
    if not optional_text(body, "description"):
        return error(400, "Description must be text")
    if not valid_due_date(body.get("due_date")):
        return error(400, "Invalid due_date")
    changes: dict[str, Any] = {
        k: body[k] for k in ("title", "description", "due_date") if k in body
    }
    status = body.get("status", row["status"])
    if status not in STATUSES:
        return error(400, "Invalid status")
    if status != row["status"]:
        if status not in TRANSITIONS[row["status"]]:
            return error(409, f"Cannot change status from {row['status']} to {status}")
        changes["status"] = status
        changes["completed_at"] = now() if status == "completed" else None
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        request.app[DB_KEY].execute(
            f"UPDATE tasks SET {assignments} WHERE id = ?", [*changes.values(), task_id]
        )
    updated = fetch(request, task_id)
    assert updated is not None
    return web.json_response(as_json(updated))


async def delete_task(request: web.Request) -> web.Response:
    task_id = path_id(request)
    if fetch(request, task_id) is None:
        return error(404, "Task not found")
    request.app[DB_KEY].execute("DELETE FROM tasks WHERE id = ?", (task_id,))
    return web.Response(status=204)
