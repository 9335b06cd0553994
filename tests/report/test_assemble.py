"""Assembling a report from the verdict and the store's rows: pure, no store needed."""

from datetime import UTC, datetime, timedelta

from twinsight.report.assemble import (
    ConfiguredRule,
    StoreFacts,
    assemble_report,
    one_sided,
    ordered_endpoints,
)
from twinsight.report.document import ReportData
from twinsight.store import ClusterRow, StoreInfo
from twinsight.store.reportdata import (
    ExampleAnswer,
    ExampleExchange,
    LatencyQuantiles,
    SideCount,
    SuppressionCount,
    TimelineCount,
)

from .builders import endpoint, verdict

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _assemble(facts: StoreFacts, rules: tuple[ConfiguredRule, ...] = ()) -> ReportData:
    return assemble_report(
        verdict(),
        facts,
        rules=rules,
        targets={"legacy": "http://legacy.test", "candidate": "http://candidate.test"},
        legacy="legacy",
        command="twinsight report",
        generated_at="now",
    )


def test_failing_endpoints_come_first_then_inconclusive_then_passing_busiest_first() -> None:
    found = ordered_endpoints(
        [endpoint("a", 10, 0), endpoint("b", 5, 1, "fail"), endpoint("c", 50, 0),
         endpoint("d", 3, 0, "inconclusive"), endpoint("e", 9, 2, "fail")]
    )  # fmt: skip
    assert [e.endpoint for e in found] == ["e", "b", "d", "c", "a"]


def test_an_endpoint_one_target_never_really_served_is_named() -> None:
    sides = [
        SideCount("GET /new", "legacy", 4, 4, 4),  # only 404s
        SideCount("GET /new", "candidate", 4, 4, 0),
        SideCount("GET /both", "legacy", 2, 2, 0),
        SideCount("GET /both", "candidate", 2, 2, 0),
        SideCount("GET /gone", "legacy", 3, 3, 0),
        SideCount("GET /gone", "candidate", 3, 0, 0),  # never answered
    ]
    found = one_sided(sides)
    assert [(o.endpoint, o.served_by, o.not_by) for o in found] == [
        ("GET /gone", ("legacy",), ("candidate",)),
        ("GET /new", ("candidate",), ("legacy",)),
    ]


def test_the_ledger_lists_every_rule_with_what_it_hid_zero_included_and_replica_noise() -> None:
    rules = (
        ConfiguredRule("normalize", "body.id", "shape", "own ids"),
        ConfiguredRule("normalize", "body.*_at", "shape", "own times"),
        ConfiguredRule("accepted", "GET /health body.version", "accepted", "new field"),
    )
    counts = [
        SuppressionCount("noise", "body.id", 16, 12),
        SuppressionCount("accepted", "GET /health body.version: new field", 1, 1),
        SuppressionCount("noise", "replica", 7, 5),
    ]
    ledger = _assemble(StoreFacts(StoreInfo(), suppressions=counts), rules).ledger
    assert [(r.origin, r.where, r.differences, r.exchanges) for r in ledger] == [
        ("normalize", "body.id", 16, 12),
        ("normalize", "body.*_at", 0, 0),
        ("accepted", "GET /health body.version", 1, 1),
        ("replica", "replica", 7, 5),
    ]


def _cluster(ids: list[str]) -> ClusterRow:
    return ClusterRow(
        "GET /notes/{id}", "body.note", "changed", "string changed", 5, 0.2,
        "On GET /notes/{id}, body.note differs", ["text changed"], [], "[]", ids,
    )  # fmt: skip


def _example(id_: str) -> ExampleExchange:
    answers = [
        ExampleAnswer("candidate", 200, [{"name": "X", "value": "2"}], b'{"note": "b"}',
                      "application/json", False, 2.0, None),
        ExampleAnswer("legacy", 200, [{"name": "X", "value": "1"}], b'{"note": "a"}',
                      "application/json", True, 1.0, None),
        ExampleAnswer("replica", 200, None, b"{}", None, False, 1.0, None),
    ]  # fmt: skip
    return ExampleExchange(
        id_, T0, "GET", "http", "h", "/notes/1", "v=1", [{"name": "Accept", "value": "*/*"}],
        None, answers, [("body.note", "changed")],
    )  # fmt: skip


def test_clusters_carry_their_examples_legacy_first_flagged_and_with_curl_per_target() -> None:
    facts = StoreFacts(
        StoreInfo(), clusters=[_cluster(["x1", "x2", "missing"])], clusters_total=(1, 5),
        examples={"x1": _example("x1"), "x2": _example("x2")},
    )  # fmt: skip
    (cluster,) = _assemble(facts).clusters
    assert cluster.rank == 1
    assert cluster.hypotheses == ("text changed",)
    assert [e.id for e in cluster.examples] == ["x1", "x2"]
    example = cluster.examples[0]
    assert example.request == "GET /notes/1?v=1"
    assert [a.target for a in example.answers] == ["legacy", "candidate"]
    legacy = example.answers[0]
    assert ('  "note": "a"', True) in legacy.body
    assert legacy.note == "stored body cut at max_body"
    assert legacy.curl.startswith("curl -X GET 'http://legacy.test/notes/1?v=1'")
    assert example.answers[1].curl.startswith("curl -X GET 'http://candidate.test/notes/1?v=1'")


def test_latency_timeline_and_coverage_are_carried_over() -> None:
    facts = StoreFacts(
        StoreInfo(counters={"served": 10, "mirrored": 8, "dropped.queue_full": 2,
                            "dropped.write_not_mirrored": 3}, unanswered=1),
        latencies=[LatencyQuantiles("GET /a", "legacy", 4, [1.0, 2.0, 3.0]),
                   LatencyQuantiles("GET /a", "candidate", 4, [2.0, 4.0, 6.0])],
        timeline=[TimelineCount(0, "match", 3), TimelineCount(9, "unexplained", 1)],
        extent=(T0, T0 + timedelta(seconds=100)),
        buckets=10,
    )  # fmt: skip
    report = _assemble(facts)
    (latency,) = report.latency
    assert latency.percentile("candidate", 50) == 4.0
    assert latency.percentile("legacy", 100) == 3.0
    assert latency.percentile("replica", 50) is None
    assert [(b.start, b.classification) for b in report.timeline] == [
        (T0.isoformat(), "match"),
        ((T0 + timedelta(seconds=90)).isoformat(), "unexplained"),
    ]
    u = report.uncovered
    assert u.mirrored_share == 0.8
    assert u.writes_not_mirrored == 3
    assert u.dropped == {"dropped.queue_full": 2, "dropped.write_not_mirrored": 3}
    assert u.not_compared == {"write not mirrored": 2, "unanswered": 1}
    assert report.thresholds == {"overall": 0.001}


def test_a_cause_on_several_endpoints_renders_once_with_its_endpoints() -> None:
    from twinsight.report.html import render_html
    from twinsight.report.markdown import render_markdown

    row = _cluster(["x1"])._replace(
        endpoint="*",
        description="On 2 of 5 endpoints, the candidate leaves out headers.x-id",
        endpoints=["GET /a", "GET /b"],
        endpoint_exchanges=[3, 2],
        endpoint_shares=[0.3, 0.1],
        of_endpoints=5,
    )
    report = _assemble(StoreFacts(StoreInfo(), clusters=[row], clusters_total=(1, 5)))
    (cluster,) = report.clusters
    assert cluster.where == "2 of 5 endpoints"
    assert cluster.endpoints == (("GET /a", 3, 0.3), ("GET /b", 2, 0.1))
    assert "On 2 of 5 endpoints: GET /a (3, 30.0 %), GET /b (2, 10.0 %)." in render_markdown(report)
    page = render_html(report, charts=False)
    assert "#1 2 of 5 endpoints" in page
    assert "<code>GET /a</code> 3 (30.0 %)" in page


def test_a_cluster_of_one_endpoint_is_shown_under_that_endpoint() -> None:
    (cluster,) = _assemble(StoreFacts(StoreInfo(), clusters=[_cluster(["x1"])])).clusters
    assert (cluster.where, cluster.endpoints) == ("GET /notes/{id}", ())


def test_xml_locations_are_shown_with_short_namespace_names_and_a_legend() -> None:
    from twinsight.report.html import render_html
    from twinsight.report.markdown import render_markdown

    where = "body.{urn:example:orders}order.{urn:example:orders}total"
    row = _cluster(["x1"])._replace(
        location=where, description=f"On POST /soap GetOrder, {where} is missing"
    )
    report = _assemble(StoreFacts(StoreInfo(), clusters=[row], clusters_total=(1, 1)))
    (cluster,) = report.clusters
    assert cluster.location == "body.orders:order.orders:total"
    assert (
        cluster.description == "On POST /soap GetOrder, body.orders:order.orders:total is missing"
    )
    assert report.namespaces == (("orders", "urn:example:orders"),)
    assert "XML namespaces: `orders:` urn:example:orders." in render_markdown(report)
    assert "<code>orders:</code> urn:example:orders" in render_html(report, charts=False)
