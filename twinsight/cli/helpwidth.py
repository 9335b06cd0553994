"""Option names in `--help` fold onto a second line on a narrow terminal instead of being
cut with an ellipsis: rich cuts a word it cannot wrap (`--no-mirror-wri…`), and a user
must be able to read and copy every option name.

Typer builds each option's name cell with the module-level highlighters of
`typer.rich_utils`; these wrap them. They are swapped when help is first rendered, not at
start-up: importing `typer.rich_utils` (rich's Markdown with it) cost every command ~0.15 s
of CPU, a sixth of its start-up, and only help needs it.
`tests/cli/test_help_width.py` renders every command's help at 80 columns, so a Typer
release that renames them fails there."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from typer import core

__all__ = ["fold_option_names"]

_FormatHelp = Callable[[Any, Any, Any], None]


def fold_option_names() -> None:
    """Make every command's `--help` fold long option names rather than cut them."""
    for command in (core.TyperCommand, core.TyperGroup):
        command.format_help = _folding(command.format_help)  # type: ignore[method-assign,assignment]


def _folding(format_help: _FormatHelp) -> _FormatHelp:
    def folded(self: Any, ctx: Any, formatter: Any) -> None:
        _swap_highlighters()
        format_help(self, ctx, formatter)

    return folded


@cache
def _swap_highlighters() -> None:
    from rich.text import Text
    from typer import rich_utils

    class Folding(rich_utils.OptionHighlighter):
        def __call__(self, text: str | Text) -> Text:
            found = super().__call__(text)
            found.overflow = "fold"
            return found

    class FoldingNegative(rich_utils.NegativeOptionHighlighter):
        def __call__(self, text: str | Text) -> Text:
            found = super().__call__(text)
            found.overflow = "fold"
            return found

    rich_utils.highlighter = Folding()
    rich_utils.negative_highlighter = FoldingNegative()
