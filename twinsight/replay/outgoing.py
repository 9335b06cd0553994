"""The headers a recorded request is sent with to one target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from multidict import CIMultiDict

from twinsight.records import Headers
from twinsight.traffic import end_to_end

from .restore import Known, has_marker, restore_header

__all__ = ["ALL_TARGETS", "REPLAY_HEADER", "HeaderOverrides", "outgoing_headers", "parse_header"]

REPLAY_HEADER = "X-Twinsight-Replay"
ALL_TARGETS = "*"
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
        # Only its first word: "Authorization Bearer <token>" must not print the token.
        shown = text.strip().split(None, 1)[0].partition(":")[0] if text.strip() else ""
        raise ValueError(f"{shown!r} (the rest not shown) is not 'Name: value'")
    return name.strip(), value.strip()


def outgoing_headers(
    recorded: Headers,
    target: str,
    overrides: HeaderOverrides,
    *,
    run: str,
    known: Known | None = None,
) -> tuple[CIMultiDict[str], list[str]]:
    """(headers to send to `target`, notes on what was substituted or left out).

    Recorded secrets are stored as markers: each is replaced by its value in `known`
    (the target's credentials), and a header whose marker has none is left out, since
    sending a marker would only fail. `--header` overrides win over both."""
    headers = end_to_end(recorded, drop=_RECOMPUTED)
    notes: list[str] = []
    for name, value in [*overrides.get(ALL_TARGETS, ()), *overrides.get(target, ())]:
        replaced = headers.popall(name, None)
        if replaced is not None and value:
            headers[name] = value
        if replaced is not None and any(has_marker(v) for v in replaced):
            notes.append(f"{name.lower()} from --header")
    restored: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if not has_marker(value):
            restored.add(name, value)
            continue
        real, missing = restore_header(name, value, known or {})
        notes += missing
        if real is not None:
            restored.add(name, real)
    restored[REPLAY_HEADER] = run
    return restored, notes
