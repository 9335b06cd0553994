"""Identifier correlation between targets: "legacy task 17 is candidate task 0b5e…".

When each target creates its own identifiers, a later request that names the
legacy's id must reach another target with that target's id. This module
learns legacy-id -> target-id pairs from the answers both gave to the same
request (JSON id fields, XML id elements and attributes (`xmlids`), `Location`
headers) and rewrites later requests (path segments, `17.xml` too, id-like query
values, JSON body fields and XML id elements and attributes). Shared by the live proxy
and the replayer; the pure functions take plain data, `book.CorrelationBook` adds the
state and the waiting: a request naming an id whose pair is still in flight waits for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import orjson

from twinsight.identifiers import looks_like_id
from twinsight.records import Correlation, Response
from twinsight.store.decode import decode_body

from .xmlids import parse_xml, rewrite_xml, xml_id_values, xml_pairs

__all__ = [
    "CREATING_METHODS",
    "Rewritten",
    "id_values",
    "learn_pairs",
    "rewrite_request",
]

# `id`, `uuid`, `task_id`, `taskId`, `task-id`, `ids`: names that hold identifiers.
_ID_NAME = re.compile(r"^(id|uuid|guid|key|ids)$|[_-](id|uuid|guid|ids)$|[a-z](Id|Uuid|Ids)$", re.I)
_MAX_BODY = 1 << 20
CREATING_METHODS = frozenset({"POST", "PUT", "PATCH"})
"""Answers to these hand out new ids; only they are learned from (a listing's order may differ)."""


@functools.lru_cache(maxsize=4096)  # the same few keys, over and over in a listing
def _is_id_name(name: str) -> bool:
    return bool(_ID_NAME.search(name))


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and value != ""


def _payload(response: Response, limit: int) -> bytes | None:
    if response.body.truncated or not response.body.data:
        return None
    data = response.body.data
    encoding = response.header("content-encoding")
    if encoding:
        data, ok = decode_body(data, encoding, limit)
        if not ok:
            return None
    return data


def _parsed(response: Response, limit: int = _MAX_BODY) -> tuple[Any, Any]:
    """An answer's JSON document and XML root (None each when it is not that kind; an HTML
    page is no XML), its body decoded and parsed once, at most `limit` bytes decoded."""
    data = _payload(response, limit)
    if not data:
        return None, None
    if data.lstrip()[:1] == b"<":
        html = "html" in (response.header("content-type") or "").lower()
        return None, None if html else parse_xml(data)
    try:
        return orjson.loads(data), None
    except orjson.JSONDecodeError:
        return None, None


def _location_segments(response: Response) -> list[str]:
    location = response.header("location")
    return [unquote(s) for s in urlsplit(location).path.split("/")] if location else []


def id_values(response: Response, *, limit: int = _MAX_BODY) -> set[str]:
    """Every identifier a response hands out (id-like JSON fields, XML id elements and
    attributes, `Location` segments).

    Runs on the client's path (the legacy's answer is announced before the client has
    it), so it walks without building the paths `_id_fields` and `xml_ids` name, and
    decodes at most `limit` bytes."""
    document, root = _parsed(response, limit)
    values = _json_id_values(document)
    if root is not None:
        values.update(xml_id_values(root, _is_id_name))
    values.update(s for s in _location_segments(response) if looks_like_id(s))
    return values


def _json_id_values(document: Any) -> set[str]:
    """The values `_id_fields` yields, as strings."""
    values: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict | list):
                    stack.append(value)
                elif _scalar(value) and _is_id_name(str(key)):
                    values.add(str(value))
        elif isinstance(node, list):
            stack.extend(node)
    return values


def _id_fields(node: Any, where: str = "body") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if _is_id_name(str(key)) and _scalar(value):
                yield f"{where}.{key}", value
            yield from _id_fields(value, f"{where}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _id_fields(item, f"{where}[*]")


def learn_pairs(legacy: Response, other: Response, sent: Set[str] = frozenset()) -> dict[str, Any]:
    """legacy id -> the other target's id, from two successful answers to the same request.

    `sent`: what the request named (`referenced`). In XML answers a value the client sent
    is an echo, not a new id (every SOAP call is a POST, so the method cannot tell)."""
    if not (_ok(legacy) and _ok(other)):
        return {}
    pairs: dict[str, Any] = {}
    (document, mine), (other_document, yours) = _parsed(legacy), _parsed(other)
    _walk_pairs(document, other_document, pairs)
    if mine is not None and yours is not None:
        for value, mapped in xml_pairs(mine, yours, _is_id_name, sent).items():
            pairs.setdefault(value, mapped)
    ours, theirs = _location_segments(legacy), _location_segments(other)
    if len(ours) == len(theirs):
        for mine, yours in zip(ours, theirs, strict=True):
            if mine != yours and mine and yours:
                pairs.setdefault(mine, yours)
    return pairs


def _ok(response: Response) -> bool:
    return response.status is not None and 200 <= response.status < 300


def _walk_pairs(mine: Any, yours: Any, pairs: dict[str, Any]) -> None:
    if isinstance(mine, dict) and isinstance(yours, dict):
        for key in mine.keys() & yours.keys():
            a, b = mine[key], yours[key]
            if _is_id_name(str(key)) and _scalar(a) and _scalar(b):
                if str(a) != str(b):
                    pairs.setdefault(str(a), b)
            else:
                _walk_pairs(a, b, pairs)
    elif isinstance(mine, list) and isinstance(yours, list) and len(mine) == len(yours):
        for a, b in zip(mine, yours, strict=True):
            _walk_pairs(a, b, pairs)


@dataclass(frozen=True)
class Rewritten:
    """A request as it goes to one target, and the rewrites that made it."""

    path: str
    query: str
    body: bytes
    correlations: tuple[Correlation, ...] = ()


def referenced(path: str, query: str, body: bytes) -> set[str]:
    """What in a request could be an identifier: path segments (and their stems before an
    extension), id-like query values, id-like JSON fields and XML elements and attributes."""
    values = {unquote(s) for s in path.split("/") if s}
    values.update(stem for stem, _ in map(_extension, list(values)) if stem)
    values.update(v for k, v in parse_qsl(query, keep_blank_values=True) if _is_id_name(k))
    values.update(str(v) for _, v in _id_fields(_body_json(body)))
    root = parse_xml(body) if body[:1] not in b"{[" else None
    if root is not None:
        values.update(xml_id_values(root, _is_id_name))
    return values


_EXTENSION = re.compile(r"^(.+)(\.[A-Za-z][A-Za-z0-9]{0,7})$")


def _extension(segment: str) -> tuple[str, str]:
    """`17.xml` -> (`17`, `.xml`); ("", "") without an extension."""
    found = _EXTENSION.match(segment)
    return (found.group(1), found.group(2)) if found else ("", "")


def _body_json(body: bytes) -> Any:
    if not body or body[:1] not in b"{[":
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def rewrite_request(
    target: str, path: str, query: str, body: bytes, pairs: Mapping[str, Any]
) -> Rewritten:
    """The request with every known legacy id replaced by `target`'s (a pure function)."""
    if not pairs:
        return Rewritten(path, query, body)
    found: list[Correlation] = []

    def swap(value: str, where: str) -> str:
        if value in pairs:
            new = str(pairs[value])
            found.append(Correlation(target, value, new, where))
            return new
        return value

    new_path = "/".join(_segment(s, pairs, swap) for s in path.split("/"))
    new_query = query
    items = parse_qsl(query, keep_blank_values=True)
    if any(_is_id_name(k) and v in pairs for k, v in items):
        new_query = urlencode(
            [(k, swap(v, f"query.{k}") if _is_id_name(k) else v) for k, v in items]
        )
    new_body = body
    document = _body_json(body)
    if document is not None and _swap_body(document, pairs, target, "body", found):
        new_body = orjson.dumps(document)
    elif document is None and body:
        new_body = rewrite_xml(body, swap, _is_id_name)
    return Rewritten(new_path, new_query, new_body, tuple(found))


def _segment(segment: str, pairs: Mapping[str, Any], swap: Callable[[str, str], str]) -> str:
    """One path segment with a known id swapped: whole, or before its extension (`17.xml`)."""
    if segment in pairs or unquote(segment) in pairs:
        return quote(swap(unquote(segment), "path"), safe=_SAFE)
    stem, extension = _extension(unquote(segment))
    if stem in pairs:
        return quote(swap(stem, "path") + extension, safe=_SAFE)
    return segment


_SAFE = "@:!$&'()*+,;=-._~"


def _swap_body(
    node: Any, pairs: Mapping[str, Any], target: str, where: str, found: list[Correlation]
) -> bool:
    changed = False
    if isinstance(node, dict):
        for key, value in node.items():
            if _is_id_name(str(key)) and _scalar(value) and str(value) in pairs:
                node[key] = pairs[str(value)]
                found.append(Correlation(target, str(value), str(node[key]), f"{where}.{key}"))
                changed = True
            else:
                changed |= _swap_body(value, pairs, target, f"{where}.{key}", found)
    elif isinstance(node, list):
        for item in node:
            changed |= _swap_body(item, pairs, target, f"{where}[*]", found)
    return changed
