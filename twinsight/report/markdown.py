"""The report as Markdown, short enough for a pull request or a CI job summary.

The same sections as the HTML page, cut to what needs a person: rules that did not pass,
endpoints that did not pass, the largest clusters. Text from traffic is escaped
(`text`): it can neither break a table nor become markup or HTML, and pasted into a pull
request or a job summary it pings nobody and links nothing (`@name`, `#123`, `GH-1`,
bare URLs and e-mail addresses are broken by a zero-width space).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .document import ClusterView, ReportData
from .figures import bounds, interval_text, measure, milliseconds, percent

__all__ = ["render_markdown", "text"]

RULES_SHOWN = 20
ENDPOINTS_SHOWN = 15
CLUSTERS_SHOWN = 10
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # what could open markup inside a line
# What GitHub turns into a mention, an issue or commit reference, or a link; the
# zero-width space after the first character keeps it plain text wherever it is pasted.
_AUTOLINKED = re.compile(
    r"(@)|(#)(?=\d)|(GH)(?=-\d)|(https?|ftp|mailto|xmpp)(?=:)|(www)(?=\.)", re.IGNORECASE
)
_ZWSP = "\u200b"


def text(value: object) -> str:
    """`value` as Markdown text: one line, markup characters and HTML escaped."""
    plain = " ".join(str(value).split())
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    plain = _AUTOLINKED.sub(lambda m: m.group(0) + _ZWSP, plain)
    return _SPECIAL.sub(r"\\\1", plain)


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(text(cell) for cell in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(text(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(report: ReportData) -> str:
    """The whole Markdown document."""
    parts = [_verdict(report), _rules(report), _endpoints(report), _clusters(report)]
    parts += [_fixed(report), _scenarios(report), _ledger(report), _latency(report)]
    parts += [_uncovered(report)]
    return "\n".join(line for part in parts for line in part)


def _verdict(report: ReportData) -> list[str]:
    v = report.verdict
    window = f"{v.window[0] or '-'} to {v.window[1] or '-'}"
    lines = [f"# {text(v.status)}: {text(v.reason)}", ""]
    lines += _table(
        ["candidate", "against", "capture window", "policy"],
        [[v.candidate, report.legacy, window, v.policy_hash]],
    )
    command = " ".join(report.command.replace("`", "").split())  # one code span, one line
    lines += [f"Command: `{command}`", "", "## Evidence", ""]
    lines += [
        f"- **{text(f.value)}** {text(f.label)}" + (f" ({text(f.note)})" if f.note else "")
        for f in report.figures
    ]
    return [*lines, ""]


def _rules(report: ReportData) -> list[str]:
    open_rules = [r for r in report.rules if r.status != "pass"]
    passed = len(report.verdict.rules) - len(open_rules)
    rows = [
        [
            r.status,
            r.rule,
            r.scope,
            measure(r.threshold, r.unit),
            measure(r.observed, r.unit),
            interval_text(r.interval),
            "-" if r.more_needed is None else f"about {r.more_needed}",
            r.reason,
        ]
        for r in open_rules[:RULES_SHOWN]
    ]
    head = ["status", "rule", "scope", "threshold", "observed", "bound", "more needed", "why"]
    lines = ["## Rules", "", *(_table(head, rows) if rows else [])]
    more = len(open_rules) - len(rows)
    tail = f"{passed} rule(s) pass" + (
        f"; {more} more not passing, in the HTML report" if more > 0 else ""
    )
    return [*lines, tail + ".", ""]


def _endpoints(report: ReportData) -> list[str]:
    open_ones = [e for e in report.endpoints if e.status != "pass"]
    rows = [
        [
            e.status,
            e.endpoint,
            e.exchanges,
            percent(e.disagreement.rate, 2),
            bounds(e.disagreement),
            e.latency_status,
        ]
        for e in open_ones[:ENDPOINTS_SHOWN]
    ]
    head = ["status", "endpoint", "exchanges", "disagreement", "interval", "latency"]
    passing = len(report.endpoints) - len(open_ones)
    body = _table(head, rows) if rows else ["No endpoint fails or lacks evidence.", ""]
    return ["## Endpoints", "", *body, f"{passing} endpoint(s) pass.", ""]


def _clusters(report: ReportData) -> list[str]:
    count, exchanges = report.clusters_total
    lines = ["## Clusters", "", f"{count} cluster(s) over {exchanges} exchange(s).", ""]
    for c in report.clusters[:CLUSTERS_SHOWN]:
        causes = "; ".join(c.hypotheses)
        size = f"({c.exchanges} exchange(s), {percent(c.share)})"
        lines.append(
            f"{c.rank}. {_named(c)}{text(c.description)} {size}"
            + (f" Likely: {text(causes)}." if causes else "")
        )
        if len(c.endpoints) > 1:
            on = ", ".join(f"{e} ({n}, {percent(share)})" for e, n, share in c.endpoints)
            lines.append(f"   On {c.where}: {text(on)}.")
    if report.namespaces:
        legend = ", ".join(f"`{name}:` {text(uri)}" for name, uri in report.namespaces)
        lines += ["", f"XML namespaces: {legend}."]
    return [*lines, ""]


def _named(c: ClusterView) -> str:
    """A cluster's fingerprint and status, before its sentence (nothing for older tables)."""
    if not c.fingerprint:
        return ""
    return f"`{c.fingerprint}` ({c.status}) " if c.status else f"`{c.fingerprint}` "


def _fixed(report: ReportData) -> list[str]:
    """The clusters the last run no longer found, as the run before it saw them."""
    fixed = report.fixed
    lines = ["## Fixed since the previous run", "", fixed.summary, ""]
    rows = [
        [
            f.fingerprint,
            f.where,
            f.location,
            f"{f.kind} (inferred noise)" if f.noise else f.kind,
            f.description,
            f.exchanges,
            f.seen_at,
        ]
        for f in fixed.clusters[:CLUSTERS_SHOWN]
    ]
    if not rows:
        return lines
    head = ["fingerprint", "endpoint(s)", "location", "kind", "was", "exchanges", "last seen"]
    more = len(fixed.clusters) - len(rows)
    tail = [f"And {more} more, in the HTML report.", ""] if more > 0 else []
    return [*lines, *_table(head, rows), *tail]


def _scenarios(report: ReportData) -> list[str]:
    legacy, candidate = report.legacy, report.verdict.candidate
    rows = [
        [
            s.name,
            s.exchanges,
            percent(s.pass_rate(legacy)),
            percent(s.pass_rate(candidate)),
            f"{s.checked_lines} checked, {len(s.unchecked)} not",
        ]
        for s in report.scenarios
    ]
    if not rows:
        return ["## Scenario coverage", "", "No spec given.", ""]
    head = ["scenario", "exercised", f"pass {legacy}", f"pass {candidate}", "lines"]
    return ["## Scenario coverage", "", *_table(head, rows)]


def _ledger(report: ReportData) -> list[str]:
    rows = [
        [r.origin, r.where, r.compare, r.why, _recorded(r.by, r.at), r.differences]
        for r in report.ledger
    ]
    if not rows:
        return ["## Suppression ledger", "", "No rule suppressed anything.", ""]
    head = ["origin", "where", "compared", "why", "recorded", "differences hidden"]
    rules, hidden = report.ledger_more
    more = [f"And {rules} more rule(s), hiding {hidden} difference(s).", ""] if rules else []
    return ["## Suppression ledger", "", *_table(head, rows), *more]


def _recorded(by: str, at: str) -> str:
    """Who added a rule and when, as far as it says (`by, at`)."""
    return ", ".join(part for part in (by, at) if part)


def _latency(report: ReportData) -> list[str]:
    legacy, candidate = report.legacy, report.verdict.candidate
    busiest = sorted(report.latency, key=lambda v: -sum(v.samples.values()))[:ENDPOINTS_SHOWN]
    rows = [
        [view.endpoint]
        + [milliseconds(view.percentile(t, p)) for t in (legacy, candidate) for p in (50, 95)]
        for view in busiest
    ]
    head = ["endpoint", f"{legacy} p50", f"{legacy} p95", f"{candidate} p50", f"{candidate} p95"]
    return ["## Latency (ms)", "", *(_table(head, rows) if rows else ["Not measured.", ""])]


def _uncovered(report: ReportData) -> list[str]:
    u = report.uncovered
    lines = ["## Not covered", ""]
    lines.append(f"- mirrored: {percent(u.mirrored_share)} of served traffic")
    lines.append(f"- writes not mirrored (not compared): {u.writes_not_mirrored}")
    lines += [f"- not compared, {text(k)}: {n}" for k, n in u.not_compared.items()]
    lines += [f"- {text(k)}: {n}" for k, n in u.dropped.items()]
    if u.capturing:
        lines.append(f"- lost or not flushed yet (a capture or replay was writing): {u.lost}")
    else:
        lines.append(f"- lost: {u.lost}")
    lines += [
        f"- seen only on one side: {text(o.endpoint)} (served by {text(', '.join(o.served_by))},"
        f" not by {text(', '.join(o.not_by))})"
        for o in u.one_sided
    ]
    return [*lines, ""]
