"""Normalization rules and accepted differences: which differences do not count, and why.

A rule is scoped by `where` (`[METHOD] [/path/{param}] location`, the location a
difference's group such as `body.items[*].created_at`, `*` matching any run of
characters) and says how to compare there. Rules from `[[normalize]]` in the
config make a difference noise; the spec's `accepted` entries make it explained.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from twinsight.spec import PathTemplate, parse_where

from .diff import Difference
from .shapes import shape_of

__all__ = ["Compare", "Origin", "Rule", "covering_rule"]

Compare = Literal["ignore", "shape", "tolerance", "unordered", "regex", "case_insensitive"]
Origin = Literal["normalize", "accepted"]


@dataclass(frozen=True)
class Rule:
    """Where a difference does not count, how to compare there, and why."""

    location: str
    compare: Compare = "ignore"
    origin: Origin = "normalize"
    method: str | None = None
    path: PathTemplate | None = None
    tolerance: float | None = None
    pattern: str | None = None
    why: str = ""

    @classmethod
    def parse(cls, where: str, **fields: Any) -> Rule:
        """A rule from its `where` text; ValueError if it does not read."""
        parts = parse_where(where)
        if parts is None:
            raise ValueError(f"cannot read where {where!r}: '[METHOD] [/path] location'")
        method, path, location = parts
        return cls(location, method=method, path=PathTemplate(path) if path else None, **fields)

    @property
    def where(self) -> str:
        """The rule's scope as written."""
        return " ".join(p for p in (self.method, self.path and self.path.text, self.location) if p)

    def scopes(self, method: str, path: str, group: str) -> bool:
        """Whether the rule speaks about this location of this request."""
        if self.method is not None and self.method != method.upper():
            return False
        if self.path is not None and self.path.match(path.split("?", 1)[0]) is None:
            return False
        return group == self.location or _glob(self.location).fullmatch(group) is not None

    def covers(self, difference: Difference) -> bool:
        """Whether, compared this rule's way, the two values are equal."""
        a, b = difference.legacy, difference.candidate
        if self.compare == "ignore":
            return True
        if self.compare == "unordered":
            return difference.kind == "order"
        if difference.kind in ("missing", "extra"):
            return False  # presence is never a matter of comparison
        if self.compare == "shape":
            return shape_of(a) == shape_of(b)
        if self.compare == "tolerance":
            return _numbers(a, b) and abs(a - b) <= (self.tolerance or 0)
        if self.compare == "case_insensitive":
            return isinstance(a, str) and isinstance(b, str) and a.casefold() == b.casefold()
        masked = re.compile(self.pattern or "")
        return isinstance(a, str) and isinstance(b, str) and masked.sub("", a) == masked.sub("", b)


@functools.cache
def _glob(pattern: str) -> re.Pattern[str]:
    # Only `*` is special: `[*]` in a location is literal, not a character class.
    return re.compile(re.escape(pattern).replace(r"\*", ".*"))


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))


def covering_rule(
    difference: Difference, rules: Sequence[Rule] | Iterable[Rule], method: str, path: str
) -> Rule | None:
    """The first rule in scope under which `difference` is no difference, if any."""
    group = difference.group
    for rule in rules:
        if rule.scopes(method, path, group) and rule.covers(difference):
            return rule
    return None
