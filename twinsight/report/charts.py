"""The report's charts: Vega-Lite specifications rendered offline to SVG (vl-convert).

Each `*_spec` function is pure (data in, a Vega-Lite dict out); `svg` renders one with
no network access allowed, so a report never needs a script or a font from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import vl_convert

from twinsight.events import EndpointEvidence

from .document import ClusterView, LatencyView, TimelineBar

__all__ = ["Spec", "interval_spec", "latency_spec", "pareto_spec", "svg", "timeline_spec"]

Spec = dict[str, Any]
_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
_WIDTH = 640
LATENCY_PANELS = 12
"""Endpoints with a latency panel (the busiest); the table lists every endpoint."""
_CLASSES = ["match", "noise", "explained", "unexplained", "regression", "spec_conflict",
            "candidate_error", "not_comparable"]  # fmt: skip
_COLOURS = ["#4c9a5b", "#9ac7a4", "#7aa6d6", "#e0a030", "#c0392b", "#8e44ad", "#e67e22",
            "#9e9e9e"]  # fmt: skip


def svg(spec: Spec) -> str:
    """`spec` rendered to an SVG document, with no URL allowed to load."""
    return vl_convert.vegalite_to_svg(orjson.dumps(spec).decode(), allowed_base_urls=[])


def _chart(title: str, data: list[dict[str, Any]], **rest: Any) -> Spec:
    return {"$schema": _SCHEMA, "title": title, "data": {"values": data}, **rest}


def interval_spec(endpoints: Sequence[EndpointEvidence], thresholds: dict[str, float]) -> Spec:
    """Per endpoint: the disagreement rate, its confidence interval, the threshold."""
    overall = thresholds.get("overall")
    rows = [
        {
            "endpoint": e.endpoint,
            "rate": e.disagreement.rate,
            "low": e.disagreement.low,
            "high": e.disagreement.high,
            "threshold": thresholds.get(e.endpoint, overall),
            "status": e.status,
        }
        for e in endpoints
    ]
    y = {"field": "endpoint", "type": "nominal", "sort": None, "title": None}
    x = {"type": "quantitative", "axis": {"format": "%"}}
    return _chart(
        "Disagreement rate per endpoint, with its confidence interval (red: threshold)",
        rows,
        width=_WIDTH,
        height={"step": 22},
        layer=[
            {"mark": "rule", "encoding": {"y": y, "x": {"field": "low", **x,
             "title": "disagreement rate"}, "x2": {"field": "high"}}},
            {"mark": {"type": "point", "filled": True, "size": 60},
             "encoding": {"y": y, "x": {"field": "rate", **x}, "color": _status_colour()}},
            {"mark": {"type": "tick", "color": "#c0392b", "thickness": 2},
             "encoding": {"y": y, "x": {"field": "threshold", **x}}},
        ],
    )  # fmt: skip


def _status_colour() -> dict[str, Any]:
    return {
        "field": "status",
        "type": "nominal",
        "scale": {
            "domain": ["fail", "inconclusive", "not_measured", "pass"],
            "range": ["#c0392b", "#e0a030", "#999999", "#4c9a5b"],
        },
    }


def pareto_spec(clusters: Sequence[ClusterView], total: int) -> Spec:
    """Clusters by exchanges, largest first, with the cumulative share of all clustered."""
    rows, running = [], 0
    for c in clusters:
        running += c.exchanges
        label = f"#{c.rank} {c.endpoint} {c.location}"
        rows.append({"cluster": label, "exchanges": c.exchanges, "cumulative": running / total})
    x = {"field": "cluster", "type": "nominal", "sort": None, "title": None,
         "axis": {"labelAngle": -40, "labelLimit": 220}}  # fmt: skip
    return _chart(
        "Clusters of real differences (Pareto): exchanges, and cumulative share",
        rows,
        width=_WIDTH,
        resolve={"scale": {"y": "independent"}},
        layer=[
            {"mark": {"type": "bar", "color": "#e0a030"},
             "encoding": {"x": x, "y": {"field": "exchanges", "type": "quantitative"}}},
            {"mark": {"type": "line", "point": True, "color": "#333333"},
             "encoding": {"x": x, "y": {"field": "cumulative", "type": "quantitative",
                          "axis": {"format": "%"}, "scale": {"domain": [0, 1]}}}},
        ],
    )  # fmt: skip


def latency_spec(latency: Sequence[LatencyView]) -> Spec:
    """Latency ECDFs per endpoint, one line per target, the busiest endpoints first."""
    busiest = sorted(latency, key=lambda v: -sum(v.samples.values()))[:LATENCY_PANELS]
    rows = [
        {"endpoint": view.endpoint, "target": target, "latency": q, "share": i / (len(qs) - 1)}
        for view in busiest
        for target, qs in view.quantiles.items()
        if len(qs) > 1
        for i, q in enumerate(qs)
    ]
    return _chart(
        "Latency distribution (ECDF) per endpoint and target",
        rows,
        facet={"field": "endpoint", "type": "nominal", "title": None, "sort": None},
        columns=3,
        resolve={"scale": {"x": "independent"}},
        spec={
            "width": 190,
            "height": 120,
            "mark": {"type": "line", "interpolate": "step-after"},
            "encoding": {
                "x": {"field": "latency", "type": "quantitative", "title": "latency (ms)"},
                "y": {"field": "share", "type": "quantitative", "axis": {"format": "%"},
                      "title": "answers at or below"},
                "color": {"field": "target", "type": "nominal"},
            },
        },
    )  # fmt: skip


def timeline_spec(bars: Sequence[TimelineBar]) -> Spec:
    """Classifications over capture time, stacked."""
    rows = [{"start": b.start, "classification": b.classification, "exchanges": b.exchanges}
            for b in bars]  # fmt: skip
    return _chart(
        "Classifications over time (by when the request arrived)",
        rows,
        width=_WIDTH,
        mark="bar",
        encoding={
            "x": {"field": "start", "type": "temporal", "title": "capture time (UTC)"},
            "y": {"field": "exchanges", "type": "quantitative", "stack": True},
            "color": {"field": "classification", "type": "nominal",
                      "scale": {"domain": _CLASSES, "range": _COLOURS}},
        },
    )  # fmt: skip
