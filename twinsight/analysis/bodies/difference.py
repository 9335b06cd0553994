"""What every comparer of bodies beyond JSON reports: one atomic difference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twinsight.analysis.jsondiff import Kind

__all__ = ["BodyDifference"]


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
