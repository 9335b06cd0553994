"""The candidate Task Management service: an independent rewrite from the spec.

Different storage (a JSON document kept in memory, optionally persisted to a file)
and a different id scheme (UUIDs). Its deliberate divergences from the legacy
service are listed, with the requests that trigger them, in DIVERGENCES.md.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from twinsight.examples.tasks.auth import auth_middleware, user_of
from twinsight.examples.tasks.noise import Quirks, noise_middleware

__all__ = ["FAIL_EVERY_ENV", "TaskStore", "make_app"]

VERSION = "2.0.0"
FAIL_EVERY_ENV = "TWINSIGHT_EXAMPLE_FAIL_EVERY"
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"in_progress", "completed", "cancelled"}),
    "in_progress": frozenset({"completed", "cancelled", "pending"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
EDITABLE = frozenset({"title", "description", "status", "due_date"})


class Invalid(Exception):
    """A request the service refuses; carries the HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Task:
    id: str
    owner: str
    title: str
    description: str | None
    due_date: str | None
    created_at: str
    status: str = "pending"
    completed_at: str | None = None
    seq: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "due_date": self.due_date,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
        }


@dataclass
class TaskStore:
    """All tasks by id, persisted as one JSON document when a path is given."""

    path: Path | None = None
    tasks: dict[str, Task] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        if self.path is not None and self.path.exists():
            for item in json.loads(self.path.read_text(encoding="utf-8")):
                self.tasks[item["id"]] = Task(**item)
            self._seq = itertools.count(max((t.seq for t in self.tasks.values()), default=-1) + 1)

    def add(self, task: Task) -> Task:
        task.seq = next(self._seq)
        self.tasks[task.id] = task
        self.save()
        return task

    def owned(self, owner: str, task_id: str) -> Task:
        task = self.tasks.get(task_id)
        if task is None or task.owner != owner:
            raise Invalid(404, "Task not found")
        return task

    def save(self) -> None:
        if self.path is None:
            return
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps([asdict(t) for t in self.tasks.values()]), encoding="utf-8")
        os.replace(temporary, self.path)


STORE_KEY = web.AppKey("store", TaskStore)


@dataclass
class Counter:
    count: int = 0


READS_KEY = web.AppKey("reads", Counter)
PLANTED_KEY = web.AppKey("planted", bool)
"""Whether the planted divergences 6-8 of DIVERGENCES.md are on (off: `--faithful`)."""


# The noisy variant's planted divergences (DIVERGENCES.md rows 10-12).
PLANTED_QUIRKS = Quirks(
    epoch_updated_at=frozenset({"PATCH /tasks/{id}"}),
    no_last_modified=frozenset({"POST /tasks/{id}/complete"}),
    lowercase_tags=True,
)


def make_app(
    db_path: str | None = None, *, faithful: bool = False, noisy: bool = False
) -> web.Application:
    """The candidate service, persisting to the JSON file `db_path` when given; `faithful`
    leaves out the planted regression, unexplained difference and failing reads (and the
    noisy variant's planted divergences); `noisy` stamps per-answer noise (`noise.py`)."""
    middlewares: list[Middleware] = [errors_middleware, auth_middleware]
    if noisy:
        middlewares.insert(0, noise_middleware(Quirks() if faithful else PLANTED_QUIRKS))
    app = web.Application(middlewares=middlewares)
    app[PLANTED_KEY] = not faithful
    app[STORE_KEY] = TaskStore(Path(db_path) if db_path else None)
    app[READS_KEY] = Counter()
    app.add_routes(
        [
            web.get("/health", health),
            web.post("/tasks", create),
            web.get("/tasks", list_all),
            web.get("/tasks/{task_id}", show),
            web.patch("/tasks/{task_id}", update),
            web.delete("/tasks/{task_id}", remove),
            web.post("/tasks/{task_id}/complete", complete),
        ]
    )
    return app


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except Invalid as refused:
        response = web.json_response({"error": refused.message}, status=refused.status)
    response.headers["X-Request-Id"] = str(uuid.uuid4())
    return response


def timestamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def health(request: web.Request) -> web.Response:
    # Divergence (accepted by the spec): the rewrite reports its version.
    return web.json_response({"status": "ok", "version": VERSION})


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Invalid(400, "Body must be a JSON object")
    return body


def check_fields(body: dict[str, Any], *, creating: bool) -> None:
    if creating or "title" in body:
        title = body.get("title")
        if not isinstance(title, str) or title == "":
            raise Invalid(400, "Title is required")
        if len(title) > 255:  # characters, as the spec says
            raise Invalid(400, "Title too long (max 255)")
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise Invalid(400, "Description must be text")
    due = body.get("due_date")
    if due is not None:
        try:
            datetime.fromisoformat(str(due).replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(400, "Invalid due_date") from None
        if not isinstance(due, str):
            raise Invalid(400, "Invalid due_date")


async def create(request: web.Request) -> web.Response:
    body = await json_object(request)
    check_fields(body, creating=True)
    task = Task(
        id=str(uuid.uuid4()),
        owner=user_of(request),
        title=body["title"],
        description=body.get("description"),
        due_date=body.get("due_date"),
        created_at=timestamp(),
    )
    request.app[STORE_KEY].add(task)
    return web.json_response(task.public(), status=201, headers={"Location": f"/tasks/{task.id}"})


def wanted(request: web.Request) -> Task:
    return request.app[STORE_KEY].owned(user_of(request), request.match_info["task_id"])


async def show(request: web.Request) -> web.Response:
    # Divergence (candidate error): every Nth read fails, like a flaky dependency.
    reads = request.app[READS_KEY]
    reads.count += 1
    every = int(os.environ.get(FAIL_EVERY_ENV, "10"))
    if request.app[PLANTED_KEY] and every > 0 and reads.count % every == 0:
        raise Invalid(503, "Service temporarily unavailable")
    return web.json_response(wanted(request).public())


async def list_all(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in ALLOWED_MOVES:
        raise Invalid(400, "Invalid status filter")
    # Divergence (regression): "pending" is read as "not started or under way".
    widened = request.app[PLANTED_KEY] and status == "pending"
    accepted = {"pending", "in_progress"} if widened else {status}
    mine = sorted(
        (t for t in request.app[STORE_KEY].tasks.values() if t.owner == user_of(request)),
        key=lambda t: t.seq,
    )
    chosen = [t.public() for t in mine if status is None or t.status in accepted]
    return web.json_response({"tasks": chosen, "count": len(chosen)})


async def complete(request: web.Request) -> web.Response:
    task = wanted(request)
    if task.status == "completed":
        raise Invalid(409, "Task is already completed")
    if task.status == "cancelled":
        raise Invalid(409, "Cannot complete a cancelled task")
    task.status, task.completed_at = "completed", timestamp()
    request.app[STORE_KEY].save()
    return web.json_response(task.public())


async def update(request: web.Request) -> web.Response:
    task = wanted(request)
    body = await json_object(request)
    if set(body) - EDITABLE:
        raise Invalid(400, f"Unknown field: {sorted(set(body) - EDITABLE)[0]}")
    check_fields(body, creating=False)
    target = body.get("status", task.status)
    if target not in ALLOWED_MOVES:
        raise Invalid(400, "Invalid status")
    if target != task.status and target not in ALLOWED_MOVES[task.status]:
        raise Invalid(409, f"Cannot change status from {task.status} to {target}")
    if target != task.status:
        task.completed_at = timestamp() if target == "completed" else None
        task.status = target
    for name in ("title", "description", "due_date"):
        if name in body:
            setattr(task, name, body[name])
    request.app[STORE_KEY].save()
    return web.json_response(task.public())


async def remove(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    task = store.tasks.get(request.match_info["task_id"])
    # Divergence (unexplained): deleting is idempotent, a missing task is not an error.
    if task is not None and task.owner == user_of(request):
        del store.tasks[task.id]
        store.save()
    elif not request.app[PLANTED_KEY]:
        raise Invalid(404, "Task not found")
    return web.Response(status=204)
