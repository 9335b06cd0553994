"""Which load run ready judges on: the latest against the judged targets, named."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from tests.cli.run import twinsight
from tests.load.conftest import spec_file
from twinsight.analysis.load_choice import NO_RUN, choose_run, renamed
from twinsight.analysis.origins import origins_of
from twinsight.records import Exchange
from twinsight.store.ids import new_id
from twinsight.store.loads import LoadRow, LoadRun, write_load
from twinsight.testing import answer, write_store

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
LEGACY, CANDIDATE, ELSEWHERE = "http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://h:9"
ORIGINS = {"legacy": origins_of(LEGACY), "v2": origins_of(CANDIDATE)}


def _run(run: str, minutes_ago: int, candidate: str = CANDIDATE) -> LoadRun:
    started = NOW - timedelta(minutes=minutes_ago)
    return LoadRun(run, started, {"legacy": LEGACY, "candidate": candidate})


def test_the_latest_run_against_the_judged_urls_is_chosen_over_a_newer_one_elsewhere() -> None:
    runs = [_run("newer", 5, ELSEWHERE), _run("ours", 30), _run("older", 90)]
    choice = choose_run(runs, ORIGINS, "v2", newest_traffic=None, now=NOW)
    assert choice.run is not None
    assert choice.run.run == "ours"
    assert choice.names == {"legacy": "legacy", "candidate": "v2"}
    assert choice.note == "the load run of 2026-11-30 16:30:00 UTC (30 min ago)"


def test_a_run_older_than_the_newest_traffic_is_used_and_named_as_such() -> None:
    traffic = NOW - timedelta(minutes=10)
    choice = choose_run([_run("ours", 120)], ORIGINS, "v2", newest_traffic=traffic, now=NOW)
    assert choice.run is not None
    assert choice.note == (
        "the load run of 2026-11-30 15:00:00 UTC (2 h ago), older than the newest traffic "
        "(2026-11-30 16:50:00 UTC (10 min ago))"
    )


def test_no_run_against_these_targets_says_so_and_names_the_latest() -> None:
    choice = choose_run([_run("elsewhere", 3, ELSEWHERE)], ORIGINS, "v2", newest_traffic=None,
                        now=NOW)  # fmt: skip
    assert choice.run is None
    assert choice.note.startswith(NO_RUN)
    assert f"candidate {ELSEWHERE}" in choice.note
    assert choose_run([], ORIGINS, "v2", newest_traffic=None, now=NOW).note == NO_RUN


def test_targets_the_store_has_no_url_for_go_by_their_load_names_and_it_is_said() -> None:
    choice = choose_run([_run("ours", 1, ELSEWHERE)], {}, "candidate", newest_traffic=None,
                        now=NOW)  # fmt: skip
    assert choice.run is not None
    assert "records no URL of legacy or candidate" in choice.note


def test_renamed_rows_carry_the_store_names_of_the_judged_targets() -> None:
    rows = [_row("legacy", LEGACY), _row("candidate", CANDIDATE), _row("replica", "http://r")]
    found = renamed(rows, {"legacy": "legacy", "candidate": "v2"})
    assert [r.target for r in found] == ["legacy", "v2"]


def _row(target: str, url: str, *, started: datetime = NOW, errors: int = 0) -> LoadRow:
    return LoadRow(
        f"run-{started:%Y%m%d%H%M%S}", started, target, url, "GET /tasks", "GET", 1000,
        errors, 0, '{"200": 1000}', [5.0] * 1000, 10.0, 4, None,
    )  # fmt: skip


def _exchange(legacy: str, candidate: str) -> Exchange:
    return Exchange(
        id=new_id(), source="proxy", method="GET", path="/tasks",
        responses=(replace(answer("legacy", {"ok": 1}, latency_ms=2.0), base_url=legacy),
                   replace(answer("candidate", {"ok": 1}, latency_ms=2.0), base_url=candidate)),
    )  # fmt: skip


def _constraint_rules(store: Path, spec: Path, out: Path) -> dict[str, dict[str, object]]:
    twinsight("ready", "--store", str(store), "--spec", str(spec), "--json", str(out))
    rules = orjson.loads(out.read_bytes())["rules"]
    return {r["scope"]: r for r in rules if r["rule"] == "constraint"}


def test_ready_judges_on_the_run_against_its_targets_and_names_it(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, [_exchange(LEGACY, CANDIDATE) for _ in range(40)])
    spec = spec_file(
        tmp_path, "  reliability:\n    - {name: errors, requirement: error rate < 1%}\n"
    )
    # A newer run against other URLs, all its answers failed: it must not be judged on.
    other = datetime.now(UTC)
    write_load(store, None, [_row("legacy", LEGACY, started=other, errors=1000),
                             _row("candidate", ELSEWHERE, started=other, errors=1000)])  # fmt: skip
    errors = _constraint_rules(store, spec, tmp_path / "v1.json")["reliability: errors"]
    assert errors["status"] == "not_measured"
    assert NO_RUN in str(errors["reason"])
    assert f"candidate {ELSEWHERE}" in str(errors["reason"])
    # An older run against these targets is used, and named as older than the traffic.
    old = datetime(2026, 1, 1, tzinfo=UTC)
    write_load(store, None, [_row("legacy", LEGACY, started=old),
                             _row("candidate", CANDIDATE, started=old)])  # fmt: skip
    errors = _constraint_rules(store, spec, tmp_path / "v2.json")["reliability: errors"]
    assert errors["status"] == "pass", errors
    assert "measured by the load run of 2026-01-01 00:00:00 UTC" in str(errors["reason"])
    assert "older than the newest traffic" in str(errors["reason"])
