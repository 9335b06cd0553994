"""A shrunk finding sent once more, on its own session, so the store holds exactly its
steps (`propose` turns them into a scenario) and the printout says whether it diverges
again. Ids the first run's creates handed out are replaced by the new creates' ids."""

from __future__ import annotations

from dataclasses import replace

from twinsight.records import finding_session

from .driver import Driver, Outcome, Step, created_id
from .search import Finding

__all__ = ["confirm"]


def confirm(driver: Driver, finding: Finding, number: int, stop_at: frozenset[str]) -> Finding:
    """`finding` sent again as session `<run>:finding:<number>`; what it creates is deleted
    afterwards. `confirmed` says whether its last step landed in `stop_at` again."""
    session = finding_session(driver.run, number)
    driver.reset()
    renamed: dict[str, str] = {}
    sent: list[Outcome] = []
    try:
        for outcome in finding.steps:
            sent.append(driver.exchange(_renamed(outcome.step, renamed), session))
            old, new = created_id(outcome.legacy), created_id(sent[-1].legacy)
            if old is not None and new is not None:
                renamed[old] = new
    finally:
        for outcome in sent:
            if _made(outcome):
                driver.undo(outcome)
    again = bool(sent) and sent[-1].verdict.classification in stop_at
    return replace(finding, session=session, confirmed=again)


def _made(outcome: Outcome) -> bool:
    """Whether a step created something: a 201, or an answer naming where it lives."""
    return any(
        answer.status == 201 or answer.header("location") is not None
        for answer in (outcome.legacy, outcome.candidate)
    )


def _renamed(step: Step, renamed: dict[str, str]) -> Step:
    if not renamed:
        return step
    segments = [renamed.get(s, s) for s in step.path.split("/")]
    return replace(step, path="/".join(segments))
