"""Constraint words read as checks, and checks measured on load rows: no servers."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.constraints import as_outcomes, measure_constraints
from twinsight.spec.constraints import (
    ErrorRateCheck,
    LatencyCheck,
    RateLimitCheck,
    Unmeasurable,
    measurable_check,
)
from twinsight.store.loads import LoadRow


@pytest.mark.parametrize(
    ("requirement", "measurement", "expected"),
    [
        (
            "p95 latency < 100ms for all read operations",
            "Under load of 1000 requests/second",
            LatencyCheck(95, 100, False, ("GET", "HEAD"), 1000),
        ),
        (
            "p99 latency < 200ms for create/update operations",
            "Under load of 100 requests/second",
            LatencyCheck(99, 200, False, ("PATCH", "POST", "PUT"), 100),
        ),
        ("p50 latency <= 1.5s", None, LatencyCheck(50, 1500, True, None, None)),
        ("error rate below 1% under 50 rps", None, ErrorRateCheck(0.01, False, None, 50)),
        (
            "p95 latency < 200ms for all operations except delete",
            None,
            LatencyCheck(95, 200, False, ("GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"), None),
        ),
        (
            "p95 latency < 200ms for all operations except delete and update under 50 rps",
            None,
            LatencyCheck(95, 200, False, ("GET", "HEAD", "OPTIONS", "POST"), 50),
        ),
        (
            "error rate below 1% except deletes",
            None,
            ErrorRateCheck(0.01, False, ("GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"), None),
        ),
        (
            "rate limit 100 requests per minute per user",
            None,
            RateLimitCheck(100, 60, per_user=True),
        ),
    ],
)
def test_the_words_the_spec_proposal_uses_become_checks(
    requirement: str, measurement: str | None, expected: object
) -> None:
    assert measurable_check(requirement, measurement) == expected


@pytest.mark.parametrize(
    ("requirement", "why"),
    [
        ("All endpoints require valid JWT token", "names no percentile latency"),
        ("p95 latency < 100ms for frobnication", "names no operation class"),
        ("p95 latency < 1s for all operations except health checks", "names no operation class"),
        ("p95 latency < 1s for deletes except deletes", "leaves no operation to measure"),
        ("Read operations continue during write failures", "names no percentile latency"),
        ("p95 latency < 100ms and p99 latency < 300ms", "names 2 bounds"),
        ("error rate < 1% and p95 latency < 100ms", "names 2 bounds"),
        ("rate limit 10 requests per second, error rate < 1%", "names 2 bounds"),
    ],
)
def test_words_naming_nothing_measurable_say_why(requirement: str, why: str) -> None:
    found = measurable_check(requirement)
    assert isinstance(found, Unmeasurable)
    assert why in found.reason


@given(st.text(), st.one_of(st.none(), st.text()))
def test_any_text_gives_a_check_or_a_reason_never_an_error(
    requirement: str, measurement: str | None
) -> None:
    found = measurable_check(requirement, measurement)
    if isinstance(found, Unmeasurable):
        assert found.reason
    else:
        assert isinstance(found, LatencyCheck | ErrorRateCheck | RateLimitCheck)


@given(st.text(), st.one_of(st.just(""), st.text()))
def test_any_constraint_text_is_measured_or_said_not_measurable(
    requirement: str, measurement: str
) -> None:
    rows = [_row("legacy", "GET", [10.0] * 50), _row("candidate", "POST", [20.0] * 50)]
    (found,) = measure_constraints([("g", "n", requirement, measurement)], rows)
    if not found.measures:
        assert found.reason
    for measure in found.measures:
        assert measure.status in ("met", "missed", "not measurable")
        assert measure.why


def _row(target: str, method: str, latencies: list[float], *, errors: int = 0,
         refused: int = 0, duration: float = 10.0) -> LoadRow:  # fmt: skip
    return LoadRow(
        "run", datetime(2026, 1, 1, tzinfo=UTC), target, "http://x", f"{method} /tasks",
        method, len(latencies), errors, refused, "{}", latencies, duration, 4, None,
    )  # fmt: skip


SPEC = [
    ("performance", "reads", "p95 latency < 100ms for all read operations", ""),
    ("performance", "busy reads", "p95 latency < 100ms for reads", "under 1000 rps"),
    ("reliability", "errors", "error rate < 1%", ""),
    ("security", "jwt", "All endpoints require valid JWT token", ""),
    ("security", "limit", "rate limit 10 requests per second", ""),
]


def test_each_target_is_met_missed_or_not_measurable_with_its_value() -> None:
    rows = [
        _row("legacy", "GET", [10.0] * 1000),
        _row("candidate", "GET", [150.0] * 1000, errors=50, refused=0),
    ]
    found = {r.name: r for r in measure_constraints(SPEC, rows)}
    reads = {m.target: m for m in found["reads"].measures}
    assert [m.target for m in found["reads"].measures] == ["legacy", "candidate"]
    assert (reads["legacy"].status, reads["legacy"].value) == ("met", 10.0)
    assert (reads["candidate"].status, reads["candidate"].value) == ("missed", 150.0)
    busy = {m.target: m.status for m in found["busy reads"].measures}
    # Met at 100 req/s is not met under 1000; missed at 100 is missed.
    assert busy == {"legacy": "not measurable", "candidate": "missed"}
    errors = {m.target: m.status for m in found["errors"].measures}
    assert errors == {"legacy": "met", "candidate": "missed"}
    assert found["jwt"].measures == ()
    assert "names no percentile" in found["jwt"].reason
    limit = {m.target: m.status for m in found["limit"].measures}
    assert limit == {"legacy": "missed", "candidate": "missed"}  # 100 req/s, no 429


def test_operations_excepted_are_not_measured() -> None:
    # Fast reads and writes, slow deletes: the deletes the words leave out do not count.
    rows = [
        _row("legacy", "GET", [10.0] * 500),
        _row("legacy", "POST", [10.0] * 500),
        _row("legacy", "DELETE", [900.0] * 500),
    ]
    spec = [
        (
            "performance",
            "all but delete",
            "p95 latency < 100ms for all operations except delete",
            "",
        )
    ]
    (measure,) = measure_constraints(spec, rows)[0].measures
    assert (measure.status, measure.value) == ("met", 10.0)
    assert "over 1000 answers" in measure.why


def test_too_few_answers_and_a_limit_never_exceeded_are_not_measurable() -> None:
    rows = [_row("legacy", "GET", [10.0] * 5, duration=10.0)]
    found = {r.name: r for r in measure_constraints(SPEC, rows)}
    (reads,) = found["reads"].measures
    assert reads.status == "not measurable"
    assert "too few answers" in reads.why
    (limit,) = found["limit"].measures
    assert limit.status == "not measurable"
    assert "--rate above it" in limit.why


def test_a_rate_limit_is_met_by_429s_beyond_it_and_missed_by_429s_within_it() -> None:
    limit = [("security", "limit", "rate limit 600 requests per minute", "")]
    beyond = [_row("legacy", "GET", [1.0] * 200, refused=50, duration=10.0)]  # 20 req/s
    within = [_row("legacy", "GET", [1.0] * 50, refused=5, duration=10.0)]  # 5 req/s
    (met,) = measure_constraints(limit, beyond)[0].measures
    (missed,) = measure_constraints(limit, within)[0].measures
    assert (met.status, met.value) == ("met", 50.0)
    assert (missed.status, missed.value) == ("missed", 5.0)
    assert "within the limit" in missed.why


def test_no_load_run_leaves_every_constraint_not_measurable() -> None:
    outcomes = as_outcomes(measure_constraints(SPEC, []), "candidate")
    assert {o.status for o in outcomes} == {"not_measured"}
    assert all("not measurable" in o.reason for o in outcomes)


def test_readiness_outcomes_follow_the_candidate_and_name_the_legacy() -> None:
    rows = [_row("legacy", "GET", [10.0] * 1000), _row("candidate", "GET", [150.0] * 1000)]
    outcomes = as_outcomes(measure_constraints(SPEC[:1], rows), "candidate")
    assert [(o.scope, o.status, o.observed) for o in outcomes] == [
        ("performance: reads", "fail", 150.0)
    ]
    assert "legacy: p95 10.0 ms" in outcomes[0].reason


def test_without_locust_the_missing_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from twinsight.errors import MissingExtra
    from twinsight.load.runner import locust_available

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingExtra, match=r"pip install 'twinsight\[load\]'"):
        locust_available()


def test_no_failure_in_a_few_answers_does_not_meet_an_error_rate() -> None:
    # 0 of 10 failed: at 95% the rate may still be near 26%, far above 1%.
    errors = [("reliability", "errors", "error rate < 1%", "")]
    (few,) = measure_constraints(errors, [_row("legacy", "GET", [1.0] * 10)])[0].measures
    (many,) = measure_constraints(errors, [_row("legacy", "GET", [1.0] * 1000)])[0].measures
    assert (few.status, few.value) == ("not measurable", 0.0)
    assert "too few answers" in few.why
    assert many.status == "met"


def test_a_few_429s_do_not_meet_a_limit_that_lets_the_rest_through() -> None:
    # 10 req/s stated; 1000 req/s for 60 s, one refused: 59,999 accepted, 610 allowed.
    limit = [("security", "limit", "rate limit 10 requests per second", "")]
    flood = [_row("legacy", "GET", [1.0] * 60_000, refused=1, duration=60.0)]
    (measure,) = measure_constraints(limit, flood)[0].measures
    assert measure.status == "missed"
    assert "59999 accepted in 60s, the limit allows at most 610" in measure.why


def _limited(limit: int, *, users: int, per_s: float, seconds: int, refuse_after: int | None = None,
             never: int | None = None) -> list[LoadRow]:  # fmt: skip
    """One target's row: `users` identities sending `per_s` each, answered by a fixed
    one-second window allowing `refuse_after` (default `limit`) per identity, except
    identity `never`, never refused."""
    sent, who, codes = [], [], []
    for user in range(users):
        counts: dict[int, int] = {}
        for i in range(int(per_s * seconds)):
            at = i * 1000 / per_s + user  # ms
            window = int(at // 1000)
            counts[window] = counts.get(window, 0) + 1
            allowed = limit if refuse_after is None else refuse_after
            refused = counts[window] > allowed and user != never
            sent.append(at)
            who.append(user)
            codes.append(429 if refused else 200)
    row = _row("legacy", "GET", [1.0] * len(codes), refused=codes.count(429),
               duration=float(seconds))  # fmt: skip
    return [row._replace(users=users, sent_ms=sent, who=who, codes=codes, identities=users)]


PER_USER = [("security", "limit", "rate limit 5 requests per second per user", "")]


def test_a_per_user_limit_is_met_when_each_user_is_refused_past_it_and_not_before() -> None:
    (measure,) = measure_constraints(PER_USER, _limited(5, users=3, per_s=10, seconds=4))[
        0
    ].measures
    assert measure.status == "met", measure.why
    assert "each of 3 of 3 users that sent more than 5 per 1s was refused" in measure.why


def test_a_user_refused_before_the_limit_or_never_misses_it() -> None:
    early = _limited(5, users=2, per_s=10, seconds=3, refuse_after=2)
    (measure,) = measure_constraints(PER_USER, early)[0].measures
    assert measure.status == "missed"
    assert "user 1 was refused after 2 accepted in a window" in measure.why
    spared = _limited(5, users=2, per_s=10, seconds=3, never=1)
    (measure,) = measure_constraints(PER_USER, spared)[0].measures
    assert measure.status == "missed"
    assert "user 2 sent more than 5 per 1s and was never refused" in measure.why


def test_users_never_past_a_per_user_limit_do_not_meet_it() -> None:
    slow = _limited(5, users=2, per_s=3, seconds=3)
    (measure,) = measure_constraints(PER_USER, slow)[0].measures
    assert measure.status == "not measurable"
    assert "none of 2 users sent more than 5 per 1s" in measure.why


def test_one_identity_is_said_to_measure_a_per_user_limit_as_one_user() -> None:
    # A limiter per user, every request from one: the whole target's count is judged.
    alone = _limited(5, users=1, per_s=10, seconds=4)
    (measure,) = measure_constraints(PER_USER, alone)[0].measures
    assert "measured as one user" in measure.why


@given(
    count=st.integers(1, 20),
    start=st.floats(0, 1, exclude_max=True),
    span=st.floats(0.01, 10),
    sent=st.lists(st.floats(0, 1), min_size=1, max_size=300),
)
def test_a_fixed_window_service_never_accepts_more_than_the_limit_allows(
    count: int, start: float, span: float, sent: list[float]
) -> None:
    # A service counting per calendar second, requests sent over `span` seconds from `start`:
    # a span of 2.81 s touches 4 windows, so 5 per second may accept 20 (the bound was 19).
    check = RateLimitCheck(count, 1, per_user=True)
    windows = Counter(math.floor(start + fraction * span) for fraction in sent)
    accepted = sum(min(n, count) for n in windows.values())
    assert accepted <= check.most_accepted(span)
    assert RateLimitCheck(5, 1, per_user=True).most_accepted(2.81) == 20
