"""Whether a replayed exchange can be compared at all.

A replay sent without the recording's credentials gets an authentication failure from both
targets: two identical 401s are no evidence that the candidate behaves like the legacy, so
such an exchange is `not_comparable`, decided before any difference could make it `match`.

Pure: the two answers, and what the store says of the recording it replays, in; a reason
or None out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .diff import Message

__all__ = [
    "AUTH_FAILURES",
    "Replayed",
    "degraded_kind",
    "degraded_kinds",
    "not_comparable",
]

AUTH_FAILURES = frozenset({401, 403, 407})
"""Statuses that say the request was not authenticated or not authorized."""

REDACTED_SENT = "a redacted value sent as-is"
CREDENTIAL_MISSING = "a credential left out"
FROM_OPTION = "a value from --header"
_LOSSY = frozenset({REDACTED_SENT, CREDENTIAL_MISSING})
"""Note kinds that can turn an answer into an authentication failure."""


@dataclass(frozen=True)
class Replayed:
    """What the store knows of the recording a replayed exchange repeats."""

    recorded_status: int | None = None
    """The recorded legacy answer's status; None when the recording is not in this store
    or had no status."""
    degraded: tuple[str, ...] = ()
    """The replay's notes on what it substituted or left out of this request."""


def degraded_kind(note: str) -> str:
    """The kind of one replay note, for counting: a redacted value sent as-is, a credential
    left out, a value from --header, or the note itself."""
    text = note.lower()
    if "sent as-is" in text:
        return REDACTED_SENT
    if "no credential" in text or "left out" in text:
        return CREDENTIAL_MISSING
    if "--header" in text:
        return FROM_OPTION
    return note


def degraded_kinds(notes: Iterable[tuple[Sequence[str], int]]) -> Counter[str]:
    """Exchanges per note kind, from (one exchange's notes, how many exchanges carry them):
    an exchange with two notes of one kind counts once for it."""
    found: Counter[str] = Counter()
    for items, exchanges in notes:
        for kind in {degraded_kind(note) for note in items}:
            found[kind] += exchanges
    return found


def not_comparable(legacy: Message, candidate: Message, replayed: Replayed | None) -> str | None:
    """Why this exchange cannot be compared, or None when it can.

    Not comparable: (a) both targets answered an authentication failure where the recording
    it replays was answered otherwise, or (b) the replay left a credential out or sent a
    redacted one as-is, and either target answered an authentication failure.
    """
    if replayed is None:
        return None
    refused = [f"{name} {m.status}" for name, m in (("legacy", legacy), ("candidate", candidate))]
    failed = [_auth_failure(legacy), _auth_failure(candidate)]
    recorded = replayed.recorded_status
    if all(failed) and recorded is not None and recorded not in AUTH_FAILURES:
        return (
            f"authentication failed on both targets ({', '.join(refused)}) where the recording "
            f"was answered {recorded}: the replay was not authenticated"
        )
    lossy = [note for note in replayed.degraded if degraded_kind(note) in _LOSSY]
    if lossy and any(failed):
        said = ", ".join(r for r, f in zip(refused, failed, strict=True) if f)
        return f"degraded replay ({lossy[0]}) and authentication failed ({said})"
    return None


def _auth_failure(message: Message) -> bool:
    return message.error is None and message.status in AUTH_FAILURES
