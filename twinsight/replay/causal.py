"""Which recorded request must wait for a create in another session (`--order causal`).

Sessions replay side by side; that is only faithful while they are independent. A
request that names an id, or a path, that another session's earlier create handed
out (the recorded legacy answer: id fields, XML ids, `Location`; a `PUT` creates its
own path) depended on that create having happened, so its replay waits until the
create has been replayed by every target. Read in recorded order, so every wait is
for an earlier request: the waits cannot form a cycle.

Pure: recorded exchanges in, dependencies out (`plan_dependencies`); the replayer
feeds `CausalPlanner.see` one exchange at a time as it dispatches them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from twinsight.records import PRIMARY_TARGET, Exchange, Response
from twinsight.spec.paths import path_segments
from twinsight.traffic.correlation import CREATING_METHODS, id_values, referenced

__all__ = ["MAX_REMEMBERED", "CausalPlanner", "Dependency", "creates", "plan_dependencies"]

MAX_REMEMBERED = 100_000
"""Ids (and paths) remembered: what a replay holds however long the capture."""

Resource = tuple[str, ...]
"""A created path as its raw segments (`path_segments`): `/a//` is ("a", "", "")."""
_Key = TypeVar("_Key", str, Resource)


@dataclass(frozen=True)
class Dependency:
    """`waiting` (a request of `session`) names what `creator` (of `creator_session`) made."""

    waiting: str
    session: str
    creator: str
    creator_session: str
    created: str  # the id or path; "" when a session's start waits for an earlier create
    create: str  # "POST /accounts"
    use: str  # "GET /accounts/17"

    def describe(self, label: dict[str, str] | None = None) -> str:
        """`session X waited for session Y: POST /accounts created 17 used by GET /accounts/17`
        (`created` empty: X's first request waited for Y's earlier create)."""
        name = (label or {}).get
        head = (
            f"session {name(self.session, self.session)} waited for session "
            f"{name(self.creator_session, self.creator_session)}: "
        )
        if not self.created:
            return head + f"{self.create} recorded before its first request {self.use}"
        return head + f"{self.create} created {self.created} used by {self.use}"


@dataclass(frozen=True)
class _Made:
    creator: str
    session: str
    create: str


class CausalPlanner:
    """Learns what each create handed out and finds the later requests of other sessions
    that use it."""

    def __init__(self) -> None:
        self._ids: dict[str, _Made] = {}
        self._paths: dict[Resource, _Made] = {}

    def see(self, exchange: Exchange, session: str | None) -> list[Dependency]:
        """The creates `exchange` must wait for; then learn what it creates itself."""
        unit = session if session is not None else exchange.id
        needed = self._needs(exchange, unit)
        self._learn(exchange, unit)
        return needed

    def _needs(self, exchange: Exchange, unit: str) -> list[Dependency]:
        found: dict[str, tuple[_Made, str]] = {}  # creator id -> (what made it, the value)
        for resource in _prefixes(exchange.path):
            made = self._paths.get(resource)
            if made is not None and made.session != unit:
                found.setdefault(made.creator, (made, "/" + "/".join(resource)))
        # Nothing learned yet (a capture without creates): no id it names can be one.
        named = referenced(exchange.path, exchange.query, exchange.body.data) if self._ids else ()
        for value in sorted(named):
            made = self._ids.get(value)
            if made is not None and made.session != unit:
                found.setdefault(made.creator, (made, value))
        use = f"{exchange.method} {exchange.path}"
        return [
            Dependency(exchange.id, unit, made.creator, made.session, value, made.create, use)
            for made, value in found.values()
        ]

    def _learn(self, exchange: Exchange, unit: str) -> None:
        answer = _recorded_answer(exchange)
        if answer is None or not creates(exchange):
            return
        made = _Made(exchange.id, unit, f"{exchange.method} {exchange.path}")
        for value in id_values(answer):
            _remember(self._ids, value, made)  # the latest create of a value is the one used
        location = answer.header("location")
        if location:
            _remember(self._paths, _resource(urlsplit(location).path), made)
        if exchange.method == "PUT":
            _remember(self._paths, _resource(exchange.path), made)


def _remember(book: dict[_Key, _Made], key: _Key, made: _Made) -> None:
    """`key` made by `made`; the book keeps the latest `MAX_REMEMBERED` (a long capture's
    oldest creates are long replayed)."""
    book.pop(key, None)
    book[key] = made
    if len(book) > MAX_REMEMBERED:
        del book[next(iter(book))]


def _recorded_answer(exchange: Exchange) -> Response | None:
    """The answer the recording holds: the legacy's, else the only one."""
    answer = exchange.response(PRIMARY_TARGET)
    if answer is None and len(exchange.responses) == 1:
        answer = exchange.responses[0]
    return answer


def creates(exchange: Exchange) -> bool:
    """Whether `exchange` is a create the recording shows succeeding (a refused one made
    nothing anyone could wait for)."""
    answer = _recorded_answer(exchange)
    ok = answer is not None and answer.status is not None and 200 <= answer.status < 300
    return ok and exchange.method in CREATING_METHODS


def _resource(path: str) -> Resource:
    """The resource `path` names: its raw segments (`path_segments`), so `/items/17/` is
    `/items/17` but `/items/17//` is not, nor `/items/17%2F`."""
    return tuple(path_segments(path))


def _prefixes(path: str) -> list[Resource]:
    """`/a/b/c` -> [`/a/b/c`, `/a/b`, `/a`]: a request under a created path uses it. Under
    means below it by named segments: `/a//` and `/a//c` are no resources under `/a`; `/` is
    under nothing."""
    segments = tuple(path_segments(path))
    found = []
    for end in range(len(segments), 0, -1):
        found.append(segments[:end])
        if not segments[end - 1]:
            break
    return found


def plan_dependencies(
    recorded: Iterable[tuple[Exchange, str | None]],
) -> list[Dependency]:
    """Every wait a causal replay of `recorded` ((exchange, session) in recorded order) has."""
    planner = CausalPlanner()
    return [dependency for item, session in recorded for dependency in planner.see(item, session)]
