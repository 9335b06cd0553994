"""The exchanges of a cluster, kept without holding every id: how many, the smallest few and
the largest, and a digest of the set.

A cluster of a million exchanges needs its ids for three things only: to show and propose
from the earliest few, to say when it was last seen, and to link clusters of exactly the
same exchanges (`clusters._link`). Ids sort by the time an exchange was made (or, imported,
recorded), so the smallest are the earliest whichever run judged them. The digest stands in
for the set in the last: the sum of each id's 64-bit hash, so the parts of a stream judged
apart (or by an earlier run) add up to the whole, and two sets of one size share a digest
by chance once in ~10^19 pairs.
"""

from __future__ import annotations

import bisect
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
    """Exchanges added one at a time, each once; what is kept does not depend on the order
    they came in, so an incremental run keeps what a full one would."""

    count: int = 0
    first: list[str] = field(default_factory=list)
    """The FIRST_KEPT smallest ids, in order."""
    last: str | None = None
    """The largest id."""
    digest: int = 0

    def add(self, exchange_id: str, digest: int) -> None:
        """One more exchange (`digest`: its `id_digest`), not added before."""
        self.count += 1
        first = self.first
        if len(first) < FIRST_KEPT or exchange_id < first[-1]:
            bisect.insort(first, exchange_id)
            del first[FIRST_KEPT:]
        if self.last is None or exchange_id > self.last:
            self.last = exchange_id
        self.digest = (self.digest + digest) & _MASK

    def merge(self, other: Members) -> None:
        """Add the exchanges of `other`, none of them added here."""
        self.count += other.count
        self.first = sorted([*self.first, *other.first])[:FIRST_KEPT]
        if other.last is not None and (self.last is None or other.last > self.last):
            self.last = other.last
        self.digest = (self.digest + other.digest) & _MASK

    def state(self) -> dict[str, Any]:
        """What `of_state` takes back, as JSON values."""
        return {"count": self.count, "first": self.first, "last": self.last, "digest": self.digest}

    @classmethod
    def of_state(cls, state: dict[str, Any]) -> Members:
        """The members `state` kept."""
        return cls(state["count"], list(state["first"]), state["last"], int(state["digest"]))
