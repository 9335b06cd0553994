"""Background tasks that cannot be lost: each is referenced until done and named for debugging."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["TaskSet"]

T = TypeVar("T")


class TaskSet:
    """Holds a reference to every task it starts (a dropped reference lets a mirror vanish)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def start(self, coroutine: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run `coroutine` in the background, kept alive until it finishes."""
        task = asyncio.create_task(coroutine, name=name)  # noqa: TID251 -- this is the helper
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def __len__(self) -> int:
        return len(self.tasks)
