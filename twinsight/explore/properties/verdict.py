"""Whether each target keeps a declared property, and what the pair of answers means: pure.

Differential, as everything in twinsight: a property the legacy breaks too is not the
candidate's regression, but both breaking what the spec says is worth telling (the spec
or both services are wrong)."""

from __future__ import annotations

from dataclasses import dataclass

from twinsight.explore.driver import Outcome

__all__ = ["Kept", "Trial", "classify"]


@dataclass(frozen=True)
class Kept:
    """One target's result on one trial: kept, or broken and how."""

    kept: bool
    how: str = ""

    @classmethod
    def broken(cls, how: str) -> Kept:
        """Broken, in words naming what the target did."""
        return cls(False, how)


KEPT = Kept(True)


@dataclass(frozen=True)
class Trial:
    """One attempt at a property (one transition, one repeated request, one batch):
    what was tried, each target's result, or why it could not be tried."""

    what: str
    legacy: Kept | None = None
    candidate: Kept | None = None
    skipped: str = ""  # why it was not tried (no operation, state not reachable, ...)
    steps: tuple[Outcome, ...] = ()

    @property
    def classification(self) -> str:
        """The pair's verdict: `match`, `regression`, `explained`, `spec_conflict`, or
        `not_checked` when a target's result is missing."""
        if self.skipped or self.legacy is None or self.candidate is None:
            return "not_checked"
        return classify(self.legacy.kept, self.candidate.kept)


def classify(legacy: bool, candidate: bool) -> str:
    """Both keep it: match; only the legacy: regression; only the candidate: explained
    (the rewrite fixed what the spec asks); neither: spec_conflict."""
    if legacy and candidate:
        return "match"
    if legacy:
        return "regression"
    return "explained" if candidate else "spec_conflict"
