"""The suppression ledger: each rule with who/why/when and what it hid, bounded."""

import datetime

from twinsight.config import Config
from twinsight.report.assemble import ConfiguredRule, StoreFacts, assemble_report
from twinsight.report.document import ReportData
from twinsight.report.gather import configured_rules
from twinsight.report.html import render_html
from twinsight.report.markdown import render_markdown, text
from twinsight.report.reportjson import report_dict
from twinsight.spec import parse_spec
from twinsight.store import StoreInfo
from twinsight.store.reportdata import SuppressionCount

from .builders import verdict


def assembled(
    rules: list[ConfiguredRule], counts: list[SuppressionCount], shown: int = 40
) -> ReportData:
    return assemble_report(
        verdict(),
        StoreFacts(StoreInfo(), suppressions=counts),
        rules=rules,
        targets={},
        legacy="legacy",
        command="twinsight report",
        generated_at="now",
        ledger_rows=shown,
    )


def test_rules_carry_who_and_when_and_measured_noise_says_where_it_came_from() -> None:
    rules = [
        ConfiguredRule("normalize", "body.id", "shape", "own ids", "Ann <a@x>", "2026-11-30"),
        ConfiguredRule("accepted", "GET /health body.version", "accepted", "new field", "Bo"),
    ]
    counts = [
        SuppressionCount("noise", "body.id", 16, 12),
        SuppressionCount("accepted", "GET /health body.version: new field", 1, 1),
        SuppressionCount("noise", "replica", 7, 5),
        SuppressionCount("noise", "inferred: time", 9, 9),
        SuppressionCount("noise", "body.gone", 2, 2),  # a rule removed since the analysis
    ]
    report = assembled(rules, counts)
    assert [(r.origin, r.where, r.by, r.at, r.differences) for r in report.ledger] == [
        ("normalize", "body.id", "Ann <a@x>", "2026-11-30", 16),
        ("accepted", "GET /health body.version", "Bo", "", 1),
        ("replica", "replica", "", "", 7),
        ("inferred", "inferred: time", "", "", 9),
        ("noise", "body.gone", "", "", 2),
    ]
    assert report.ledger_more == (0, 0)
    markdown = render_markdown(report)
    recorded = text("Ann <a@x>, 2026-11-30")  # escaped, and no e-mail link on GitHub
    assert f"| normalize | body.id | shape | own ids | {recorded} | 16 |" in markdown
    assert "more rule(s)" not in markdown
    assert "<td>Ann &lt;a@x&gt;, 2026-11-30</td>" in render_html(report, charts=False)
    first = report_dict(report)["ledger"][0]
    assert (first["by"], first["at"]) == ("Ann <a@x>", "2026-11-30")


def test_past_its_bound_the_ledger_keeps_the_rules_that_hid_most_in_their_order() -> None:
    rules = [ConfiguredRule("normalize", f"body.f{n}", "ignore", "") for n in range(8)]
    counts = [SuppressionCount("noise", f"body.f{n}", n, n) for n in (2, 7, 5, 1)]
    report = assembled(rules, counts, shown=3)
    assert [r.where for r in report.ledger] == ["body.f2", "body.f5", "body.f7"]
    assert report.ledger_more == (5, 1)  # f1 hid one; f0, f3, f4, f6 nothing
    assert "And 5 more rule(s), hiding 1 difference(s)." in render_markdown(report)
    assert '<p id="ledger-more">And 5 more rule(s), hiding 1 difference(s).</p>' in render_html(
        report, charts=False
    )


def test_configured_rules_read_who_and_when_from_the_config_and_the_spec() -> None:
    config = Config.model_validate(
        {
            "normalize": [
                {"where": "body.id", "compare": "shape", "by": "Ann", "at": "2026-11-30"},
                {"where": "body.x", "compare": "ignore"},
            ]
        }
    )
    spec = parse_spec(
        "feature: F\naccepted:\n  - where: status\n    why: fine\n    by: Bo\n    at: 2026-12-01\n"
    )
    assert spec.accepted[0].at == datetime.date(2026, 12, 1)
    assert [(r.origin, r.where, r.by, r.at) for r in configured_rules(config, spec)] == [
        ("normalize", "body.id", "Ann", "2026-11-30"),
        ("normalize", "body.x", "", ""),
        ("accepted", "status", "Bo", "2026-12-01"),
    ]
