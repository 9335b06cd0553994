"""Where a difference is: `[METHOD] [/path/{param}] location`, as `accepted` entries and
`[[normalize]]` rules write it; and the spec's `accepted` differences."""

from __future__ import annotations

import datetime
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from twinsight.spec.paths import PathTemplate, PathTemplateError

__all__ = ["HTTP_METHODS", "LOCATION_ROOTS", "Accepted", "parse_where"]

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
LOCATION_ROOTS = ("status", "headers", "body")
# A location is one word, but a quoted key in it may hold spaces: `body["a b"].c`.
_WHERE = re.compile(
    r'^(?:(?P<method>[A-Z]+)\s+)?(?:(?P<path>/\S*)\s+)?(?P<location>(?:[^\s"]|"(?:[^"\\]|\\.)*")+)$'
)


def parse_where(value: str) -> tuple[str | None, str | None, str] | None:
    """`[METHOD] [/path/{param}] location` into its three parts; None if it does not read."""
    parsed = _WHERE.match(value.strip())
    if not parsed:
        return None
    method, path, location = parsed.group("method", "path", "location")
    return method, path, location


class Accepted(BaseModel):
    """A difference the spec accepts: where (`[METHOD] [/path] location`) and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    where: str
    why: str = Field(min_length=1)
    by: str | None = None  # who accepted it (`twinsight accept` writes the git author)
    at: datetime.date | None = None  # when (a YAML date: 2026-11-30)

    @field_validator("where")
    @classmethod
    def _valid_where(cls, value: str) -> str:
        parsed = parse_where(value)
        hint = "write '[METHOD] [/path/{param}] status|headers.NAME|body.PATH'"
        if not parsed:
            raise PydanticCustomError(
                "where", "cannot read {value}: {hint}", {"value": repr(value), "hint": hint}
            )
        method, path, location = parsed
        if method and method not in HTTP_METHODS:
            raise PydanticCustomError("where", "unknown HTTP method {m}", {"m": repr(method)})
        if path:
            try:
                PathTemplate(path)
            except PathTemplateError as exc:
                raise PydanticCustomError("where", "{message}", {"message": str(exc)}) from None
        if location.split(".", 1)[0].split("[", 1)[0] not in LOCATION_ROOTS:
            raise PydanticCustomError(
                "where",
                "location {loc} must start with status, headers or body; {hint}",
                {"loc": repr(location), "hint": hint},
            )
        return value.strip()

    @property
    def method(self) -> str | None:
        return _where_part(self.where, "method")

    @property
    def path(self) -> str | None:
        return _where_part(self.where, "path")

    @property
    def location(self) -> str:
        return _where_part(self.where, "location") or ""


def _where_part(where: str, name: str) -> str | None:
    parsed = _WHERE.match(where)
    return parsed.group(name) if parsed else None
