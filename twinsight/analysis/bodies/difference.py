"""What every comparer of bodies beyond JSON reports: one atomic difference."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from twinsight.analysis.jsondiff import Kind

__all__ = ["BodyDifference", "presence"]


@dataclass(frozen=True, slots=True)
class BodyDifference:
    """One atomic difference at a rendered location (`body.{ns}order.@id`, `body.tag[1]`,
    `body.html.body.h1`); values are strings (absent: None)."""

    location: str
    kind: Kind
    legacy: Any
    candidate: Any
    summary: str = ""

    def swapped(self) -> BodyDifference:
        """The same difference seen from the other side."""
        kind: Kind = {"missing": "extra", "extra": "missing"}.get(self.kind, self.kind)  # type: ignore[assignment]
        return BodyDifference(self.location, kind, self.candidate, self.legacy, self.summary)


def presence(location: str, a: str | None, b: str | None) -> Iterator[BodyDifference]:
    """The difference of two values at `location`, either absent (None): nothing, `missing`,
    `extra` or `changed`."""
    if a == b:
        return
    if b is None:
        yield BodyDifference(location, "missing", a, None)
    elif a is None:
        yield BodyDifference(location, "extra", None, b)
    else:
        yield BodyDifference(location, "changed", a, b)
