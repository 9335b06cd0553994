"""Unstable order: where the traffic shows the legacy itself serving a set in random order.

An `order` difference (see `jsondiff`: an array holding the same items in another order)
is noise, `inferred: unstable order`, only at a location where the legacy's own answers
show its order means nothing: the same request, sent again, was answered with the same
items in another order (a set served from a hash table, a repeated read of one task
listing its tags differently). Elsewhere it stays a real, low-severity difference.

The evidence is a request and its own repeat, not any two answers at one endpoint: two
different requests may list the same items in other orders on purpose (`?sort=asc` and
`?sort=desc`). Where it is found, it holds for the whole (endpoint, location group), and
for that location group on the other endpoints of the same resource (`POST /tasks` answers
with the `body.tags` that `GET /tasks/{id}` shuffles): one field of one representation.
An array that is the whole body is not carried over, as it names no field.

Safeguard: only an `order` difference is ever judged this way; an item added, removed or
changed is never an `order` difference, so it is never noise here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from .diff import Difference
from .jsondiff import Path, canonical, render_path
from .kept_fact import Fact
from .shapes import json_type

__all__ = [
    "OrderEvidence",
    "UnstableOrder",
    "arrays_in",
    "request_identity",
]

Key = tuple[str, str]  # (endpoint, location group)


@dataclass(frozen=True)
class UnstableOrder:
    """The (endpoint, location group) pairs where the legacy served one set in several orders."""

    locations: frozenset[Key] = frozenset()

    def groups(self, endpoint: str) -> frozenset[str]:
        """The location groups of `endpoint` whose order the legacy does not keep: seen there,
        or (but for the whole body) on another endpoint of its resource."""
        resource = _resource(endpoint)
        return frozenset(
            group
            for where, group in self.locations
            if where == endpoint
            or (group != "body" and resource is not None and _resource(where) == resource)
        )


def _resource(endpoint: str) -> str | None:
    # `GET /tasks/{id}` -> `tasks`; an endpoint that starts with a parameter names none.
    first = endpoint.partition(" ")[2].strip("/").split("/")[0]
    return None if not first or first.startswith("{") else first


@dataclass
class OrderEvidence:
    """Reads the legacy's answers one by one; `unstable()` says where its order wandered.

    Parts of the stream read apart add up (`merge`, in stream order) to what one pass reads."""

    _first: dict[Key, dict[bytes, bytes]] = field(default_factory=dict)
    """(endpoint, group) -> digest(endpoint, request, group, items as a multiset) -> digest of
    the first order seen; a key leaves once it is unstable (nothing more to learn there)"""
    _unstable: set[Key] = field(default_factory=set)

    def observe(self, endpoint: str, request: bytes, document: Any) -> None:
        """One legacy answer (`document`, parsed JSON) to `request` (see `request_identity`)."""
        self.observe_lists(
            endpoint,
            request,
            ((group, [canonical(item) for item in items]) for group, items in arrays_in(document)),
        )

    def observe_lists(
        self, endpoint: str, request: bytes, lists: Iterable[tuple[str, list[bytes]]]
    ) -> None:
        """One legacy answer to `request` as its lists: (location group, each item's canonical
        bytes), for bodies other than JSON (XML: `xmlorder.xml_lists`)."""
        for group, keys in lists:
            key = (endpoint, group)
            if key in self._unstable:
                continue
            where = _digest(endpoint.encode(), request, group.encode(), *sorted(keys))
            order = _digest(*keys)
            if self._first.setdefault(key, {}).setdefault(where, order) != order:
                self._unstable.add(key)
                del self._first[key]

    def merge(self, later: OrderEvidence) -> None:
        """Add what `later` read from the stream after this one's part: a request whose first
        order there differs from its first order here shows the order unstable too."""
        self._unstable |= later._unstable
        for key, firsts in later._first.items():
            if key in self._unstable:
                self._first.pop(key, None)
                continue
            mine = self._first.setdefault(key, {})
            if any(mine.setdefault(where, order) != order for where, order in firsts.items()):
                self._unstable.add(key)
                del self._first[key]
        for key in self._unstable & self._first.keys():
            del self._first[key]

    def facts(self) -> Iterator[Fact]:
        """What was read, to keep for the next analysis (`restore` takes each back)."""
        for endpoint, group in sorted(self._unstable):
            yield ("unstable", endpoint, group, None, None, None)
        for (endpoint, group), firsts in self._first.items():
            for where, order in firsts.items():
                yield ("order", endpoint, group, where, order, None)

    def restore(self, fact: Fact) -> bool:
        """Take back one fact `facts` kept; False if it is not one of this tally's (or
        is not whole)."""
        kind, endpoint, group, where, order, _ = fact
        if kind not in ("unstable", "order") or endpoint is None or group is None:
            return False
        if kind == "unstable":
            self._unstable.add((endpoint, group))
            self._first.pop((endpoint, group), None)
            return True
        if where is None or order is None:
            return False
        if (endpoint, group) not in self._unstable:
            self._first.setdefault((endpoint, group), {})[where] = order
        return True

    def unstable(self) -> UnstableOrder:
        """Where the evidence so far shows the legacy's order unstable."""
        return UnstableOrder(frozenset(self._unstable))


def request_identity(method: str, path: str, query: str, body: Any) -> bytes:
    """What makes two requests the same request sent again; `path` as sent, never decoded
    (`/a%2Fb` is not `/a/b` nor `/a%252Fb`: frameworks route an encoded slash apart)."""
    return orjson.dumps([method, path, query, body], default=repr, option=orjson.OPT_SORT_KEYS)


def arrays_in(document: Any, path: Path = ()) -> Iterator[tuple[str, list[Any]]]:
    """Every array of two items or more in `document`, with its location group (`body.a[*].b`)."""
    kind = json_type(document)
    if kind == "object":
        for key, value in document.items():
            yield from arrays_in(value, (*path, key))
    elif kind == "array":
        if len(document) > 1:
            yield Difference(render_path(path), "order").group, document
        for item in document:
            yield from arrays_in(item, (*path, 0))


def _digest(*parts: bytes) -> bytes:
    hashed = hashlib.blake2b(digest_size=16)
    for part in parts:
        hashed.update(len(part).to_bytes(8, "little"))
        hashed.update(part)
    return hashed.digest()
