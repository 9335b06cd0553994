"""What judges a store's parts elsewhere than in this process: the interface `analyze_store`
takes (`--dask` is one; `--workers` keeps its own process pool)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .pipeline import LegacyTally, ReplicaTally
from .workers import Gathered, Part

__all__ = ["Pool"]


class Pool(Protocol):
    """Judges parts somewhere else and hands back what each gathered, in the parts' order."""

    def parts_for(self, exchanges: int) -> int:
        """How many parts `exchanges` are cut into (under 2: judged in this process)."""
        ...

    def judge(self, parts: Sequence[Part]) -> list[Gathered]:
        """Each part judged, gathered in the order of `parts`, its tables in `part.folder`."""
        ...

    def tally(self, parts: Sequence[Part]) -> ReplicaTally:
        """The replica's counts over every part, merged."""
        ...

    def evidence(self, parts: Sequence[Part]) -> LegacyTally:
        """The legacy's evidence over every part, merged in the order of `parts`."""
        ...
