"""Writing a report in the formats asked for, beside each other: NAME.html, NAME.md, NAME.json."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .document import ReportData
from .html import render_html
from .markdown import render_markdown
from .reportjson import render_json

__all__ = ["FORMATS", "parse_formats", "write_report"]

FORMATS: dict[str, tuple[str, Callable[[ReportData], str | bytes]]] = {
    "html": (".html", render_html),
    "md": (".md", render_markdown),
    "json": (".json", render_json),
}


def parse_formats(text: str) -> list[str]:
    """`html,md` as ["html", "md"]; ValueError naming an unknown format."""
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        named = ", ".join(unknown) or repr(text)
        raise ValueError(f"unknown format {named}: choose from html, md, json")
    return list(dict.fromkeys(wanted))


def write_report(
    report: ReportData,
    out: Path,
    formats: Sequence[str],
    *,
    step: Callable[[str], None] | None = None,
) -> list[Path]:
    """Render `report` in each of `formats` to `out` with that format's suffix; the paths."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for name in formats:
        suffix, render = FORMATS[name]
        if step is not None:
            step(f"rendering {name}")
        path = out.with_name(out.name + suffix) if out.suffix not in (suffix,) else out
        content = render(report)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
