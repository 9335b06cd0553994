"""Where commands write: standard output and error as rich consoles, and a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from twinsight.errors import UserError

__all__ = ["described", "err", "out", "passes", "reading", "show", "show_text", "write_file"]

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


@contextmanager
def passes(shown: bool = True) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar over each pass of an analysis (`analysis.progress.OnProgress`) when
    `shown` and stderr is a terminal: what it does, how many of how many exchanges, time
    left."""
    if not (shown and err.is_terminal):
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("opening the store", total=None)
        current = [""]

        def tell(name: str, done: int, total: int) -> None:
            if name != current[0]:  # a new pass: its own rate and time left
                current[0] = name
                progress.reset(task, description=name, total=total or None)
            progress.update(task, completed=done, total=max(total, done) or None)

        yield tell


def described(update: Callable[[str], None], doing: str) -> Callable[[str, int, int], None] | None:
    """An analysis's progress (`analysis.progress.OnProgress`) as text for `update` (a
    spinner's), after `doing`; None when stderr is not a terminal."""
    if not err.is_terminal:
        return None

    def tell(name: str, done: int, total: int) -> None:
        update(f"{doing}: {name}, {done:,} of {total:,} exchanges" if total else f"{doing}: {name}")

    return tell


def write_file(path: Path, text: str, what: str) -> None:
    """`text` into `path` (its folder made when missing); one line naming the file when it
    cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None
