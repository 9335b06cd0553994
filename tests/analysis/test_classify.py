from twinsight.analysis.classify import Judged, classify
from twinsight.analysis.diff import Difference, Message
from twinsight.analysis.scenarios import LineResult
from twinsight.spec import CheckResult

OK, NO = CheckResult(True), CheckResult(False, "expression is false")
LEGACY = Message(200)
DIFF = Difference("body.x", "changed", 1, 2)


def line(legacy: CheckResult, candidate: CheckResult) -> LineResult:
    return LineResult("S", "a line", legacy, candidate)


def test_precedence() -> None:
    real, noisy = Judged(DIFF), Judged(DIFF, noise="body.x")
    accepted = Judged(DIFF, accepted="body.x: fine")
    cases = [
        (Message(None, error="timeout"), [real], [line(OK, NO)], "candidate_error"),
        (Message(503), [], [], "candidate_error"),
        (Message(200), [noisy], [line(OK, NO)], "regression"),
        (Message(200), [], [line(NO, NO), line(NO, OK)], "spec_conflict"),
        (Message(200), [real], [line(NO, OK)], "explained"),
        (Message(200), [real, accepted], [line(OK, OK)], "unexplained"),
        (Message(200), [accepted, noisy], [], "explained"),
        (Message(200), [noisy], [line(OK, OK)], "noise"),
        (Message(200), [], [line(OK, OK)], "match"),
    ]
    for candidate, judged, lines, expected in cases:
        assert classify(LEGACY, candidate, judged, lines).classification == expected, expected


def test_a_legacy_5xx_is_not_the_candidates_error() -> None:
    verdict = classify(Message(500), Message(500), [], [])
    assert verdict.classification == "match"
    assert (
        classify(
            Message(None, error="refused"), Message(None, error="refused"), [], []
        ).classification
        == "match"
    )


def test_reasons() -> None:
    assert classify(LEGACY, Message(200), [Judged(DIFF)], []).reason == (
        "body.x changed: legacy 1, candidate 2"
    )
    assert classify(LEGACY, Message(200), [], [line(OK, NO)]).reason == (
        "S: a line (candidate: expression is false)"
    )


def test_a_check_stopped_by_the_budget_decides_nothing() -> None:
    over = CheckResult(False, "over budget: more than 50,000 steps")
    assert classify(LEGACY, Message(200), [], [line(over, over)]).classification == "match"
    assert classify(LEGACY, Message(200), [], [line(OK, over)]).classification == "match"
    real = [Judged(DIFF)]
    assert classify(LEGACY, Message(200), real, [line(over, NO)]).classification == "unexplained"
