"""Verdicts and reports for the report tests, built by hand (the real ones come from
`twinsight ready`'s rules; these tests check rendering, not judging)."""

from __future__ import annotations

import dataclasses

import orjson

from twinsight.events import EndpointEvidence, Interval, ReadinessVerdict, RuleOutcome
from twinsight.report.assemble import ConfiguredRule, StoreFacts, assemble_report
from twinsight.report.document import ReportData
from twinsight.store import ClusterRow, StoreInfo
from twinsight.store.reportdata import ExampleAnswer, ExampleExchange, LatencyQuantiles

ATTACK = "<script>alert(1)</script>"


def interval(events: int, n: int) -> Interval:
    """A made-up interval around events / n (not a Wilson bound: rendering only)."""
    rate = events / n if n else 0.0
    return Interval(events, n, max(0.0, rate - 0.01), min(1.0, rate + 0.02), 0.95, "wilson")


def endpoint(name: str, n: int, unexplained: int, status: str = "pass") -> EndpointEvidence:
    """An endpoint with `unexplained` of `n` exchanges disagreeing."""
    return EndpointEvidence(
        endpoint=name,
        exchanges=n,
        counts={"match": n - unexplained, "unexplained": unexplained},
        disagreement=interval(unexplained, n),
        latency_ms={
            "legacy": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
            "candidate": {"p50": 1.5, "p95": 2.5, "p99": 4.0},
        },
        latency_status="same",
        status=status,  # type: ignore[arg-type]
    )


def verdict(
    status: str = "NOT READY", endpoints: tuple[EndpointEvidence, ...] = ()
) -> ReadinessVerdict:
    """A verdict over `endpoints` with an agreement rule and an evidence rule."""
    found = endpoints or (endpoint("GET /a", 300, 0), endpoint(f"GET /{ATTACK}", 10, 4, "fail"))
    rules = (
        RuleOutcome("agreement", "overall", "fail", "4 of 310 disagree", 0.001, 4 / 310, "rate",
                    interval(4, 310)),
        RuleOutcome("evidence", "GET /a", "inconclusive", "too few", 300, 10, "count",
                    more_needed=290),
    )  # fmt: skip
    return ReadinessVerdict(
        status=status,  # type: ignore[arg-type]
        reason="agreement fails overall",
        rules=rules,
        endpoints=found,
        policy={"confidence": 0.95},
        policy_hash="abc123",
        candidate="candidate",
        exchanges=sum(e.exchanges for e in found),
        window=("2026-11-20T10:00:00+00:00", "2026-11-20T11:00:00+00:00"),
        coverage={"served": 320, "mirrored": 310},
        not_compared={"write not mirrored": 2},
    )


def report(facts: StoreFacts | None = None, **changes: object) -> ReportData:
    """A report of `verdict()` over `facts` (an empty store by default)."""
    return assemble_report(
        verdict(),
        facts or StoreFacts(info=StoreInfo()),
        rules=(),
        targets={"legacy": "http://legacy.test", "candidate": "http://candidate.test"},
        legacy="legacy",
        command="twinsight report --store run.duckdb",
        generated_at="2026-11-20T12:00:00+00:00",
    )


ATTACKS = (
    ATTACK,
    '" onmouseover=alert(1) x="',
    "' onfocus=alert(1) autofocus x='",
    "</textarea><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    '</script><script>alert(1)</script>{"a": "</script>"}',
    "</style><svg onload=alert(1)>",
    "]]><iframe src=javascript:alert(1)></iframe>",
)
"""Text from traffic that would run, or break out of an attribute, if it were not escaped."""
PINGS = "@octocat see #123, GH-7, https://evil.test/x, www.evil.test and a@b.co"
"""Text that GitHub would turn into a mention, references and links."""
HOSTILE = " ".join((*ATTACKS, PINGS, "| ` * _ [x](y) ~"))


def hostile_report() -> ReportData:
    """A report whose every traffic-derived text (target names too) is `HOSTILE`."""
    legacy, candidate = f"legacy {HOSTILE}", f"candidate {HOSTILE}"
    found = (endpoint(f"GET /{HOSTILE}", 10, 4, "fail"), endpoint("GET /a", 300, 0))
    hostile = dataclasses.replace(verdict(endpoints=found), reason=HOSTILE, candidate=candidate)
    body = orjson.dumps({"note": HOSTILE, "url": "javascript:alert(1)"})
    answers = [
        ExampleAnswer(t, 200, [{"name": "X-Note", "value": HOSTILE}], body, None, False, 1.0, None)
        for t in (legacy, candidate)
    ]
    example = ExampleExchange(
        "x1", None, "POST", "http", "h", f"/{HOSTILE}", HOSTILE,
        [{"name": "X-Note", "value": HOSTILE}], HOSTILE.encode(), answers,
        [("body.note", "changed")],
    )  # fmt: skip
    cluster = ClusterRow(
        f"GET /{HOSTILE}", "body.note", "changed", HOSTILE, 4, 0.4,
        f"body.note differs: {HOSTILE}", [HOSTILE], [HOSTILE], "[]", ["x1"],
    )  # fmt: skip
    latencies = [
        LatencyQuantiles(f"GET /{HOSTILE}", t, 10, [float(q) for q in range(101)])
        for t in (legacy, candidate)
    ]
    facts = StoreFacts(
        StoreInfo(),
        clusters=[cluster],
        clusters_total=(1, 4),
        examples={"x1": example},
        latencies=latencies,
    )
    return assemble_report(
        hostile,
        facts,
        rules=(ConfiguredRule("normalize", HOSTILE, "shape", HOSTILE),),
        targets={legacy: "http://legacy.test", candidate: "http://candidate.test"},
        legacy=legacy,
        command=f"twinsight report --out {HOSTILE}",
        generated_at="2026-11-20T12:00:00+00:00",
    )
