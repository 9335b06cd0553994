"""The readiness rules on hand-made evidence: each verdict, its reason, and what is left
not measured."""

import pytest

from twinsight.analysis.collect import ScenarioRun
from twinsight.analysis.readiness import Evidence, evaluate, policy_hash
from twinsight.analysis.readiness_latency import measurable
from twinsight.config import ReadinessSettings
from twinsight.store import StoredEvidence
from twinsight.store.evidence import AnswerSample, ClassificationCount, ClusterShare, ReasonCount

POLICY = ReadinessSettings(
    min_samples=50,
    min_match_rate=0.9,
    min_latency_samples=20,
    min_scenario_samples=0,
    error_slack=0.05,
)
SERVED = {"served": 400, "sampled": 400, "mirrored": 400, "stored": 400}


def answers(endpoint: str, n: int, legacy_ms: float = 10.0, candidate_ms: float = 10.0) -> list:
    spread = [i % 7 * 0.1 for i in range(n)]
    return [
        AnswerSample(endpoint, "legacy", n, 0, [legacy_ms + s for s in spread]),
        AnswerSample(endpoint, "candidate", n, 0, [candidate_ms + s for s in spread]),
    ]


def evidence(*counts: tuple[str, str, int], **more: object) -> Evidence:
    endpoints = {e for e, _, _ in counts}
    stored = StoredEvidence(
        "candidate",
        counts=[ClassificationCount(*c) for c in counts],
        answers=[a for e in sorted(endpoints) for a in answers(e, 100)],
        counters=SERVED,
        **more,  # type: ignore[arg-type]
    )
    return Evidence(stored)


def test_enough_agreeing_traffic_is_ready() -> None:
    verdict = evaluate(
        evidence(("GET /a", "match", 80), ("GET /a", "noise", 20), ("GET /b", "explained", 100)),
        POLICY,
    )
    assert verdict.status == "READY", verdict.reason
    assert verdict.reason.startswith("every rule passes")
    assert verdict.exchanges == 200
    assert [e.endpoint for e in verdict.endpoints] == ["GET /a", "GET /b"]
    assert verdict.endpoints[0].latency_status == "same"
    assert verdict.coverage == SERVED


def test_a_regression_fails_and_names_itself() -> None:
    why = "List tasks: I should see only tasks with that status (candidate: expression is false)"
    verdict = evaluate(
        evidence(
            ("GET /a", "match", 99),
            ("GET /a", "regression", 1),
            reasons=[ReasonCount("GET /a", "regression", why, 1)],
        ),
        POLICY,
    )
    assert verdict.status == "NOT READY"
    assert verdict.reason.startswith("regressions: 1 regression(s): GET /a: List tasks")


def test_an_unexplained_cluster_fails_above_its_share_and_is_listed_below() -> None:
    def cluster(share: float) -> ClusterShare:
        return ClusterShare(
            "DELETE /a", "status", "changed", "status differs", 1, share, ["unexplained"]
        )

    above = evaluate(
        evidence(
            ("DELETE /a", "match", 99), ("DELETE /a", "unexplained", 1), clusters=[cluster(0.5)]
        ),
        POLICY,
    )
    assert above.status == "NOT READY"
    assert "unexplained cluster [DELETE /a status] (50% > 1%)" in above.reason
    below = evaluate(
        evidence(
            ("DELETE /a", "match", 999), ("DELETE /a", "unexplained", 1), clusters=[cluster(0.001)]
        ),
        POLICY,
    )
    listed = [r for r in below.rules if r.rule == "unexplained"]
    assert [(r.scope, r.status) for r in listed] == [("DELETE /a status", "pass")]


def test_thin_evidence_is_inconclusive_with_how_many_more() -> None:
    verdict = evaluate(evidence(("GET /a", "match", 10)), POLICY)
    assert verdict.status == "INCONCLUSIVE"
    minimum = next(r for r in verdict.rules if r.rule == "evidence")
    assert (minimum.status, minimum.more_needed) == ("inconclusive", 40)
    agreement = next(r for r in verdict.rules if r.rule == "agreement" and r.scope == "GET /a")
    assert agreement.interval is not None
    assert agreement.interval.method == "rule of three"
    assert agreement.more_needed == 20  # 3/n <= 10 % from n = 30
    assert "more exchange(s) needed" in verdict.reason


def test_nothing_analysed_is_inconclusive() -> None:
    verdict = evaluate(Evidence(StoredEvidence("candidate")), POLICY)
    assert verdict.status == "INCONCLUSIVE"
    assert verdict.exchanges == 0


def test_candidate_errors_are_judged_against_the_legacy_rate_plus_slack() -> None:
    verdict = evaluate(
        evidence(("GET /a", "match", 300), ("GET /a", "candidate_error", 60)), POLICY
    )
    errors = next(r for r in verdict.rules if r.rule == "errors")
    assert errors.status == "fail"
    assert errors.threshold == POLICY.error_slack


def test_short_capture_coverage_is_inconclusive_and_writes_not_mirrored_not_compared() -> None:
    counters = {"served": 100, "mirrored": 80, "dropped.write_not_mirrored": 20}
    stored = StoredEvidence(
        "candidate",
        counts=[ClassificationCount("GET /a", "match", 100)],
        answers=answers("GET /a", 100),
        counters=counters,
    )
    verdict = evaluate(Evidence(stored), POLICY)
    assert verdict.status == "INCONCLUSIVE"
    coverage = next(r for r in verdict.rules if r.rule == "coverage")
    assert (coverage.status, coverage.observed) == ("inconclusive", 0.8)
    assert verdict.not_compared == {"writes not mirrored": 20}


def test_replayed_traffic_has_no_coverage_to_measure() -> None:
    stored = StoredEvidence("candidate", counts=[ClassificationCount("GET /a", "match", 100)])
    verdict = evaluate(Evidence(stored), POLICY.model_copy(update={"min_latency_samples": 1}))
    coverage = next(r for r in verdict.rules if r.rule == "coverage")
    assert coverage.status == "not_measured"


def test_a_slower_candidate_fails_latency_parity() -> None:
    stored = StoredEvidence(
        "candidate",
        counts=[ClassificationCount("GET /a", "match", 100)],
        answers=answers("GET /a", 100, legacy_ms=10, candidate_ms=20),
        counters=SERVED,
    )
    verdict = evaluate(Evidence(stored), POLICY)
    assert verdict.status == "NOT READY"
    assert verdict.endpoints[0].latency_status == "higher"
    assert verdict.endpoints[0].latency_ms["candidate"]["p50"] > 20


def test_spec_constraints_measured_or_listed_as_not_measured() -> None:
    stored = StoredEvidence(
        "candidate",
        counts=[ClassificationCount("GET /a", "match", 100)],
        answers=answers("GET /a", 100, candidate_ms=150),
        counters=SERVED,
    )
    constraints = [
        ("performance", "reads", "p95 latency < 100ms for all read operations", ""),
        ("performance", "writes", "p99 latency < 200ms for create/update operations", ""),
        ("security", "auth", "All endpoints require valid JWT token", ""),
    ]
    relaxed = POLICY.model_copy(update={"latency_increase": 100.0})
    verdict = evaluate(Evidence(stored, (), constraints), relaxed)
    found = {r.scope: r.status for r in verdict.rules if r.rule == "constraint"}
    assert found == {
        "performance: reads": "fail",  # the candidate's p95 of GETs is 150 ms
        "performance: writes": "inconclusive",  # no create or update seen
        "security: auth": "not_measured",
    }


def test_constraint_wording_read() -> None:
    read = measurable("p95 latency < 100ms for all read operations")
    assert read is not None
    assert (read.point, read.bound_ms, read.methods) == (95.0, 100.0, ("GET", "HEAD"))
    write = measurable("p99 latency < 0.2s for create/update operations")
    assert write is not None
    assert (write.bound_ms, write.methods) == (200.0, ("PATCH", "POST", "PUT"))
    every = measurable("P50 latency under 30 ms")
    assert every is not None
    assert every.methods is None
    assert measurable("Read operations continue during write failures") is None
    assert measurable("p95 latency < 100ms for the nightly batch") is None


def test_scenarios_bound_to_traffic_want_their_minimum() -> None:
    runs = [ScenarioRun("Read a task", 5, {"legacy": 5, "candidate": 5}, 1, 0)]
    runs.append(ScenarioRun("Prose only", 0, {}, 0, 3))
    stored = evidence(("GET /a", "match", 100)).stored
    policy = POLICY.model_copy(update={"min_scenario_samples": 30})
    verdict = evaluate(Evidence(stored, runs), policy)
    scenario = [r for r in verdict.rules if r.scope.startswith("scenario:")]
    assert [(r.scope, r.more_needed) for r in scenario] == [("scenario: Read a task", 25)]


def test_the_policy_hash_follows_the_policy() -> None:
    assert policy_hash(ReadinessSettings()) == policy_hash(ReadinessSettings())
    assert policy_hash(ReadinessSettings()) != policy_hash(ReadinessSettings(min_samples=10))
    assert len(policy_hash(ReadinessSettings())) == 12
    assert ReadinessSettings().max_disagreement == 0.001


BOUND = (ScenarioRun("Read a task", 300, {"legacy": 300, "candidate": 300}, 1, 0),)


def test_exchanges_never_compared_keep_it_from_ready() -> None:
    # 200 matches, 8,000 exchanges never compared: the capture counters (mirrored before
    # a mirror can end unsent) say 100 %, the share compared says 2.4 %.
    stored = evidence(
        ("GET /a", "match", 100),
        ("GET /b", "match", 100),
        not_compared={"never sent to the candidate": 5000, "no candidate answer stored": 3000},
    ).stored
    verdict = evaluate(Evidence(stored, BOUND), POLICY)
    assert verdict.status == "INCONCLUSIVE", verdict.reason
    compared = next(r for r in verdict.rules if r.rule == "coverage" and r.scope == "compared")
    assert compared.status == "inconclusive"
    assert compared.observed == pytest.approx(200 / 8200)
    assert "8000 not compared" in compared.reason


def test_the_compared_share_is_judged_without_capture_counters() -> None:
    stored = StoredEvidence(
        "candidate",
        counts=[ClassificationCount("GET /a", "match", 100)],
        answers=answers("GET /a", 100),
        not_compared={"no legacy answer": 100},
    )
    verdict = evaluate(Evidence(stored, BOUND), POLICY)
    assert verdict.status == "INCONCLUSIVE", verdict.reason
    assert any(r.scope == "compared" and r.status == "inconclusive" for r in verdict.rules)


def test_candidate_errors_get_the_slack_alone_not_the_legacy_rate_again() -> None:
    # candidate_error counts only exchanges where the legacy did not fail: the legacy's
    # own 30 % must not be granted a second time.
    stored = evidence(("GET /a", "match", 700), ("GET /a", "candidate_error", 300)).stored
    legacy = AnswerSample("GET /a", "legacy", 1000, 300, [10.0] * 100)
    stored = StoredEvidence(
        "candidate",
        counts=stored.counts,
        answers=[legacy, answers("GET /a", 100)[1]],
        counters=SERVED,
    )
    verdict = evaluate(Evidence(stored, BOUND), POLICY.model_copy(update={"min_match_rate": 0.5}))
    errors = next(r for r in verdict.rules if r.rule == "errors")
    assert (errors.status, errors.threshold) == ("fail", POLICY.error_slack)


def test_the_legacy_error_rate_counts_each_exchange_once() -> None:
    # 100 legacy exchanges: 90 answered 2xx, 10 answered 5xx: 10 %, not 10/110.
    legacy = AnswerSample("GET /a", "legacy", 100, 10, [10.0] * 100)
    stored = StoredEvidence(
        "candidate",
        counts=[ClassificationCount("GET /a", "match", 100)],
        answers=[legacy, answers("GET /a", 100)[1]],
        counters=SERVED,
    )
    errors = next(r for r in evaluate(Evidence(stored), POLICY).rules if r.rule == "errors")
    assert "legacy's own error rate 10.00%" in errors.reason


def test_without_a_bound_scenario_regressions_are_not_measured() -> None:
    verdict = evaluate(evidence(("GET /a", "match", 100)), POLICY)
    found = {r.rule: r.status for r in verdict.rules if r.scope == "overall"}
    assert found["regressions"] == "not_measured"
    assert found["spec_conflicts"] == "not_measured"
    assert "regressions" in verdict.reason
    bound = evaluate(Evidence(evidence(("GET /a", "match", 100)).stored, BOUND), POLICY)
    assert {r.rule: r.status for r in bound.rules}["regressions"] == "pass"


def test_a_zero_threshold_fails_on_any_event_and_passes_on_enough_evidence() -> None:
    strict = POLICY.model_copy(update={"min_match_rate": 1.0, "error_slack": 0.0})
    clean = evaluate(Evidence(evidence(("GET /a", "match", 100)).stored, BOUND), strict)
    assert clean.status == "READY", clean.reason
    one = evaluate(
        Evidence(evidence(("GET /a", "match", 99), ("GET /a", "candidate_error", 1)).stored, BOUND),
        strict,
    )
    assert one.status == "NOT READY", one.reason
    thin = evaluate(Evidence(evidence(("GET /a", "match", 10)).stored, BOUND), strict)
    agreement = next(r for r in thin.rules if r.rule == "agreement" and r.scope == "GET /a")
    assert (agreement.status, agreement.more_needed) == ("inconclusive", 40)


def test_unexplained_exchanges_no_cluster_lists_do_not_vanish() -> None:
    found = evidence(("GET /a", "match", 195), ("GET /a", "unexplained", 5)).stored
    verdict = evaluate(Evidence(found, BOUND), POLICY)
    rule = [r for r in verdict.rules if r.rule == "unexplained"]
    assert [(r.scope, r.status) for r in rule] == [("GET /a", "fail")]
    assert "in no cluster" in rule[0].reason
    assert verdict.status == "NOT READY"
    few = evidence(("GET /a", "match", 999), ("GET /a", "unexplained", 1)).stored
    listed = [r for r in evaluate(Evidence(few, BOUND), POLICY).rules if r.rule == "unexplained"]
    assert [(r.scope, r.status) for r in listed] == [("GET /a", "pass")]


def test_the_headline_adds_up_what_each_endpoint_still_needs() -> None:
    thin = evidence(("GET /a", "match", 10), ("GET /b", "match", 10), ("GET /c", "match", 10))
    verdict = evaluate(Evidence(thin.stored, BOUND), POLICY)
    # 40 more on each of three endpoints to reach 50: 120, not the 40 of one.
    assert verdict.reason.startswith("about 120 more exchange(s) needed"), verdict.reason


def test_a_rate_above_its_threshold_says_more_traffic_would_fail_it() -> None:
    policy = POLICY.model_copy(update={"min_match_rate": 0.5})
    found = evidence(("GET /a", "match", 94), ("GET /a", "candidate_error", 6)).stored
    verdict = evaluate(Evidence(found, BOUND), policy)
    errors = next(r for r in verdict.rules if r.rule == "errors")
    assert errors.status == "inconclusive"
    assert "would make it fail" in errors.reason
    assert f"errors (about {errors.more_needed} more would fail it)" in verdict.reason


def reads(*latencies: float) -> StoredEvidence:
    return StoredEvidence(
        "candidate",
        counts=[ClassificationCount("GET /a", "match", len(latencies))],
        answers=[AnswerSample("GET /a", "candidate", len(latencies), 0, list(latencies))],
        counters=SERVED,
    )


def constraint(stored: StoredEvidence, requirement: str) -> tuple[str, float | None]:
    wanted = [("performance", "reads", requirement, "")]
    verdict = evaluate(Evidence(stored, BOUND, wanted), POLICY)
    found = next(r for r in verdict.rules if r.rule == "constraint")
    return found.status, found.more_needed


def test_a_constraint_reads_its_operator() -> None:
    at_bound = reads(*[100.0] * 200)
    assert constraint(at_bound, "p95 latency <= 100ms for all read operations")[0] == "pass"
    assert constraint(at_bound, "p95 latency < 100ms for all read operations")[0] == "fail"


def test_a_constraint_judges_a_bound_on_the_percentile_not_its_estimate() -> None:
    # 29 answers of 50 ms and one of 150 ms: the point p95 is 50 ms, but 30 answers cannot
    # bound a p95 from above at 95 % (that takes 59: 0.95^59 < 0.05).
    status, more = constraint(reads(*[50.0] * 29, 150.0), "p95 latency < 100ms")
    assert (status, more) == ("inconclusive", 29)
    assert constraint(reads(*[50.0] * 59, 150.0), "p95 latency < 100ms")[0] == "inconclusive"
    assert constraint(reads(*[50.0] * 200), "p95 latency < 100ms")[0] == "pass"
    assert constraint(reads(*[150.0] * 200), "p95 latency < 100ms")[0] == "fail"


def test_the_policy_hash_covers_the_rules_that_decide_agreement() -> None:
    stored = evidence(("GET /a", "match", 100)).stored
    plain = evaluate(Evidence(stored), POLICY).policy_hash
    ignoring = ({"where": "body.id", "compare": "ignore"},)
    hidden = evaluate(Evidence(stored, comparison=ignoring), POLICY).policy_hash
    assert plain != hidden


def test_not_comparable_exchanges_are_missing_evidence_never_agreement() -> None:
    # 900 replays refused for want of credentials beside 100 matches: the 100 are all the
    # evidence there is. Nothing failed, so not NOT READY; too little compared, so not READY.
    verdict = evaluate(
        evidence(("GET /a", "match", 100), ("GET /a", "not_comparable", 900)), POLICY
    )
    assert verdict.status == "INCONCLUSIVE"
    assert verdict.reason.startswith("900 exchange(s) not comparable (replays refused")
    assert verdict.exchanges == 100
    assert verdict.not_compared == {"not_comparable": 900}
    overall = next(r for r in verdict.rules if (r.rule, r.scope) == ("agreement", "overall"))
    assert overall.interval is not None
    assert (overall.interval.events, overall.interval.n) == (0, 100)
    compared = next(r for r in verdict.rules if r.scope == "compared")
    assert compared.status == "inconclusive"
    assert "100 of 1000" in compared.reason
    assert "not_comparable 900" in compared.reason


def test_an_endpoint_nothing_of_which_could_be_compared_wants_evidence() -> None:
    found = evidence(("GET /a", "match", 100), ("GET /b", "not_comparable", 100))
    assert found.by_endpoint == {"GET /a": {"match": 100}}
    verdict = evaluate(found, POLICY)
    minimum = next(r for r in verdict.rules if (r.rule, r.scope) == ("evidence", "GET /b"))
    assert (minimum.status, minimum.observed, minimum.more_needed) == ("inconclusive", 0, 50)
    assert verdict.status == "INCONCLUSIVE"


def test_only_not_comparable_exchanges_are_not_ready_to_say_anything() -> None:
    verdict = evaluate(evidence(("GET /a", "not_comparable", 500)), POLICY)
    assert verdict.status == "INCONCLUSIVE"
    assert verdict.exchanges == 0
    overall = next(r for r in verdict.rules if (r.rule, r.scope) == ("evidence", "overall"))
    assert overall.reason == "no exchange compared yet"


def test_a_constraint_naming_two_bounds_is_never_judged_on_one() -> None:
    # Judged on its p95 alone, a missed p99 would pass unseen.
    assert measurable("p95 latency < 100ms and p99 latency < 300ms") is None
