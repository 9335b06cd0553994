"""A spec constraint's words read as a check a load run can measure, where they allow.

Pure: `measurable_check(requirement, measurement)` returns a `LatencyCheck`,
`ErrorRateCheck` or `RateLimitCheck`, or an `Unmeasurable` saying why not. Any text
gives one of these; none raises. The words read: a percentile and its bound
("p95 latency < 100ms"), an error rate ("error rate below 1%"), a rate limit
("rate limit 100 requests per minute per user"), an operation class ("for all read
operations", "for create/update operations", "for all operations except delete") and a
load level ("under load of 1000
requests/second", in the requirement or its measurement).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "HTTP_METHODS",
    "OPERATIONS",
    "Check",
    "ErrorRateCheck",
    "LatencyCheck",
    "RateLimitCheck",
    "Unmeasurable",
    "load_level",
    "measurable_check",
    "methods_of",
]

OPERATIONS = {
    "read": ("GET", "HEAD"),
    "list": ("GET",),
    "create": ("POST",),
    "update": ("PUT", "PATCH"),
    "delete": ("DELETE",),
    "write": ("DELETE", "PATCH", "POST", "PUT"),
}
_BELOW = r"(?P<op><=|=<|<|≤|at most|no more than|under|below|less than)"
_LATENCY = re.compile(
    rf"\bp(?P<point>\d{{1,2}}(?:\.\d+)?)\s+(?:latency|response time)\s*{_BELOW}\s*"
    r"(?P<bound>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)\b",
    re.IGNORECASE,
)
_ERRORS = re.compile(rf"\berror\s+rate\s*{_BELOW}\s*(?P<bound>\d+(?:\.\d+)?)\s*%", re.IGNORECASE)
_LIMIT = re.compile(
    r"\brate\s+limit(?:ed)?\s*(?:of|at|to|:)?\s*(?P<count>\d+)\s*(?:requests?|calls?|req)\s*"
    r"(?:per|/|an?)\s*(?P<per>second|sec|s|minute|min|hour|h)\b(?P<user>\s+per\s+user)?",
    re.IGNORECASE,
)
_LOAD = re.compile(
    r"(?P<rate>\d+(?:\.\d+)?)\s*(?:requests?|req|calls?)?\s*(?:/|per)\s*(?:second|sec|s)\b"
    r"|(?P<rps>\d+(?:\.\d+)?)\s*rps\b",
    re.IGNORECASE,
)
_SECONDS = {"second": 1, "sec": 1, "s": 1, "minute": 60, "min": 60, "hour": 3600, "h": 3600}
_FOR = re.compile(r"\bfor\s+(?P<scope>.+)", re.IGNORECASE)
_ALL = re.compile(r"^all\s+(?:endpoints|operations|requests)\b", re.IGNORECASE)
_EXCEPT = re.compile(r"\b(?:except(?:\s+for)?|but\s+not|other\s+than|excluding)\b", re.I)
# Where a "for ..." clause ends: the load level or a condition follows.
_LOAD_WORDS = re.compile(r"\b(?:under|at|during|while|when|with)\b|[,;(]", re.IGNORECASE)
HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
"""What "all operations" covers when some are excepted."""


@dataclass(frozen=True)
class LatencyCheck:
    """A percentile of latency must stay below a bound, for some methods, at a load level."""

    point: float  # 95 for p95
    bound_ms: float
    inclusive: bool  # "<=", "at most": the bound itself is met
    methods: tuple[str, ...] | None  # None: every method
    load_rps: float | None  # the load the words ask the bound to hold under


@dataclass(frozen=True)
class ErrorRateCheck:
    """The share of failed requests must stay below a bound (a fraction)."""

    bound: float
    inclusive: bool
    methods: tuple[str, ...] | None
    load_rps: float | None


@dataclass(frozen=True)
class RateLimitCheck:
    """Requests beyond `count` per `per_seconds` must be refused (429)."""

    count: int
    per_seconds: int
    per_user: bool

    @property
    def rps(self) -> float:
        """The limit as requests per second."""
        return self.count / self.per_seconds

    def most_accepted(self, seconds: float) -> int:
        """The most requests a service keeping the limit may accept in `seconds`: a span
        of s windows touches up to ceil(s) + 1 fixed windows (a burst at each edge), and a
        token bucket of `count` lets `count` through more than its rate."""
        return self.count * (math.ceil(seconds / self.per_seconds) + 1)


@dataclass(frozen=True)
class Unmeasurable:
    """Words a load run cannot measure, and why."""

    reason: str


Check = LatencyCheck | ErrorRateCheck | RateLimitCheck


def measurable_check(requirement: str, measurement: str | None = None) -> Check | Unmeasurable:
    """The check `requirement` states (its load level also read from `measurement`), or
    an `Unmeasurable` naming what is missing."""
    words = f"{requirement} {measurement or ''}"
    limits = list(_LIMIT.finditer(requirement))
    bounds = [*_LATENCY.finditer(requirement), *_ERRORS.finditer(requirement)]
    if len(limits) + len(bounds) > 1:  # checking the first alone would call them all met
        return Unmeasurable(f"names {len(limits) + len(bounds)} bounds: state one per constraint")
    if limits:
        limit = limits[0]
        per = _SECONDS[limit["per"].lower()]
        return RateLimitCheck(int(limit["count"]), per, limit["user"] is not None)
    found = bounds[0] if bounds else None
    if found is None:
        return Unmeasurable("names no percentile latency, error rate or rate limit")
    methods = methods_of(requirement[found.end() :])
    if isinstance(methods, Unmeasurable):
        return methods
    inclusive = found["op"].lower() in ("<=", "=<", "≤", "at most", "no more than")
    level = load_level(words)
    if "point" in found.groupdict():
        scale = 1000 if found["unit"].lower() == "s" else 1
        bound = float(found["bound"]) * scale
        return LatencyCheck(float(found["point"]), bound, inclusive, methods, level)
    return ErrorRateCheck(float(found["bound"]) / 100, inclusive, methods, level)


def methods_of(rest: str) -> tuple[str, ...] | Unmeasurable | None:
    """The methods a "for ..." clause names: None for all (or no clause), else the
    methods of its operation words less those after "except" ("for all operations except
    delete and update"); `Unmeasurable` when a part names no operation class we know."""
    clause, excepted = _FOR.search(rest), _EXCEPT.search(rest)
    if clause is not None:
        scope = clause["scope"]
    elif excepted is not None:  # "p95 latency < 1s except deletes": all operations but those
        scope = "all operations " + rest[excepted.start() :]
    else:
        return None
    scope = _LOAD_WORDS.split(scope, maxsplit=1)[0].strip()
    wanted, *rest_of = (part.strip() for part in _EXCEPT.split(scope, maxsplit=1))
    unwanted = rest_of[0] if rest_of else ""
    included = set(HTTP_METHODS) if _ALL.match(wanted) else _named_methods(wanted)
    excluded = _named_methods(unwanted) if unwanted else set()
    for words, methods in ((wanted, included), (unwanted, excluded)):
        if words and not methods:
            return Unmeasurable(f"'{words}' names no operation class (read, create, ...)")
    if not excluded and _ALL.match(wanted):
        return None
    chosen = included - excluded
    if not chosen:
        return Unmeasurable(f"'for {scope}' leaves no operation to measure")
    return tuple(sorted(chosen))


def _named_methods(words: str) -> set[str]:
    names = re.findall(r"[a-z]+", words.lower())
    return {m for w in names for k, ms in OPERATIONS.items() if w.startswith(k) for m in ms}


def load_level(words: str) -> float | None:
    """The request rate `words` name ("1000 requests/second", "50 rps"), if any."""
    found = _LOAD.search(words)
    if found is None:
        return None
    return float(found["rate"] or found["rps"])
