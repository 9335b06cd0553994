"""Where commands write: standard output and error as rich consoles, and a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from twinsight.errors import UserError

__all__ = ["err", "out", "reading", "show", "show_text", "write_file"]

# soft_wrap: lines stay whole in pipes and CI logs, where rich would fold them at 80.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def show(console: Console, lines: Iterable[str]) -> None:
    """Print lines of rich markup."""
    for line in lines:
        console.print(line)


def show_text(console: Console, lines: Iterable[str]) -> None:
    """Print lines of plain text (brackets in them are not markup)."""
    for line in lines:
        console.print(escape(line))


@contextmanager
def reading(files: Iterable[Path]) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over the bytes of `files` when stderr is a terminal."""
    sizes = [f.stat().st_size for f in files if f.is_file()]
    if not err.is_terminal or not sizes:
        yield None
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("reading", total=sum(sizes))
        yield lambda count: progress.advance(task, count)


def write_file(path: Path, text: str, what: str) -> None:
    """`text` into `path` (its folder made when missing); one line naming the file when it
    cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None
