"""What a cluster's detectors ask of its (legacy, candidate) pairs, folded one pair at a time.

A cluster of a million exchanges keeps a few of its exchange ids, not a million pairs:
each detector asks something true of every pair (`all(...)`), of some pair (`any(...)`) or
of the set of numeric offsets, and each of those folds as the pairs come and merges across
the parts of a stream judged in other processes (or kept by an earlier run). The few pairs
shown as examples are kept apart (`Examples`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .diff import Difference
from .shapes import starts_as_timestamp

__all__ = ["Examples", "PairFacts"]


@dataclass
class PairFacts:
    """Facts about every pair of one cluster (of one kind) added so far."""

    count: int = 0
    legacy_present: bool = True
    """Every legacy value is not None."""
    shown_null: bool = True
    """Every value the one side shows (the legacy's when the candidate leaves it out, else
    the candidate's) is None."""
    same_text: bool = True
    """Every pair reads alike as text: `5` and `"5"`."""
    same_minute: bool = True
    """Every pair is two timestamps of the same minute."""
    case_or_space: bool = True
    """Every pair is two different strings alike but for case and whitespace."""
    texts: bool = True
    """Every pair is two strings."""
    numbers: bool = True
    """Every value is a number (not a boolean)."""
    offset: float | None = None
    """Candidate minus legacy of the first pair, while `numbers` (None once not)."""
    one_offset: bool = True
    """Every pair's offset is `offset` (False once a value is no number)."""
    statuses: bool = False
    """Some pair is two integers (status codes)."""
    same_family: bool = True
    """Every pair of two integers is of one hundred (`201`, `200`)."""

    @classmethod
    def of(cls, kind: str, pairs: list[tuple[Any, Any]]) -> PairFacts:
        """The facts of `pairs`, all of `kind`."""
        facts = cls()
        for a, b in pairs:
            facts.add(kind, a, b)
        return facts

    def add(self, kind: str, a: Any, b: Any) -> None:
        """Fold one pair of a cluster of `kind` in (what no detector asks of that kind is
        left as it was: `str()` of a large value is not free)."""
        self.count += 1
        if kind in ("missing", "extra"):
            self.legacy_present = self.legacy_present and a is not None
            self.shown_null = self.shown_null and (a if kind == "missing" else b) is None
        if kind == "type":
            self.same_text = self.same_text and str(a) == str(b)
        both_text = isinstance(a, str) and isinstance(b, str)
        self.texts = self.texts and both_text
        self.case_or_space = self.case_or_space and both_text and _case_or_space(a, b)
        if kind == "changed":
            self.same_minute = self.same_minute and _same_minute(a, b)
            self.numbers = self.numbers and _number(a) and _number(b)
            self._offset(round(b - a, 9) if self.numbers else None, alone=True)
        if isinstance(a, int) and isinstance(b, int):
            self.statuses = True
            self.same_family = self.same_family and a // 100 == b // 100

    def merge(self, other: PairFacts) -> None:
        """Fold in the facts of pairs added to `other` (the same cluster, elsewhere), as if
        they had been added after these."""
        if not other.count:
            return
        if not self.count:
            vars(self).update(vars(other))
            return
        self.count += other.count
        self.legacy_present = self.legacy_present and other.legacy_present
        self.shown_null = self.shown_null and other.shown_null
        self.same_text = self.same_text and other.same_text
        self.same_minute = self.same_minute and other.same_minute
        self.texts = self.texts and other.texts
        self.case_or_space = self.case_or_space and other.case_or_space
        self.numbers = self.numbers and other.numbers
        self._offset(other.offset, alone=other.one_offset)
        self.statuses = self.statuses or other.statuses
        self.same_family = self.same_family and other.same_family

    def _offset(self, offset: float | None, *, alone: bool) -> None:
        # `offset` of the pairs just added, `alone` if it is every one's. Once a value is no
        # number nothing about offsets is asked, so both parts of a stream say the same.
        if not self.numbers:
            self.offset, self.one_offset = None, False
        elif self.offset is None:  # the first numbers
            self.offset, self.one_offset = offset, alone
        else:
            self.one_offset = self.one_offset and alone and offset == self.offset


def _same_minute(a: Any, b: Any) -> bool:
    return starts_as_timestamp(a) and starts_as_timestamp(b) and a[:16] == b[:16]


def _case_or_space(a: str, b: str) -> bool:
    return a != b and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Examples:
    """The `keep` shortest differences of a cluster (by their values' `repr`), the earliest
    first among equally short ones: what a cluster shows, from any number added."""

    keep: int = 3
    added: int = 0
    _kept: list[tuple[int, int, Difference]] = field(default_factory=list)

    def add(self, difference: Difference) -> None:
        """One more difference, after every one added before."""
        size = len(repr((difference.legacy, difference.candidate)))
        self._kept.append((size, self.added, difference))
        self.added += 1
        if len(self._kept) > 4 * self.keep:
            self._trim()

    def merge(self, later: Examples) -> None:
        """Add what `later` kept, as if its differences had been added after these."""
        self._kept += [(size, self.added + n, d) for size, n, d in later._kept]
        self.added += later.added
        self._trim()

    def kept(self) -> tuple[int, list[tuple[int, int, Difference]]]:
        """(how many were added, what is kept of them): `of_kept` takes them back."""
        self._trim()
        return self.added, list(self._kept)

    @classmethod
    def of_kept(cls, keep: int, added: int, kept: list[tuple[int, int, Difference]]) -> Examples:
        """The examples `kept` returned, keeping `keep`."""
        return cls(keep, added, list(kept))

    def shortest(self) -> list[Difference]:
        """The kept differences, shortest first."""
        self._trim()
        return [d for _, _, d in self._kept]

    def _trim(self) -> None:
        self._kept = sorted(self._kept, key=lambda kept: kept[:2])[: self.keep]
