"""A scripted client session that touches every behavior of the example, divergences included.

Each step names the divergence it triggers (see DIVERGENCES.md); `{name}` in a
path stands for the id the *same* target gave the task created by the step
saved as `name`, so the script runs unchanged against either service.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

__all__ = ["NOISY_SESSION", "SESSION", "Outcome", "Step", "run_session"]


@dataclass(frozen=True)
class Step:
    """One request of the session and the divergence it is expected to show."""

    method: str
    path: str
    body: Any = None
    auth: bool = True
    save_as: str = ""
    # Equal answers still differ by their fresh X-Request-Id (DIVERGENCES.md row 3).
    expect: str = "noise"
    note: str = ""


@dataclass
class Outcome:
    """What one target answered to one step."""

    step: Step
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


LONG_UNICODE_TITLE = "é" * 200  # 200 characters, 400 UTF-8 bytes
INJECTION_TITLE = "'; DROP TABLE tasks; --"  # both services store it verbatim

SESSION: tuple[Step, ...] = (
    Step("GET", "/health", auth=False, expect="explained", note="candidate adds 'version'"),
    Step("POST", "/tasks", {"title": "Buy groceries"}, save_as="groceries", expect="noise"),
    Step("GET", "/tasks/{groceries}", expect="noise"),
    Step("POST", "/tasks/{groceries}/complete", expect="noise"),
    Step("POST", "/tasks/{groceries}/complete", note="409 on both"),
    Step("POST", "/tasks", {"title": "完成项目 🎯"}, expect="noise"),
    Step(
        "POST",
        "/tasks",
        {"title": LONG_UNICODE_TITLE},
        expect="explained",
        note="legacy counts bytes: 400; candidate 201",
    ),
    Step("POST", "/tasks", {"title": "x" * 256}, note="400 on both"),
    Step("POST", "/tasks", {"title": INJECTION_TITLE}, save_as="injection", expect="noise"),
    Step("PATCH", "/tasks/{injection}", {"status": "in_progress"}, expect="noise"),
    Step(
        "GET",
        "/tasks?status=pending",
        expect="regression",
        note="candidate also lists the in_progress task",
    ),
    Step("POST", "/tasks", {"title": "Old idea"}, save_as="old", expect="noise"),
    Step("PATCH", "/tasks/{old}", {"status": "cancelled"}, expect="noise"),
    Step(
        "POST",
        "/tasks/{old}/complete",
        expect="spec_conflict",
        note="both answer 'Cannot complete a cancelled task'; the spec expects other words",
    ),
    Step("PATCH", "/tasks/{groceries}", {"status": "pending"}, note="409 on both"),
    Step("DELETE", "/tasks/{old}", note="204 on both"),
    Step("DELETE", "/tasks/{old}", expect="unexplained", note="legacy 404, candidate 204"),
    Step("GET", "/tasks", auth=False, note="401 on both"),
    *(Step("GET", "/tasks/{groceries}", expect="noise") for _ in range(8)),
    Step(
        "GET",
        "/tasks/{groceries}",
        expect="candidate_error",
        note="the candidate's 10th read of a task answers 503",
    ),
)

# The same session against the `--noisy` services (DIVERGENCES.md, the noisy variant):
# some tasks carry tags, every JSON answer carries noise, so answers that were equal
# are `noise` now, and rows 10-12 plant three more divergences among the noise.
_TAGS = {
    "Buy groceries": ["home", "errand", "weekly"],
    "完成项目 🎯": ["Work", "urgent"],
    INJECTION_TITLE: ["sql", "test"],
}
_PLANTED_IN_NOISE = {  # step number (from 1) -> (expect, note)
    4: ("unexplained", "row 11: the candidate's answer has no Last-Modified header"),
    6: ("unexplained", "row 12: the candidate lowercases tags: 'work'"),
    10: ("unexplained", "row 10: the candidate's updated_at is epoch milliseconds"),
    13: ("unexplained", "row 10: the candidate's updated_at is epoch milliseconds"),
}


def _noisy(number: int, step: Step) -> Step:
    body = step.body
    if isinstance(body, dict) and body.get("title") in _TAGS:
        body = {**body, "tags": _TAGS[body["title"]]}
    expect, note = _PLANTED_IN_NOISE.get(number, (step.expect, step.note))
    return replace(step, body=body, expect=expect, note=note)


NOISY_SESSION: tuple[Step, ...] = tuple(_noisy(n, step) for n, step in enumerate(SESSION, 1))


async def run_session(
    base_url: str, token: str, steps: tuple[Step, ...] = SESSION
) -> list[Outcome]:
    """Run `steps` in order against the service at `base_url`."""
    ids: dict[str, str] = {}
    outcomes = []
    async with aiohttp.ClientSession(base_url) as client:
        for step in steps:
            headers = {"Authorization": f"Bearer {token}"} if step.auth else {}
            path = step.path.format(**ids)
            async with client.request(step.method, path, json=step.body, headers=headers) as answer:
                body = await answer.json() if answer.content_type == "application/json" else None
                outcomes.append(Outcome(step, answer.status, body, dict(answer.headers)))
            if step.save_as and isinstance(body, dict) and "id" in body:
                ids[step.save_as] = str(body["id"])
    return outcomes
