"""Bodies beyond JSON: the structured comparers, tried in turn on a pair of bodies.

Each comparer takes both bodies with their declared media types and returns the
differences at its own locations (`body.{ns}order.@id`, `body.form.email`, ...), or None
when the pair is not its kind; the first that speaks decides. A pair no comparer claims
is compared as text, line by line. Adding a kind of body is one comparer in `COMPARERS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .difference import BodyDifference
from .formdiff import diff_form_bodies
from .htmldiff import diff_html_bodies
from .linediff import diff_line_bodies
from .xmlbody import diff_xml_bodies

__all__ = ["COMPARERS", "BodyDifference", "Comparer", "diff_structured"]


class Comparer(Protocol):
    """(legacy body, its media type, candidate body, its media type) -> differences, or None;
    `lists`: element paths, indexes left out, that repeat in other answers (so one appearing
    once is still indexed: one field, one location). XML, forms and line formats honour
    them; HTML pages do not yet (their elements are indexed by what one answer holds)."""

    def __call__(
        self,
        legacy: bytes,
        legacy_type: str | None,
        candidate: bytes,
        candidate_type: str | None,
        *,
        lists: frozenset[str] = ...,
    ) -> Sequence[BodyDifference] | None: ...


# Pages first: an XHTML page (`application/xhtml+xml`) is compared as a page, not as XML.
COMPARERS: tuple[Comparer, ...] = (
    diff_html_bodies,
    diff_xml_bodies,
    diff_form_bodies,
    diff_line_bodies,
)


def diff_structured(
    legacy: bytes,
    legacy_type: str | None,
    candidate: bytes,
    candidate_type: str | None,
    *,
    lists: frozenset[str] = frozenset(),
) -> Sequence[BodyDifference] | None:
    """The first comparer's differences that claims this pair of bodies; None: none does."""
    for comparer in COMPARERS:
        found = comparer(legacy, legacy_type, candidate, candidate_type, lists=lists)
        if found is not None:
            return found
    return None
