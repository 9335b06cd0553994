"""What a single value is, for inferring noise: a time (and in which format), or an opaque token
(and of which shape). Pure functions over one JSON or header value."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from twinsight.store.redaction import MARKER

__all__ = ["REDACTED", "Moment", "address_parts", "entropy", "opaque_shape", "time_of"]

# Plausible epochs only (2001-09-09 .. 2286-11-20): small numbers are counts, not times.
_SECONDS = (1e9, 1e10)
_MILLIS = (1e12, 1e13)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$")
# iCalendar and vCard write times in the basic format: `20261130T101500Z`.
_BASIC = re.compile(r"^\d{8}T\d{6}Z?$")
_HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
_DIGITS = re.compile(r"^\d{10,13}(\.\d+)?$")
_UUID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I
)
_HEX = re.compile(r"^[0-9a-f]+$|^[0-9A-F]+$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
_CRYPT = re.compile(r"^\$[A-Za-z0-9-]+\$")
_VALIDATOR = re.compile(r'^(W/)?"([^"]*)"$')  # an ETag: W/"..." or "...", no quote inside
REDACTED = "redacted secret"
"""The shape of every redacted value: opaque only where its name says token (inference)."""
_DIGIT = re.compile("[0-9]")  # an ASCII digit: what `str.isdigit` finds in ASCII text
_MIN_OPAQUE = 16  # shorter strings are words, codes and slugs more often than tokens


class Moment(NamedTuple):
    """A value read as a time: when (epoch seconds) and its format, which both sides must share."""

    moment: float
    format: str


def time_of(value: Any) -> Moment | None:
    """`value` read as a time, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch(float(value), "number" if isinstance(value, int) else "decimal")
    if not isinstance(value, str):
        return None
    validator = _VALIDATOR.match(value)
    if validator is not None:  # an ETag that is a version stamp: `"1764496800123"`
        inner = time_of(validator.group(2))
        weak = "weak " if validator.group(1) else ""
        return None if inner is None else Moment(inner.moment, f"{weak}etag {inner.format}")
    if _DIGITS.match(value):
        return _epoch(float(value), "digits" if "." not in value else "decimal digits")
    if _ISO.match(value) or _BASIC.match(value):
        return _iso(value)
    if _HTTP_DATE.match(value):
        return Moment(parsedate_to_datetime(value).timestamp(), "http-date")
    return None


def _epoch(number: float, written: str) -> Moment | None:
    if _SECONDS[0] <= number < _SECONDS[1]:
        return Moment(number, f"epoch seconds as {written}")
    if _MILLIS[0] <= number < _MILLIS[1]:
        return Moment(number / 1000, f"epoch milliseconds as {written}")
    return None


def _iso(value: str) -> Moment | None:
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a local time lands outside the window
    # The skeleton, fractions folded: `.1` and `.123` are one format, `Z` and `+00:00` two.
    skeleton = re.sub(r"\d", "d", re.sub(r"\.\d+", ".f", value))
    return Moment(parsed.timestamp(), f"iso {skeleton}")


def entropy(text: str) -> float:
    """Shannon entropy of `text`'s characters, in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def opaque_shape(value: Any, *, beside: str | None = None) -> str | None:
    """The shape of a high-entropy token (`uuid v4`, `hex 64`, `base64 24`, `crypt $2b$12$ 53`),
    or None when `value` does not look made at random."""
    if not isinstance(value, str):
        return None
    wrapper = _VALIDATOR.match(value)
    if wrapper is not None:
        inner = opaque_shape(wrapper.group(2))
        return None if inner is None else f'{wrapper.group(1) or ""}"{inner}"'
    if MARKER.fullmatch(value):
        # A secret stored as its keyed hash: a token each side issued is fresh per exchange
        # (unless the legacy repeats it); inference asks its name too (`REDACTED`).
        return REDACTED
    uuid = _UUID.match(value)
    if uuid is not None:
        return f"uuid v{uuid.group(1)} {'upper' if value.isupper() else 'lower'}"
    if _CRYPT.match(value):
        return _crypt_shape(value)
    if len(value) < _MIN_OPAQUE or value.isdigit():
        return None  # short, or a number written as text: a count or an id, not a token
    if _HEX.match(value):
        case = "upper" if value.isupper() else "lower"
        return f"hex {len(value)} {case}" if _random(value, 0.6, 3.0) else None
    # Beside a token of that very shape (the other side's), a random string that happens to
    # hold no digit is one too: only both sides lacking digits stays unexplained.
    mixed = _mixed(value) or (
        beside == f"base64 {len(value)}" and _cases(value) and _switching(value)
    )
    if _BASE64.match(value) and mixed and _random(value, 0.75, 3.5):
        return f"base64 {len(value)}"
    return None


def _crypt_shape(value: str) -> str | None:
    # `$2b$12$<53>`, `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>`: parameters kept,
    # the long random parts by their length only.
    parts = value.split("$")
    tokens = [p for p in parts if len(p) >= _MIN_OPAQUE]
    if not tokens or not all(_random(p, 0.75, 3.5) for p in tokens):
        return None
    return "crypt " + "$".join(str(len(p)) if len(p) >= _MIN_OPAQUE else p for p in parts)


def _cases(value: str) -> bool:
    if value.isascii():  # what every legacy string of 16 characters or more is asked first
        return value.upper() != value != value.lower()
    return any(c.islower() for c in value) and any(c.isupper() for c in value)


def _switching(value: str) -> bool:
    # Random letters switch case about every other character; CamelCase words
    # (`PendingApproval`: 2 switches in 15) seldom do.
    switches = sum(
        a.isalpha() and b.isalpha() and a.isupper() != b.isupper()
        for a, b in itertools.pairwise(value)
    )
    return switches >= len(value) / 4


def _has_digit(value: str) -> bool:
    if value.isascii():
        return _DIGIT.search(value) is not None
    return any(c.isdigit() for c in value)


def _mixed(value: str) -> bool:
    # Random base64 mixes cases and digits; a long word or a slug does not.
    if not _cases(value):
        return False
    if _has_digit(value):
        return True
    # No digit (one 16-character token in 30 has none): still random if the case switches
    # often and vowels are few, as in `OCxgSORgAFWLztfR`; words hold a third vowels.
    letters = [c for c in value if c.isalpha()]
    vowels = sum(c in "aeiouAEIOU" for c in letters) / len(letters)
    return vowels < 0.25 and _switching(value)


def _random(value: str, share: float, bits: float) -> bool:
    # Shorter strings cannot reach the alphabet's full entropy: the bar grows with the length
    # up to `bits`, low enough that about one random token in a thousand falls under it.
    return entropy(value) >= min(bits, share * math.log2(len(value)))


def address_parts(value: Any) -> list[tuple[str, str]] | None:
    """An address (`/tasks/17?page=2`, `{origin}/tasks`, `https://h/a#x`) as its parts, each
    (what it is, its value): the scheme and host, every path segment, every query parameter
    by name, the fragment. None when `value` is no address."""
    if not isinstance(value, str) or "/" not in value or any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return None
    return [
        ("scheme", parts.scheme),
        ("host", parts.netloc),
        *(("segment", s) for s in parts.path.split("/")),
        *((f"query {name}", v) for name, v in query),
        ("fragment", parts.fragment),
    ]
