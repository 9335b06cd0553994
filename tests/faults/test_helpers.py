"""The fault suite's pure helpers: percentiles, table rows and rendering, metrics parsing."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from .harness import parse_metrics, toml_value
from .phases import first_traceback
from .table import markdown, p99, percentile, row, text

latencies = st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=300)


@settings(max_examples=200, deadline=None)
@given(latencies, st.floats(0.1, 100))
def test_a_percentile_is_one_of_the_values_and_grows_with_q(values: list[float], q: float) -> None:
    found = percentile(values, q)
    assert found in values
    assert percentile(values, q / 2) <= found <= max(values)


def test_p99_of_200_is_the_second_slowest() -> None:
    values = [float(n) for n in range(200)]
    assert p99(values) == 197.0
    assert p99([5.0]) == 5.0
    assert math.isnan(p99([]))


def test_a_row_counts_what_was_lost_and_compares_with_the_baseline() -> None:
    made = row(
        "candidate hangs",
        latencies_ms=[10.0] * 100,
        success_pct=100.0,
        baseline_ms=[5.0] * 100,
        captured=95,
        dropped=3,
        served=100,
    )
    assert (made.requests, made.p99_ms, made.ratio, made.lost) == (100, 10.0, 2.0, 2)
    alone = row(
        "kill",
        latencies_ms=[1.0],
        success_pct=0.0,
        baseline_ms=None,
        captured=0,
        dropped=0,
        served=0,
    )
    assert alone.ratio is None
    assert alone.cells()[4:6] == ("-", "-")


def test_the_table_renders_as_aligned_text_and_markdown() -> None:
    cases = (  # fault, p99, success, baseline p99, dropped, served, note
        ("a", 1.0, 100.0, 2.0, 0, 1, ""),
        ("a | longer fault", 3.0, 50.0, 1.0, 1, 3, "attempt 2 of 3"),
    )
    rows = [
        row(
            fault,
            latencies_ms=[ms],
            success_pct=pct,
            baseline_ms=[base],
            captured=1,
            dropped=dropped,
            served=served,
            note=note,
        )
        for fault, ms, pct, base, dropped, served, note in cases
    ]
    lines = text(rows).splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("fault")
    assert lines[1].startswith("---")
    assert lines[3].endswith("3.00x         1        1     1  attempt 2 of 3")
    table = markdown(rows).splitlines()
    assert table[1] == "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    assert table[3] == (
        "| a \\| longer fault | 1 | 50.0 | 3.0 | 1.0 | 3.00x | 1 | 1 | 1 | attempt 2 of 3 |"
    )


def test_metrics_are_read_from_the_exposition_format() -> None:
    exposition = (
        "# HELP twinsight_served_total requests served\n"
        "# TYPE twinsight_served_total counter\n"
        "twinsight_served_total 42.0\n"
        'twinsight_dropped_total{reason="queue_full"} 3.0\n\n'
    )
    assert parse_metrics(exposition) == {
        "twinsight_served_total": 42.0,
        'twinsight_dropped_total{reason="queue_full"}': 3.0,
    }


def test_only_the_first_traceback_of_a_log_is_shown() -> None:
    log = "started\nError handling request\nTraceback (most recent call last):\n  x\nKeyError\n"
    assert first_traceback(log, lines=2) == "Traceback (most recent call last):\n  x"
    assert first_traceback("all is well\n") == ""


def test_settings_are_written_as_toml() -> None:
    assert [toml_value(v) for v in (True, 0.5, 3, 'a "b"')] == ["true", "0.5", "3", '"a \\"b\\""']
