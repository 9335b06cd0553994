"""`twinsight load --credentials FILE`: recorded tokens restored per target, users told apart.

The same file `twinsight replay --credentials` reads. A recorded request carries each
secret as a redaction marker; the load sends the real value to each target (its own
section over the common one for headers, the common one for query and body, as replay
does) and leaves out a header whose marker has no value. Requests carrying different
credentials are different users: each locust user then holds one identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from twinsight.load.plan import LoadRequest, identities, identity_of
from twinsight.replay.credentials import Credentials, load_credentials
from twinsight.replay.restore import has_marker, restore_body, restore_header, restore_query

__all__ = ["read_credentials", "restored", "secrets_of", "with_identities"]


def read_credentials(path: Path | None, targets: Mapping[str, object]) -> Credentials:
    """The credentials file at `path`, resolved; none when no file is given."""
    return load_credentials(path, targets) if path is not None else Credentials()


def with_identities(
    requests: Sequence[LoadRequest], credentials: Credentials, targets: Sequence[str]
) -> list[LoadRequest]:
    """`requests`, each numbered by the credentials it is sent with to every target."""
    known = frozenset.intersection(
        frozenset(credentials.tokens), *(frozenset(credentials.for_target(t)) for t in targets)
    )
    numbers = identities([identity_of(r.headers, known) for r in requests])
    return [replace(r, identity=n) for r, n in zip(requests, numbers, strict=True)]


def restored(
    requests: Sequence[LoadRequest], credentials: Credentials, target: str
) -> tuple[list[LoadRequest], int]:
    """(`requests` as sent to `target`, how many went without a credential they were
    recorded with)."""
    known = credentials.for_target(target)
    found, short = [], 0
    for request in requests:
        headers, left_out = _headers(request.headers, known)
        path, mark, query = request.target.partition("?")
        query, in_query = restore_query(query, credentials.common) if mark else ("", [])
        kind = next((v for k, v in request.headers if k.lower() == "content-type"), None)
        body, in_body = restore_body(request.body, kind, credentials.common)
        short += bool(left_out or in_query or in_body)
        target_path = f"{path}?{query}" if mark else path
        found.append(replace(request, target=target_path, headers=headers, body=body))
    return found, short


def _headers(
    headers: Sequence[tuple[str, str]], known: Mapping[str, str]
) -> tuple[tuple[tuple[str, str], ...], bool]:
    kept, left_out = [], False
    for name, value in headers:
        if not has_marker(value):
            kept.append((name, value))
            continue
        real, notes = restore_header(name, value, known)
        left_out = left_out or bool(notes)
        if real is not None:
            kept.append((name, real))
    return tuple(kept), left_out


def secrets_of(credentials: Credentials, targets: Sequence[str]) -> frozenset[str]:
    """Every value the credentials hold for `targets`: never to be shown or passed on."""
    return frozenset(v for t in targets for v in credentials.for_target(t).values() if v)
