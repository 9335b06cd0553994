"""Ground truth for a real service: which requests two versions answer differently.

Independent of twinsight's own inference. Every request of a workload is sent,
in order, to several fresh instances of each version (each instance receives the
whole sequence directly, no proxy). Each answer is flattened into *locations*:
`status`; `header.<name>[i]` for every response header except hop-by-hop ones,
`Content-Length` and `Date` (per-response values), its value split at commas
into a list (HTTP list syntax; a date is one item); `body.<json path>` for every
JSON leaf (scalars, empty objects and arrays; a body that is not JSON is one
`body` leaf). An array or header list whose element order varies between the
runs of a version (same elements once volatile leaves are masked, other order)
is sorted, in every run of both versions, so it is compared as a multiset.

A location is *volatile* in a version when its value varies between that
version's runs. A request is DIVERGENT when some location
- is stable within each version yet has a different value in each (`value`;
  for `status` the kind names the two statuses), or
- is present in every run of one version and absent in every run of the other
  (`missing` / `added`), or
- has a different set of kinds (JSON type, and for strings a format: uuid,
  timestamp, HTTP date, integer, URL, text) in each version (`type`).
Otherwise it is AGREEING: volatile values alone never make it divergent.

Real causes: the distinct (location with array indexes folded to `[]`, kind)
among all divergent locations of the workload; a request carries every cause
among its divergent locations. Clusters per cause divides by their number.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from kinto_workload import Answer

SKIPPED_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
    | {"proxy-authenticate", "proxy-authorization", "content-length", "date"}
)
_FORMATS = (
    ("uuid", re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)),
    ("timestamp", re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")),
    ("http-date", re.compile(r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d")),
    ("integer", re.compile(r"^\"?-?\d+\"?$")),
    ("url", re.compile(r"^https?://")),
)
_HTTP_DATE = _FORMATS[2][1]
_INDEX = re.compile(r"\[\d+\]")
_ABSENT = object()


@dataclass(frozen=True)
class Label:
    """The truth about one request: divergent or not, and the causes it exercises."""

    divergent: bool
    causes: frozenset[str]


def kind_of(value: Any) -> str:
    """A leaf's JSON type; for a string also its format."""
    if isinstance(value, str):
        return "str:" + next((name for name, form in _FORMATS if form.match(value)), "text")
    if isinstance(value, bool) or value is None:
        return repr(value) if value is None else "bool"
    return type(value).__name__


def leaves(value: Any, at: str) -> Iterator[tuple[str, Any]]:
    """(location, leaf) of a JSON value."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from leaves(inner, f"{at}.{key}" if at else key)
    elif isinstance(value, list) and value:
        for index, inner in enumerate(value):
            yield from leaves(inner, f"{at}[{index}]")
    else:
        yield at, value


def document(answer: Answer) -> dict[str, Any]:
    """An answer's headers (lists of items) and body as one JSON document."""
    headers: dict[str, list[str]] = {}
    for name, value in answer.headers:
        if name.lower() not in SKIPPED_HEADERS:
            items = [value] if _HTTP_DATE.match(value) else [v.strip() for v in value.split(",")]
            headers.setdefault(f"header.{name.lower()}", []).extend(items)
    return {"status": answer.status, **headers, "body": answer.body}


def _folded_volatile(docs: Sequence[Any]) -> set[str]:
    """Folded locations whose multiset of values varies between the runs of one version."""
    per_run = []
    for doc in docs:
        seen: dict[str, list[str]] = {}
        for at, value in leaves(doc, ""):
            seen.setdefault(_INDEX.sub("[]", at), []).append(json.dumps(value, sort_keys=True))
        per_run.append({at: sorted(values) for at, values in seen.items()})
    every = set().union(*per_run) if per_run else set()
    return {at for at in every if len({json.dumps(run.get(at)) for run in per_run}) > 1}


def _masked(value: Any, at: str, volatile: set[str]) -> Any:
    """The value with leaves at volatile folded locations masked: an element's identity."""
    if isinstance(value, dict) and value:
        return {k: _masked(v, f"{at}.{k}" if at else k, volatile) for k, v in value.items()}
    if isinstance(value, list) and value:
        return [_masked(v, f"{at}[]", volatile) for v in value]
    return "~" if at in volatile else value


def _fingerprint(value: Any, at: str, volatile: set[str]) -> str:
    return json.dumps(_masked(value, at, volatile), sort_keys=True)


def _arrays(value: Any, at: str) -> Iterator[tuple[str, list[Any]]]:
    """(folded location, array) of every non-empty array in a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _arrays(inner, f"{at}.{key}" if at else key)
    elif isinstance(value, list) and value:
        yield at, value
        for inner in value:
            yield from _arrays(inner, f"{at}[]")


def unordered(docs: Sequence[Any]) -> set[str]:
    """Folded array locations whose element order varies between the runs of one version."""
    volatile = _folded_volatile(docs)
    orders: dict[str, set[str]] = {}
    contents: dict[str, set[str]] = {}
    for doc in docs:
        for at, array in _arrays(doc, ""):
            prints = [_fingerprint(v, f"{at}[]", volatile) for v in array]
            orders.setdefault(at, set()).add(json.dumps(prints))
            contents.setdefault(at, set()).add(json.dumps(sorted(prints)))
    return {at for at, seen in orders.items() if len(seen) > 1 and len(contents[at]) == 1}


def canonical(value: Any, at: str, sort: set[str], volatile: set[str]) -> Any:
    """The value with every array at a location in `sort` sorted by element identity."""
    if isinstance(value, dict):
        return {k: canonical(v, f"{at}.{k}" if at else k, sort, volatile) for k, v in value.items()}
    if isinstance(value, list):
        inner = [canonical(v, f"{at}[]", sort, volatile) for v in value]
        if at in sort:
            key = lambda v: (_fingerprint(v, f"{at}[]", volatile), json.dumps(v, sort_keys=True))  # noqa: E731
            inner.sort(key=key)
        return inner
    return value


def _differences(legacy: list[dict[str, Any]], candidate: list[dict[str, Any]]) -> Iterator[str]:
    """`location kind` of each way the flattened answers of two versions differ."""
    for at in sorted(set().union(*legacy, *candidate)):
        old = [run.get(at, _ABSENT) for run in legacy]
        new = [run.get(at, _ABSENT) for run in candidate]
        folded = _INDEX.sub("[]", at)
        old_kinds = {kind_of(v) for v in old if v is not _ABSENT}
        new_kinds = {kind_of(v) for v in new if v is not _ABSENT}
        if old_kinds and not any(v is not _ABSENT for v in new) and _ABSENT not in old:
            yield f"{folded} missing"
        elif new_kinds and not any(v is not _ABSENT for v in old) and _ABSENT not in new:
            yield f"{folded} added"
        elif old_kinds and new_kinds and old_kinds != new_kinds:
            yield f"{folded} type"
        elif _stable(old) and _stable(new) and old[0] != new[0] and _ABSENT not in (old[0], new[0]):
            yield f"status {old[0]}->{new[0]}" if at == "status" else f"{folded} value"


def _stable(values: list[Any]) -> bool:
    first = json.dumps(values[0], sort_keys=True, default=str)
    return all(json.dumps(v, sort_keys=True, default=str) == first for v in values[1:])


def label(legacy: Sequence[Answer], candidate: Sequence[Answer]) -> Label:
    """The label of one request from every run's answer of each version."""
    docs = [document(a) for a in legacy], [document(a) for a in candidate]
    sort = unordered(docs[0]) | unordered(docs[1])
    volatile = _folded_volatile(docs[0]) | _folded_volatile(docs[1])
    flat = [[dict(leaves(canonical(d, "", sort, volatile), "")) for d in run] for run in docs]
    causes = frozenset(_differences(flat[0], flat[1]))
    return Label(bool(causes), causes)


def label_workload(
    legacy: Sequence[Sequence[Answer]], candidate: Sequence[Sequence[Answer]]
) -> list[Label]:
    """Each request's label from whole-workload runs (one answer list per fresh instance)."""
    return [
        label([run[i] for run in legacy], [run[i] for run in candidate])
        for i in range(len(legacy[0]))
    ]
