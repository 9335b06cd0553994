"""The headers a recorded request is sent with to one target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from multidict import CIMultiDict

from twinsight.records import Headers
from twinsight.traffic import end_to_end

__all__ = ["ALL_TARGETS", "REPLAY_HEADER", "HeaderOverrides", "outgoing_headers", "parse_header"]

REPLAY_HEADER = "X-Twinsight-Replay"
ALL_TARGETS = "*"
REDACTED = "<redacted:"
# The client sets these for the URL and body it sends; recorded values would lie.
_RECOMPUTED = frozenset({"host", "content-length"})

HeaderOverrides = Mapping[str, Sequence[tuple[str, str]]]
"""target name (or "*" for every target) -> (name, value) replacing a recorded header.

A request recorded without the header is sent without it: a replay of an
anonymous request stays anonymous. An empty value removes the header."""


def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' -> (name, value); ValueError naming what is wrong."""
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or any(c in name for c in " \t\r\n"):
        raise ValueError(f"{text!r} is not 'Name: value'")
    return name.strip(), value.strip()


def outgoing_headers(
    recorded: Headers, target: str, overrides: HeaderOverrides, *, run: str
) -> tuple[CIMultiDict[str], bool]:
    """(headers to send to `target`, whether a redacted header was left out for want of an
    override). Recorded secrets are stored as markers: sending a marker would only fail."""
    headers = end_to_end(recorded, drop=_RECOMPUTED)
    for name, value in [*overrides.get(ALL_TARGETS, ()), *overrides.get(target, ())]:
        if headers.popall(name, None) is not None and value:
            headers[name] = value
    redacted = [name for name, value in headers.items() if REDACTED in value]
    for name in redacted:
        headers.popall(name, None)
    headers[REPLAY_HEADER] = run
    return headers, bool(redacted)
