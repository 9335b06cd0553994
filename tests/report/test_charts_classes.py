"""The timeline colours every classification analysis can make, each its own colour."""

from twinsight.analysis.classify import CLASSIFICATIONS
from twinsight.report.charts import timeline_spec
from twinsight.report.document import TimelineBar


def test_every_classification_has_a_colour_of_its_own() -> None:
    bars = [TimelineBar("2026-11-20T10:00:00+00:00", c, 1) for c in CLASSIFICATIONS]
    scale = timeline_spec(bars)["encoding"]["color"]["scale"]
    assert sorted(scale["domain"]) == sorted(CLASSIFICATIONS)
    assert len(set(scale["range"])) == len(scale["domain"])
