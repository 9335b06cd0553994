"""Inferred noise: without a replica, evidence in one exchange that a difference is no one's doing.

Pure functions. Each judges one difference on its two values and the exchange's own
evidence (`Evidence`):

- `time`: both values read as times of one format (ISO 8601, HTTP-date, epoch seconds
  or milliseconds, bare or as an ETag) and each falls inside the time its side took to
  answer, or neither does and they lie within the clock tolerance of each other (one
  earlier event, such as a mirrored write, stamped by each side);
- `opaque`: both values are high-entropy strings of one shape (UUIDs, hex digests of one
  length, base64 nonces, salted hashes such as `$2b$12$...`), made fresh per exchange: not
  at a location where the legacy served one token in two exchanges (`TokenEvidence`, found
  over all exchanges), a digest of the content rather than a nonce;
- `correlated id`: the pair (legacy value, candidate value) is one the traffic learned
  (`correlations`: the proxy or replay learned it from a create's answers or rewrote a
  later request with it);
- an address (`Location`, `Link`, a `next` URL) of one structure on both sides whose
  differing parts (path segments, query values) are each one of the above;
- `unstable order`: an array holding the same items in another order (an `order`
  difference), at a location where the legacy itself served one set in several orders
  (`order.UnstableOrder`, found over all exchanges).

Safeguards: only a changed value is ever inferred (a location one side leaves out or adds
is not); a value whose format or shape differs between the sides (ISO vs epoch, a number
vs a string, a hash of another length, a time outside its window) is not, unless the pair
itself was correlated. What is inferred stays labelled as such (`inferred: ...`).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

from .bodies.fieldstrings import field_strings
from .bodies.htmldiff import html_strings
from .bodies.xmlbody import xml_strings
from .classify import INFERRED_PREFIX
from .diff import NOT_JSON, Difference, Message
from .inference_values import REDACTED, address_parts, opaque_shape, time_of
from .jsondiff import Path, render_path
from .kept_fact import Fact

__all__ = ["Evidence", "TokenEvidence", "Window", "infer", "inferred_noise"]


@dataclass(frozen=True)
class Window:
    """When one side answered: from the request's start to its answer, in epoch seconds."""

    start: float
    end: float

    @classmethod
    def of(cls, start: float | None, latency_ms: float | None) -> Window | None:
        """The window of an answer started at `start` taking `latency_ms` (None: unknown)."""
        if start is None:
            return None
        return cls(start, start + max(latency_ms or 0.0, 0.0) / 1000)

    def holds(self, moment: float, tolerance: float) -> bool:
        """Whether `moment` falls inside the window widened by `tolerance` seconds."""
        # Times written to the second are truncated: a whole second more before the start.
        return self.start - tolerance - 1 <= moment <= self.end + tolerance


@dataclass(frozen=True)
class Evidence:
    """What one exchange shows about its own values, for one candidate."""

    legacy: Window | None = None
    candidate: Window | None = None
    correlated: Set[tuple[str, str]] = frozenset()
    """(legacy value, candidate value) pairs learned from the traffic."""
    tolerance: float = 5.0
    """Seconds of clock skew allowed between a target and the recorder."""
    unstable: frozenset[str] = frozenset()
    """Location groups of this exchange's endpoint whose order the legacy does not keep."""
    repeated: frozenset[str] = frozenset()
    """Location groups of this exchange's endpoint where the legacy served one token twice."""
    learned_only: bool = False
    """Only what the traffic learned counts (correlated ids): a replica judges the rest, except
    at `volatile` locations."""
    volatile: frozenset[str] = frozenset()
    """Location groups of this exchange's endpoint where the replica differed from the legacy
    at least once: times and tokens there are inferred even beside a replica."""

    def assumes(self, group: str) -> bool:
        """Whether times and tokens at `group` may be inferred noise."""
        return not self.learned_only or group in self.volatile


def inferred_noise(difference: Difference, evidence: Evidence) -> str | None:
    """The noise reason inferred for `difference` (`inferred: ...`), or None: it is real."""
    kind = infer(difference, evidence)
    return None if kind is None else INFERRED_PREFIX + kind


def infer(difference: Difference, evidence: Evidence) -> str | None:
    """`time`, `opaque`, `correlated id` or `unstable order` when the evidence shows
    `difference` is noise."""
    if difference.kind == "order":
        group = difference.group
        return "unstable order" if group in evidence.unstable and evidence.assumes(group) else None
    if difference.kind not in ("changed", "type"):
        return None  # a location left out or added is never noise
    legacy, candidate = difference.legacy, difference.candidate
    if _correlated(legacy, candidate, evidence.correlated):
        return "correlated id"
    if not evidence.assumes(difference.group):
        return _address(legacy, candidate, difference.group, evidence)
    if difference.kind != "changed":
        return None
    return _value(legacy, candidate, difference.group, evidence) or _address(
        legacy, candidate, difference.group, evidence
    )


def _value(legacy: Any, candidate: Any, group: str, evidence: Evidence) -> str | None:
    if _both_times(legacy, candidate, group, evidence):
        return "time"
    if group not in evidence.repeated and _both_opaque(legacy, candidate, group):
        return "opaque"
    return None


def _address(legacy: Any, candidate: Any, group: str, evidence: Evidence) -> str | None:
    # An address (`Location`, `Link`, a `next` URL) differing only in parts that are noise
    # each: `/tasks/17?page_token=Zm9v` against `/tasks/0b5e...?page_token=YmFy`.
    ours, theirs = address_parts(legacy), address_parts(candidate)
    if ours is None or theirs is None or len(ours) != len(theirs):
        return None
    found = set()
    for (part, mine), (other_part, yours) in zip(ours, theirs, strict=True):
        if part != other_part:
            return None  # another parameter, or another number of segments
        if mine == yours:
            continue
        if (mine, yours) in evidence.correlated:
            found.add("correlated id")
            continue
        kind = _value(mine, yours, group, evidence) if evidence.assumes(group) else None
        if kind is None:
            return None
        found.add(kind)
    return min(found - {"correlated id"}, default=None) or ("correlated id" if found else None)


def _correlated(legacy: Any, candidate: Any, pairs: Set[tuple[str, str]]) -> bool:
    if not pairs or not _scalar(legacy) or not _scalar(candidate):
        return False
    return (str(legacy), str(candidate)) in pairs


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _both_times(legacy: Any, candidate: Any, group: str, evidence: Evidence) -> bool:
    if evidence.legacy is None or evidence.candidate is None:
        return False  # without windows, "stamped now" and "stamped before" look alike
    ours, theirs = time_of(legacy), time_of(candidate)
    if ours is None or theirs is None or ours.format != theirs.format:
        return False
    tolerance = evidence.tolerance
    now = (
        evidence.legacy.holds(ours.moment, tolerance),
        evidence.candidate.holds(theirs.moment, tolerance),
    )
    if all(now):
        return True  # each side stamped its own answer
    if any(now):
        return False  # one side's time now, the other's from before: a time not bumped
    # Neither is this answer's time: one earlier event (a mirrored write, its `updated_at`
    # or `Last-Modified`), stamped by each side as it reached it: close to each other, in
    # the recent past, and where a bare number is a time by its name, not by its digits
    # (an ISBN or a phone number can read as epoch seconds or milliseconds).
    recent = all(
        0 < window.start - moment <= EARLIER_EVENT_HORIZON_S
        for window, moment in ((evidence.legacy, ours.moment), (evidence.candidate, theirs.moment))
    )
    named = not ours.format.startswith("epoch") or _time_named(group)
    return recent and named and abs(ours.moment - theirs.moment) <= tolerance


EARLIER_EVENT_HORIZON_S = 30 * 86400.0
"""How far back an earlier event stamped by both sides is believed (a resource written a
month ago and read now); older times of one event are real differences."""

_TIME_NAME = re.compile(r"(time|date|modified|updated|created|stamp|expires|since|_at$|At$)", re.I)


def _time_named(group: str) -> bool:
    # `headers.last-modified`, `body.items[*].updated_at`, `body.meta.lastModified`
    name = re.split(r"[.@\[\]]", group.rstrip("]*["))[-1] or group
    return group.startswith("headers.") or _TIME_NAME.search(name) is not None


def _both_opaque(legacy: Any, candidate: Any, group: str) -> bool:
    shape, other = opaque_shape(legacy), opaque_shape(candidate)
    if shape is None and other is not None:
        shape = opaque_shape(legacy, beside=other)
    elif other is None and shape is not None:
        other = opaque_shape(candidate, beside=shape)
    if shape == REDACTED and not _token_named(group):
        return False  # a redacted card number or SSN is stable personal data, not a nonce
    return shape is not None and shape == other


_TOKEN_NAME = re.compile(r"(token|session|sid|csrf|xsrf|nonce|jwt|bearer|cookie|ticket)", re.I)


def _token_named(group: str) -> bool:
    # The redacted secrets each side issues afresh: tokens, session ids, nonces.
    return _TOKEN_NAME.search(group.rpartition(".")[2] or group) is not None


@dataclass
class TokenEvidence:
    """Reads the legacy's answers one by one; `repeated()` says where it served one opaque
    token (see `opaque_shape`) in two exchanges: a deterministic digest, not a fresh nonce.

    Parts of the stream read apart, in other processes too, add up (`merge`) to what one
    pass reads: tokens are kept as digests that are the same in every process (`hash()` of
    a str is not)."""

    _seen: defaultdict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    _repeated: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def observe(self, endpoint: str, answer: Message) -> None:
        """One legacy answer at `endpoint`; a token repeated within it counts once."""
        done = self._repeated[endpoint]
        tokens = {(g, _token(v)) for g, v in _strings(answer) if g not in done and opaque_shape(v)}
        for group, token in tokens:
            seen = self._seen[(endpoint, group)]
            if token in seen:
                done.add(group)
                del self._seen[(endpoint, group)]
            else:
                seen.add(token)

    def merge(self, other: TokenEvidence) -> None:
        """Add what `other` read from another part of the stream: a token seen in both parts
        was served in two exchanges."""
        for endpoint, groups in other._repeated.items():
            self._repeated[endpoint] |= groups
        for (endpoint, group), tokens in other._seen.items():
            done = self._repeated[endpoint]
            seen = self._seen.pop((endpoint, group), None)
            if group in done or (seen is not None and not seen.isdisjoint(tokens)):
                done.add(group)
            elif seen is None:
                self._seen[(endpoint, group)] = set(tokens)
            else:
                self._seen[(endpoint, group)] = seen | tokens
        for key in [k for k in self._seen if k[1] in self._repeated.get(k[0], ())]:
            del self._seen[key]

    def served_before(self, found: Iterable[tuple[str, str]]) -> None:
        """Mark the (endpoint, location) where a token read here was served in a part read
        earlier and kept apart (`twinsight.store.kept.kept_tokens_among`): repeated there."""
        for endpoint, group in found:
            self._repeated[endpoint].add(group)
            self._seen.pop((endpoint, group), None)

    def facts(self) -> Iterator[Fact]:
        """What was read, to keep for the next analysis (`restore` takes each back)."""
        for endpoint, groups in self._repeated.items():
            for group in sorted(groups):
                yield ("repeated", endpoint, group, None, None, None)
        for (endpoint, group), tokens in self._seen.items():
            for token in tokens:
                yield ("token", endpoint, group, token.to_bytes(8), None, None)

    def restore(self, fact: Fact) -> bool:
        """Take back one fact `facts` kept; False if it is not one of this tally's (or
        is not whole)."""
        kind, endpoint, group, token, _, _ = fact
        if kind not in ("repeated", "token") or endpoint is None or group is None:
            return False
        if kind == "repeated":
            self._repeated[endpoint].add(group)
            self._seen.pop((endpoint, group), None)
            return True
        if token is None or len(token) != 8:  # as `facts` writes a `_token`
            return False
        if group not in self._repeated.get(endpoint, ()):
            self._seen[(endpoint, group)].add(int.from_bytes(token))
        return True

    def repeated(self) -> Mapping[str, frozenset[str]]:
        """endpoint -> its location groups where the legacy served one token twice."""
        return {e: frozenset(groups) for e, groups in self._repeated.items() if groups}


def _token(value: str) -> int:
    # 8 bytes of a keyless digest: the same in every process, one collision in ~2^32 tokens
    # of one location (as likely as with `hash()`, which is salted per process).
    return int.from_bytes(blake2b(value.encode(errors="surrogatepass"), digest_size=8).digest())


def _strings(answer: Message) -> Iterator[tuple[str, str]]:
    # Every header and body string with its location group, as `diff_responses` names them.
    for name, value in answer.headers:
        yield f"headers.{name.lower()}", value
    document = answer.document
    if document is not NOT_JSON:
        yield from _body_strings(document, ())
    else:
        content_type = answer.header("content-type")
        yield from xml_strings(answer.body, content_type)
        yield from field_strings(answer.body, content_type)
        yield from html_strings(answer.body, content_type)


def _body_strings(value: Any, path: Path) -> Iterator[tuple[str, str]]:
    # Every legacy answer is walked: the type tests inline, each path's group named once.
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _body_strings(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _body_strings(item, (*path, 0))
    elif isinstance(value, str):
        yield _group(path), value


@functools.lru_cache(maxsize=4096)
def _group(path: Path) -> str:
    return Difference(render_path(path), "changed").group
