"""When each recorded request is sent: at its recorded pace (scaled), a fixed rate, or at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["Pacing"]


@dataclass(frozen=True)
class Pacing:
    """`speed`: recorded gaps divided by `value`; `rate`: `value` requests per second;
    `asap`: as fast as the concurrency bound allows."""

    mode: Literal["speed", "rate", "asap"] = "asap"
    value: float = 1.0

    def __post_init__(self) -> None:
        if self.mode != "asap" and not self.value > 0:
            raise ValueError(f"--{self.mode} must be above 0, not {self.value}")

    def due(self, index: int, ts: datetime, first: datetime) -> float:
        """Seconds after the start at which the `index`-th request (recorded at `ts`) is sent."""
        if self.mode == "rate":
            return index / self.value
        if self.mode == "speed":
            return max((ts - first).total_seconds(), 0.0) / self.value
        return 0.0

    def describe(self) -> str:
        """In words, for the summary."""
        if self.mode == "rate":
            return f"{self.value:g} requests/s"
        if self.mode == "speed":
            return f"{self.value:g}x recorded speed"
        return "as fast as possible"
