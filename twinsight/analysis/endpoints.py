"""Endpoints: method + path template, from the spec first, otherwise inferred from traffic.

`POST /tasks/17/complete` and `POST /tasks/0b5e.../complete` are both
`POST /tasks/{id}/complete`. A segment becomes a parameter when it is shaped
like an identifier (number, uuid, hex, long token) or, once traffic has been
seen, when too many different literals follow the same prefix (user names,
slugs); low-cardinality literals (`/tasks`, `/complete`) stay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from urllib.parse import unquote

from twinsight.spec import PathTemplate, looks_like_id

__all__ = ["Endpoints"]

_WIDE = object()


class Endpoints:
    """Assigns endpoints; `templates` are the spec's (method, path template) pairs."""

    def __init__(
        self, templates: Sequence[tuple[str, PathTemplate]] = (), *, max_literals: int = 50
    ) -> None:
        # Most specific first: more literal segments win over parameters.
        self.templates = sorted(
            templates, key=lambda t: -sum(not s.startswith("{") for s in t[1].text.split("/"))
        )
        self.max_literals = max_literals
        self._seen: dict[tuple[str, ...], set[str] | object] = defaultdict(set)

    def learn(self, requests: Iterable[tuple[str, str]]) -> None:
        """Count which literals follow which prefix, to find high-cardinality positions."""
        for method, path in requests:
            folded = self._shape_folded(path)
            for index, segment in enumerate(folded):
                if segment.startswith("{"):
                    continue
                key = (method, *folded[:index])
                seen = self._seen[key]
                if isinstance(seen, set):
                    seen.add(segment)
                    if len(seen) > self.max_literals:
                        self._seen[key] = _WIDE

    def of(self, method: str, path: str) -> str:
        """The endpoint of a request: `METHOD /path/{param}`."""
        method = method.upper()
        bare = path.split("?", 1)[0]
        for wanted, template in self.templates:
            if wanted == method and template.match(bare) is not None:
                return f"{method} {template.text}"
        shaped = self._shape_folded(bare)
        folded = list(shaped)
        for index in range(len(shaped)):
            if self._seen.get((method, *shaped[:index])) is _WIDE:
                folded[index] = "{id}"
        return f"{method} /" + "/".join(_numbered(folded))

    @staticmethod
    def _shape_folded(path: str) -> list[str]:
        segments = [unquote(s) for s in path.strip("/").split("/") if s]
        return ["{id}" if looks_like_id(s) else s for s in segments]


def _numbered(segments: list[str]) -> list[str]:
    """`{id}`, `{id2}`, ...: a template names each parameter once."""
    count = 0
    named = []
    for segment in segments:
        if segment == "{id}":
            count += 1
            segment = "{id}" if count == 1 else f"{{id{count}}}"
        named.append(segment)
    return named
