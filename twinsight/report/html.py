"""The report as one self-contained HTML file: inline CSS, inline JS, charts as inline SVG.

Rendered by Jinja2 with autoescape on: everything that came from traffic is text. A
Content-Security-Policy in the page allows only its own inline style and script (by
hash) and `data:` images, so the page makes no request and runs no other script even if
something slipped past the escaping.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from importlib import resources

from jinja2 import Environment, FunctionLoader, StrictUndefined
from markupsafe import Markup

from .charts import Spec, interval_spec, latency_spec, pareto_spec, svg, timeline_spec
from .document import ReportData
from .figures import bounds, interval_text, measure, milliseconds, percent

__all__ = ["SECTIONS", "render_html"]

SECTIONS = (
    ("verdict", "Verdict"),
    ("evidence", "Evidence"),
    ("rules", "Rules"),
    ("endpoints", "Endpoints"),
    ("clusters", "Clusters"),
    ("fixed", "Fixed since the previous run"),
    ("scenarios", "Scenario coverage"),
    ("ledger", "Suppression ledger"),
    ("latency", "Latency"),
    ("timeline", "Over time"),
    ("uncovered", "Not covered"),
)
"""Section ids and titles, in page order (the tests look for each)."""
_TEMPLATES = resources.files("twinsight.report") / "templates"


def render_html(report: ReportData, *, charts: bool = True) -> str:
    """The whole page; `charts=False` leaves the SVG charts out (faster, for tests)."""
    style = _asset("report.css")
    script = _asset("report.js")
    policy = (
        "default-src 'none'; img-src data:; "
        f"style-src {_hash(style)}; script-src {_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        v=report.verdict,
        sections=SECTIONS,
        charts=_charts(report) if charts else {},
        style=Markup(style),
        script=Markup(script),
        policy=policy,
    )


def _charts(report: ReportData) -> dict[str, Markup]:
    """Each chart with data, rendered; a chart with nothing to draw is left out."""
    clustered = report.clusters_total[1] or 1
    wanted: dict[str, tuple[bool, Callable[[], Spec]]] = {
        "interval": (
            bool(report.endpoints),
            lambda: interval_spec(report.endpoints, report.thresholds),
        ),
        "pareto": (bool(report.clusters), lambda: pareto_spec(report.clusters, clustered)),
        "latency": (bool(report.latency), lambda: latency_spec(report.latency)),
        "timeline": (bool(report.timeline), lambda: timeline_spec(report.timeline)),
    }
    rendered = {}
    for name, (present, spec) in wanted.items():
        if present:
            # vl-convert writes text as XML text nodes, escaped: the SVG is markup we made.
            rendered[name] = Markup(svg(spec()))
    return rendered


def _asset(name: str) -> str:
    return (_TEMPLATES / name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def _environment() -> Environment:
    environment = Environment(
        loader=FunctionLoader(_asset),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["pct"] = percent
    environment.filters["interval"] = interval_text
    environment.filters["ms"] = milliseconds
    environment.filters["bounds"] = bounds
    environment.filters["measure"] = measure
    return environment
