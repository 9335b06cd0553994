"""Option names in `--help` fold onto a second line on a narrow terminal instead of being
cut with an ellipsis: rich cuts a word it cannot wrap (`--no-mirror-wri…`), and a user
must be able to read and copy every option name.

Typer builds each option's name cell with the module-level highlighters of
`typer.rich_utils`; these wrap them. `tests/cli/test_help_width.py` renders every
command's help at 80 columns, so a Typer release that renames them fails there."""

from __future__ import annotations

from rich.text import Text
from typer import rich_utils

__all__ = ["fold_option_names"]


class _Folding(rich_utils.OptionHighlighter):
    def __call__(self, text: str | Text) -> Text:
        found = super().__call__(text)
        found.overflow = "fold"
        return found


class _FoldingNegative(rich_utils.NegativeOptionHighlighter):
    def __call__(self, text: str | Text) -> Text:
        found = super().__call__(text)
        found.overflow = "fold"
        return found


def fold_option_names() -> None:
    """Make every command's `--help` fold long option names rather than cut them."""
    rich_utils.highlighter = _Folding()
    rich_utils.negative_highlighter = _FoldingNegative()
