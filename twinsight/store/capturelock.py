"""One capture or replay at a time into a store file: the lock in its segment folder.

A capture or a replay into `--store FILE`, one process or `--workers N`, writes segments
into `FILE.segments/` and absorbs them into FILE at its start and stop, removing what it
absorbed (`beside`). Two such runs on one FILE would absorb (and remove) each other's
segments, unfinished ones included. So a run holds an exclusive lock on
`FILE.segments/.lock` for its whole length, and a second run is refused in one line
naming FILE. The lock is a flock: the kernel drops it with the process, so a killed run
leaves no stale lock behind.

What captures into FILE itself (the mitmproxy addon, `run_capture` given the file
in-process) holds DuckDB's own lock on it and looks at this one after opening FILE
(`refuse_if_held`): a run starting later opens FILE at its start too, so one of the two
is refused whichever comes first.

Each `--workers` worker (of a capture or a replay) inherits the locked descriptor
(`Held.for_child`): a flock belongs to the open file, not to one process, so it lasts
until the last worker exits. Workers outlive a SIGKILLed parent for a moment, flushing
their last batch; a new run must not absorb (and remove) those segments meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import reduction
from pathlib import Path
from typing import Any

from twinsight.errors import StoreError
from twinsight.store.files import segment_folder

__all__ = ["LOCK_NAME", "Held", "capture_holds", "refuse_if_held", "segments_held"]

LOCK_NAME = ".lock"
_TRIES = 5  # a run ending meanwhile removes the file locked: each try creates it anew


@dataclass(frozen=True)
class Held:
    """A segment folder locked for one run, and the descriptor holding the lock."""

    folder: Path
    descriptor: int

    def for_child(self) -> _Inherited:
        """What a spawned process is given (as an argument) to hold the lock too."""
        return _Inherited(self.descriptor)


class _Inherited:
    """The locked descriptor, passed to a spawned child as multiprocessing passes sockets:
    the same open file, so the same lock, open in the child until it exits."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor

    def __reduce__(self) -> tuple[Any, ...]:
        # Reduced while the child is being spawned: the descriptor goes to it with the rest.
        return (_opened, (reduction.DupFd(self.descriptor),))


def _opened(duplicate: Any) -> int:
    return int(duplicate.detach())  # left open on purpose: it holds the lock until exit


@contextlib.contextmanager
def segments_held(store: Path) -> Iterator[Held]:
    """`store`'s segment folder, created and locked for the caller (and the children it
    hands the lock to) while inside; the lock file (and the folder, when empty) is
    removed on the way out."""
    folder = segment_folder(store)
    held = _lock(folder, store)
    try:
        yield Held(folder, held)
    finally:
        # Removed before unlocking: a run waiting on this file sees it gone and makes anew.
        (folder / LOCK_NAME).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: a killed worker's segments stay
            folder.rmdir()
        os.close(held)


def refuse_if_held(store: Path) -> None:
    """Refuse (one line naming `store`) while a capture or replay holds its segment folder."""
    if capture_holds(store):
        raise _busy(store)


def capture_holds(store: Path) -> bool:
    """Whether a capture or replay into the store file `store` runs now (holds its folder)."""
    path = segment_folder(store) / LOCK_NAME
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _unlockable(store, path, exc) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def _lock(folder: Path, store: Path) -> int:
    """An open descriptor of `folder`/.lock holding its exclusive lock."""
    path = folder / LOCK_NAME
    try:
        return _locked(folder, path, store)
    except OSError as exc:  # a folder or lock file this user cannot write
        raise _unlockable(store, path, exc) from None


def _locked(folder: Path, path: Path, store: Path) -> int:
    for _ in range(_TRIES):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:  # the folder was removed by a run ending meanwhile
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise _busy(store) from None
        if _still_there(descriptor, path):
            return descriptor
        os.close(descriptor)
    raise _busy(store)


def _still_there(descriptor: int, path: Path) -> bool:
    """Whether `path` is still the file open as `descriptor` (not removed or replaced)."""
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _unlockable(store: Path, path: Path, exc: OSError) -> StoreError:
    return StoreError(f"{store}: cannot lock {path}: {exc.strerror or exc}")


def _busy(store: Path) -> StoreError:
    return StoreError(
        f"{store}: another twinsight capture or replay writes into it "
        f"(its segments in {segment_folder(store)}); stop it, or give another --store"
    )
