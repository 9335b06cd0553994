"""Cluster fingerprints: a short, versioned name for one cause, stable across runs.

A cause is (location group, kind, value pattern) and whether it is inferred noise: the
clustering key of `clusters.cluster`, without the endpoints (a cause that reaches one more
endpoint stays the same cluster). The name is `c1-` and 10 hex digits of a SHA-256 over
that key, the version first, so the same cause has the same name in every run, store and
machine. Changing what goes into the hash means a new version (`c2-`), as Sentry versions
its grouping: names of one version are never compared with another's.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from twinsight.errors import UserError

__all__ = ["DIGITS", "VERSION", "CauseKey", "fingerprint", "fingerprints", "resolve"]

VERSION = "c1"
"""The grouping version: the prefix of every fingerprint it gives."""
DIGITS = 10
"""Hex digits of the hash kept: 40 bits, so a store would need about a million causes
for an even chance that two share a name (`fingerprints` then tells them apart)."""


class CauseKey(NamedTuple):
    """What makes a cluster itself, whatever its endpoints."""

    location: str  # the location group: array indexes folded (`body.items[*].id`)
    kind: str
    pattern: str
    noise: bool  # inferred noise is clustered apart from real differences


def fingerprint(key: CauseKey) -> str:
    """`c1-` and 10 hex digits naming the cause `key`; the same everywhere, always."""
    # Unit separators keep ("a.b", "c") and ("a", "b.c") apart; noise as a fixed word.
    text = "\x1f".join((VERSION, key.location, key.kind, key.pattern, "noise" * key.noise))
    return f"{VERSION}-{hashlib.sha256(text.encode()).hexdigest()[:DIGITS]}"


def fingerprints(keys: Sequence[CauseKey], tiebreaks: Sequence[str] = ()) -> list[str]:
    """The fingerprint of each of `keys`, in order, unique among them.

    Two keys sharing a name (the same key twice, or two hashes alike in 40 bits) are told
    apart whatever their order: sorted by key, then by `tiebreak` (e.g. the endpoints), the
    first keeps the name and the others get `-2`, `-3`, ..."""
    ties = list(tiebreaks) or [""] * len(keys)
    names = [fingerprint(k) for k in keys]
    sharing: dict[str, list[int]] = defaultdict(list)
    for at, name in enumerate(names):
        sharing[name].append(at)
    for name, places in sharing.items():
        ranked = sorted(places, key=lambda at: (keys[at], ties[at], at))
        for n, at in enumerate(ranked[1:], 2):
            names[at] = f"{name}-{n}"
    return names


def resolve(prefixes: Iterable[str], known: Iterable[str]) -> list[str]:
    """The fingerprint each of `prefixes` names, in order: a full fingerprint or a prefix
    only one of `known` starts with (as git takes a commit); UserError otherwise."""
    names = sorted(set(known))
    found = []
    for prefix in prefixes:
        wanted = prefix.strip().lower()
        if wanted in names:
            found.append(wanted)
            continue
        matching = [n for n in names if wanted and n.startswith(wanted)]
        if not matching:
            raise UserError(
                f"cluster {prefix!r}: no cluster of the last analysis has this fingerprint "
                "(twinsight analyze lists them)"
            )
        if len(matching) > 1:
            shown = ", ".join(matching[:5]) + (", ..." if len(matching) > 5 else "")
            raise UserError(
                f"cluster {prefix!r} is ambiguous: {len(matching)} clusters start with it "
                f"({shown}); give more digits"
            )
        found.append(matching[0])
    return found
