"""The one root error and its tree.

    TwinsightError            anything twinsight raises on purpose
     +-- UserError            the input is wrong: a file, a flag, a value (exit 2)
     |    +-- SpecError       a spec file is invalid; carries every located problem
     |    +-- ConfigError     the config file or a flag is invalid
     |    +-- StoreError      a store cannot be opened, read or written
     |    +-- FormatError     a capture file is not of the format it was read as
     |    +-- MissingExtra    a command needs an optional dependency not installed
     +-- CheckFailed          the input is fine but a check says no (exit 1)
     +-- Inconclusive         the input is fine but too thin to say yes or no (exit 4)

Anything else escaping to the CLI is a bug in twinsight, reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CheckFailed",
    "ConfigError",
    "FormatError",
    "Inconclusive",
    "Location",
    "MissingExtra",
    "Problem",
    "SpecError",
    "StoreError",
    "TwinsightError",
    "UserError",
]


class TwinsightError(Exception):
    """Root of every error twinsight raises on purpose."""

    exit_code = 2


class UserError(TwinsightError):
    """The user's input (file, flag, value) is wrong; the message says which and how."""

    exit_code = 2


class StoreError(UserError):
    """The store cannot be opened, read or written: the message names the file and why."""


class FormatError(UserError):
    """A capture file is not of the format it was read as (or cannot be read at all)."""


class MissingExtra(UserError):
    """A command needs an optional dependency that is not installed."""


class CheckFailed(TwinsightError):
    """A check ran on valid input and failed (spec invalid, not ready)."""

    exit_code = 1


class Inconclusive(TwinsightError):
    """A check ran on valid input and could not decide: more evidence is needed (`ready`)."""

    exit_code = 4


@dataclass(frozen=True)
class Location:
    """A place in a text file, 1-based like editors show it."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file, with an optional fix hint and source excerpt."""

    location: Location
    message: str
    hint: str = ""
    excerpt: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        if self.excerpt:
            text += "\n" + self.excerpt
        return text


class _ProblemsError(UserError):
    kind = "input"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SpecError(_ProblemsError):
    """A spec file is invalid; `problems` holds each located problem."""

    kind = "spec"


class ConfigError(_ProblemsError):
    """The config file is invalid; `problems` holds each located problem."""

    kind = "config"
