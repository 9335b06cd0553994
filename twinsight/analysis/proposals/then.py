"""The `then` lines of a proposal: the legacy's observed behaviour at each differing
location, in words and as CEL that the legacy passes and the candidate, where it
differs, fails. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twinsight.analysis.diff import NOT_JSON, Message
from twinsight.analysis.jsondiff import render_path
from twinsight.spec.media import media_type
from twinsight.spec.xmlmap import is_xml_type

from .celpath import ANY, Location, parse_location

__all__ = ["Line", "location_lines", "status_line"]


@dataclass(frozen=True)
class Line:
    """A line in words, and the CEL that checks it (None: words only)."""

    text: str
    check: str | None = None

    def data(self) -> dict[str, str | None]:
        """As a spec line's data: `text` and `check`."""
        return {"text": self.text, "check": self.check}


def status_line(status: int) -> Line:
    """The status the legacy answered."""
    return Line(text=f"the status is {status}", check=f"response.status == {status}")


def location_lines(location: str, kind: str, legacy: Sequence[Message]) -> list[Line]:
    """What the legacy's answers show at `location`, for a difference of `kind`."""
    parsed = _readable(location, legacy)
    if parsed is None:
        return [Line(text=f"{location} is as the legacy answers it ({_kind_words(kind)})")]
    if parsed.root == "status":
        statuses = {m.status for m in legacy}
        if len(statuses) == 1 and None not in statuses:
            return [status_line(statuses.pop())]  # type: ignore[arg-type]  # None left out
        return [Line(text="the status is the legacy's", check="response.status == legacy.status")]
    if not parsed.steps:  # a whole body or header set: pinning it would pin its noise too
        return [Line(text=f"the {parsed.root} is as the legacy answers it ({_kind_words(kind)})")]
    if kind in ("missing", "extra") and isinstance(parsed.steps[-1], int):
        # Items of a list gone or added (`[*]`, `[3]`): the list keeps the legacy's length.
        items = Location(parsed.root, parsed.steps[:-1])
        check = f"size({items.cel_value('response')}) == size({items.cel_value('legacy')})"
        if items.folded or not items.steps:
            return [Line(text=f"{location} is as the legacy answers it ({_kind_words(kind)})")]
        return [Line(text=f"{_render(items)} has as many items as the legacy's", check=check)]
    if kind == "missing":
        return [Line(text=f"the answer has {location}", check=parsed.cel_present("response"))]
    if kind == "extra":
        check = parsed.cel_present("response", present=False)
        return [Line(text=f"the answer has no {location}", check=check)]
    return [Line(text=f"{location} is the legacy's", check=_same(parsed))]


def _render(location: Location) -> str:
    """`location` written back as a difference's location (`body.tasks`)."""
    return location.root + "".join(
        "[*]" if step == ANY else render_path((step,), "") for step in location.steps
    )


def _same(location: Location) -> str:
    return f"{location.cel_value('response')} == {location.cel_value('legacy')}"


def _kind_words(kind: str) -> str:
    return {
        "missing": "present",
        "extra": "absent",
        "order": "in the legacy's order",
        "type": "of the legacy's type",
    }.get(kind, "the same value")


def _readable(location: str, legacy: Sequence[Message]) -> Location | None:
    """The location as CEL can read it in the legacy's answers, else None: JSON bodies and
    headers as written; XML by local names (unless a list is folded: one element there is
    a map, several a list); other bodies only in words."""
    parsed = parse_location(location)
    if parsed is None or parsed.root != "body" or not parsed.steps:
        return parsed
    media = {media_type(m.header("content-type")) for m in legacy}
    if all(m.document is not NOT_JSON for m in legacy):
        return parsed
    if all(is_xml_type(m) for m in media) and not parsed.folded:
        return Location(parsed.root, _xml_steps(parsed.steps))
    return None


def _xml_steps(steps: tuple[str | int, ...]) -> tuple[str | int, ...]:
    found: list[str | int] = []
    for step in steps:
        if isinstance(step, int):  # an index, or ANY
            found.append(step)
        elif step.startswith("@"):
            found += ["@", step[1:].rpartition("}")[2]]
        else:
            found.append(step.rpartition("}")[2])
    return tuple(found)
