"""Property-based differential exploration: requests generated from the spec's inputs and
sequences of its operations, sent to both targets, recorded as `source = "explore"`."""

from twinsight.explore.driver import Classify, Driver, Outcome, Step, Verdict
from twinsight.explore.render import finding_lines
from twinsight.explore.reset import Reset, ResetFailed
from twinsight.explore.run import Explored, NothingToExplore, explore
from twinsight.explore.search import Finding, Limits, Progress

__all__ = [
    "Classify",
    "Driver",
    "Explored",
    "Finding",
    "Limits",
    "NothingToExplore",
    "Outcome",
    "Progress",
    "Reset",
    "ResetFailed",
    "Step",
    "Verdict",
    "explore",
    "finding_lines",
]
