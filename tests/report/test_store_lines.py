"""What `store info` and a report say of what went missing, with a capture running and without."""

from __future__ import annotations

from twinsight.report.assemble import StoreFacts
from twinsight.report.html import render_html
from twinsight.report.markdown import render_markdown
from twinsight.report.store import store_info_lines
from twinsight.store import StoreInfo, UncleanWriter

from .builders import report


def test_a_running_capture_is_said_and_its_unflushed_exchanges_are_not_called_lost() -> None:
    unclean = [UncleanWriter("host-1-ab", "2026-12-01 10:00:00", 3)]
    running = store_info_lines(StoreInfo(lost=3, unclean=unclean, capturing=True))
    assert any(line.startswith("[yellow]a capture or replay is writing") for line in running)
    assert any(line.startswith("[red]lost or not flushed yet 3[/]") for line in running)
    stopped = store_info_lines(StoreInfo(lost=3, unclean=unclean))
    assert not any("a capture or replay is writing" in line for line in stopped)
    assert any(line.startswith("[red]lost 3[/]") for line in stopped)


def test_a_report_made_during_a_capture_says_so_beside_lost() -> None:
    during = report(StoreFacts(info=StoreInfo(lost=2, capturing=True)))
    after = report(StoreFacts(info=StoreInfo(lost=2)))
    line = "- lost or not flushed yet (a capture or replay was writing): 2"
    assert line in render_markdown(during)
    assert "- lost: 2" in render_markdown(after)
    assert "a capture or replay was writing when this report was made: 2" in render_html(during)
    assert "a capture or replay was writing" not in render_html(after)
