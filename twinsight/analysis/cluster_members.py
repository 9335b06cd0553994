"""The exchanges of a cluster, kept without holding every id: how many, the first few and the
last in stream order, and a digest of the set.

A cluster of a million exchanges needs its ids for three things only: to show and propose
from the first few, to say when it was last seen, and to link clusters of exactly the same
exchanges (`clusters._link`). The digest stands in for the set in that last one: the sum of
each id's 64-bit hash, so the parts of a stream judged apart add up to the whole, and two
sets of one size share a digest by chance once in ~10^19 pairs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FIRST_KEPT", "Members", "id_digest"]

FIRST_KEPT = 20
"""Ids kept of a cluster and of each of its endpoints: the most a report samples of an
endpoint (`Cluster.sample_ids`) or a proposal builds on."""
_MASK = (1 << 64) - 1


def id_digest(exchange_id: str) -> int:
    """One id's share of a set's digest."""
    return int.from_bytes(hashlib.blake2b(exchange_id.encode(), digest_size=8).digest(), "big")


@dataclass
class Members:
    """Exchanges added one at a time, in stream order, each once."""

    count: int = 0
    first: list[str] = field(default_factory=list)
    last: str | None = None
    digest: int = 0

    def add(self, exchange_id: str, digest: int) -> None:
        """One more exchange (`digest`: its `id_digest`), after every one added before."""
        self.count += 1
        if len(self.first) < FIRST_KEPT:
            self.first.append(exchange_id)
        self.last = exchange_id
        self.digest = (self.digest + digest) & _MASK

    def merge(self, later: Members) -> None:
        """Add the exchanges of `later`, none of them added here, as if added after these."""
        self.count += later.count
        self.first += later.first[: FIRST_KEPT - len(self.first)]
        self.last = later.last if later.count else self.last
        self.digest = (self.digest + later.digest) & _MASK

    def state(self) -> dict[str, Any]:
        """What `of_state` takes back, as JSON values."""
        return {"count": self.count, "first": self.first, "last": self.last, "digest": self.digest}

    @classmethod
    def of_state(cls, state: dict[str, Any]) -> Members:
        """The members `state` kept."""
        return cls(state["count"], list(state["first"]), state["last"], int(state["digest"]))
