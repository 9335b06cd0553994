"""The verdicts a worker reached, kept in a file of its part for `analyze --json`.

Written as the part is judged, read back by the parent in the same order, so the parts'
files told one after the other in id order tell what one process judging the whole stream
tells. Pickled in batches: a difference's values may be anything a body decodes to, and
each must read back as it was told (JSON would turn a tuple into a list, bytes into text).
The file is written by a worker of this same run and read only by its parent.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from twinsight.events import ExchangeJudged

__all__ = ["VERDICTS", "read_verdicts", "verdicts_into"]

VERDICTS = "verdicts.pickle"
"""The file's name in a part's folder."""
_BATCH = 1_000
"""Verdicts pickled together: names and classes repeated across a batch are written once,
and a reader holds no more than this many at a time."""

Tell = Callable[[ExchangeJudged], None]


class _Batches:
    """Collects verdicts and pickles them into `out` a batch at a time."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.batch: list[ExchangeJudged] = []

    def __call__(self, event: ExchangeJudged) -> None:
        self.batch.append(event)
        if len(self.batch) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            pickle.dump(self.batch, self.out, protocol=pickle.HIGHEST_PROTOCOL)
            self.batch = []


@contextmanager
def verdicts_into(path: Path | None) -> Iterator[Tell | None]:
    """A teller writing each verdict it is handed into `path` (None: nothing kept, no teller)."""
    if path is None:
        yield None
        return
    with path.open("wb") as out:
        batches = _Batches(out)
        yield batches
        batches.flush()


def read_verdicts(path: Path) -> Iterator[ExchangeJudged]:
    """The verdicts `verdicts_into` wrote to `path`, in the order they were told."""
    with path.open("rb") as kept:
        while True:
            try:
                batch: list[ExchangeJudged] = pickle.load(kept)
            except EOFError:
                return
            yield from batch
