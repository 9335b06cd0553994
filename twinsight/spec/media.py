"""A Content-Type's media type, the one way every reader of bodies takes it."""

from __future__ import annotations

__all__ = ["media_type"]


def media_type(content_type: str | None) -> str:
    """`text/XML; charset=utf-8` -> `text/xml`; "" without one."""
    return (content_type or "").split(";", 1)[0].strip().lower()
