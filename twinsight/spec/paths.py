"""HTTP path templates such as `/tasks/{id}/complete`: parse, validate, match.

A template matches exactly: `/v1` matches `/v1` only and `/v1/` matches `/v1/` only,
since a service may answer the two differently. A template ending in `{/}` (`/v1{/}`)
matches both, with and without the trailing slash.

Matching reads the path as sent: an encoded slash is part of its segment, so
`/files/a%2Fb.txt` fits `/files/{name}` and `/files/a/b.txt` does not (one framework
decodes before routing, another routes the raw path). A parameter's value is its
segment decoded (`a/b.txt`), as query values are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote

__all__ = ["OPTIONAL_SLASH", "PathTemplate", "PathTemplateError", "path_segments"]

OPTIONAL_SLASH = "{/}"
"""Written at the end of a template: the trailing slash may be there or not."""

_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_LITERAL = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@%]+$")


class PathTemplateError(ValueError):
    """A path template is malformed; the message says what and how to fix it."""


@dataclass(frozen=True)
class PathTemplate:
    """A path with `{name}` segments that each match exactly one path segment."""

    text: str

    def __post_init__(self) -> None:
        validate_template(self.text)

    @cached_property
    def params(self) -> tuple[str, ...]:
        """Names of the template's parameters, in order."""
        path = _split_optional(self.text)[0]
        return tuple(m.group(1) for s in _segments(path) if (m := _PARAM.match(s)))

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        path, optional = _split_optional(self.text)
        parts = []
        for segment in _segments(path):
            match = _PARAM.match(segment)
            parts.append(f"(?P<{match.group(1)}>[^/]+)" if match else re.escape(segment))
        slash = "/" if path != "/" and path.endswith("/") else ""
        return re.compile("^/" + "/".join(parts) + slash + ("/?" if optional else "") + "$")

    def match(self, path: str) -> dict[str, str] | None:
        """Parameters of `path` (without query, as sent) if it fits the template, else None;
        each value is its raw segment decoded (`a%2Fb` -> `a/b`)."""
        found = self._regex.match(path)
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None

    def __str__(self) -> str:
        return self.text


def _split_optional(text: str) -> tuple[str, bool]:
    """The template without a final `{/}`, and whether it had one."""
    if text.endswith(OPTIONAL_SLASH):
        return text.removesuffix(OPTIONAL_SLASH), True
    return text, False


def path_segments(path: str) -> list[str]:
    """The raw segments of a request path (no query), empty ones kept but for a trailing `/`
    after a named segment (`/` -> [], `/v1/` -> [v1], `/v1//` -> [v1, "", ""], `//` -> ["",
    ""], `/a%2Fb` -> [a%2Fb]): what tells one resource from another, a framework that
    folds `//` or decodes `%2F` before routing being no reason to merge them."""
    if path in ("", "/"):
        return []
    segments = path.removeprefix("/").split("/")
    if len(segments) > 1 and not segments[-1] and segments[-2]:
        segments.pop()
    return segments


def _segments(text: str) -> list[str]:
    stripped = text.strip("/")
    return stripped.split("/") if stripped else []


def validate_template(text: str) -> None:
    """Raise PathTemplateError naming the first bad part of `text`."""
    if not text.startswith("/"):
        raise PathTemplateError(f"path template {text!r} must start with '/'")
    if "?" in text or "#" in text:
        raise PathTemplateError(
            f"path template {text!r} holds a query or fragment; put query conditions under 'query'"
        )
    path, optional = _split_optional(text)
    if OPTIONAL_SLASH in path:
        raise PathTemplateError(
            f"path template {text!r}: '{OPTIONAL_SLASH}' (an optional trailing slash) may "
            "only end a template"
        )
    if optional and path == "/":
        raise PathTemplateError(f"path template {text!r}: the root '/' takes no '{OPTIONAL_SLASH}'")
    if optional and path.endswith("/"):
        raise PathTemplateError(
            f"path template {text!r}: write '{OPTIONAL_SLASH}' in place of the trailing '/', "
            f"as in '/v1{OPTIONAL_SLASH}'"
        )
    seen: set[str] = set()
    for segment in _segments(path):
        if not segment:
            raise PathTemplateError(f"path template {text!r} has an empty segment ('//')")
        if "{" in segment or "}" in segment:
            match = _PARAM.match(segment)
            if not match:
                raise PathTemplateError(
                    f"path template {text!r}: segment {segment!r} must be a literal or a whole "
                    "'{name}' parameter"
                )
            if match.group(1) in seen:
                raise PathTemplateError(
                    f"path template {text!r} repeats parameter {{{match.group(1)}}}"
                )
            seen.add(match.group(1))
        elif not _LITERAL.match(segment):
            raise PathTemplateError(
                f"path template {text!r}: segment {segment!r} has characters a path cannot hold"
            )
