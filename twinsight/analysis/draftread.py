"""`spec new`'s reading of a store: the endpoints its traffic shows and the legacy's answers,
handed to the pure drafting of `drafts`.

Endpoints are inferred as analysis infers them (`Endpoints`), with one difference: a
path that ends in `/` keeps it in its template, since templates match exactly. A path
with an empty segment (`/v1//`) is an endpoint of its own that no template can write. An
endpoint whose inferred template cannot be written as a spec template (`/{id}.xml`), or
does not match the paths it came from, is left out and named.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from twinsight.records import PRIMARY_TARGET
from twinsight.spec import PathTemplate, PathTemplateError
from twinsight.store import Store

from .drafts import Draft, Observed, draft_spec
from .endpoints import Endpoints
from .load import Stored, read_exchanges
from .scenarios import response_variables

__all__ = ["DraftRead", "draft_from_store"]


@dataclass(frozen=True)
class DraftRead:
    """The draft, and the endpoints that could not be bound (with why)."""

    draft: Draft
    left_out: tuple[str, ...]


def draft_from_store(
    path: Path | None, segments: Path | None, patterns: Sequence[str] = ()
) -> DraftRead:
    """A draft spec of the legacy's answers in a store; `patterns` (globs over `METHOD
    /template` or `/template`) keep only the endpoints they name."""
    with Store.open(path, segments) as store:
        endpoints = Endpoints()
        endpoints.learn_paths(store.paths())
        bindings, left_out, hosts = _bindings(store, endpoints, patterns)
        feature = f"Behaviour of {', '.join(sorted(hosts))}" if hosts else _named(path, segments)
        draft = draft_spec(feature, bindings, _observed(store))
    return DraftRead(draft, tuple(sorted(left_out)))


def _named(path: Path | None, segments: Path | None) -> str:
    where = path if path is not None else segments
    return f"Behaviour recorded in {where.name if where is not None else 'the store'}"


def _answered(store: Store) -> Iterator[Stored]:
    for stored in read_exchanges(store):
        legacy = stored.answers.get(PRIMARY_TARGET)
        if legacy is not None and legacy.status is not None and legacy.error is None:
            yield stored


def _observed(store: Store) -> Iterator[Observed]:
    for stored in _answered(store):
        yield Observed(stored.request, response_variables(stored.answers[PRIMARY_TARGET]))


def _bindings(
    store: Store, endpoints: Endpoints, patterns: Sequence[str]
) -> tuple[list[tuple[str, str]], set[str], set[str]]:
    """The (method, template) of every endpoint the legacy answered that `patterns` keep,
    the endpoints left out, and the hosts the requests named."""
    bindings: dict[tuple[str, str], None] = {}
    left_out: set[str] = set()
    hosts: set[str] = set()
    for stored in _answered(store):
        request = stored.request
        if host := request.headers.get("host"):
            hosts.add(host)
        method, template = endpoints.of(request.method, request.path).split(" ", 1)
        if request.path.endswith("/") and not template.endswith("/"):
            template += "/"
        if patterns and not any(
            fnmatchcase(f"{method} {template}", p) or fnmatchcase(template, p) for p in patterns
        ):
            continue
        if (method, template) in bindings:
            continue
        try:
            fits = PathTemplate(template).match(request.path) is not None
        except PathTemplateError:
            fits = False
        if fits:
            bindings[(method, template)] = None
        else:
            left_out.add(f"{method} {template}")
    # An endpoint left out for one path may be bound by another: say only what is missing.
    return list(bindings), left_out - {f"{m} {t}" for m, t in bindings}, hosts
