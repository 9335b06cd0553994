"""`twinsight ready` on the bundled example, through a real proxy and a real DuckDB file:
NOT READY with its planted divergences, READY without them and enough traffic,
INCONCLUSIVE with a handful of exchanges."""

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.cli.run import twinsight
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.examples.tasks.traffic import Step

SPEC = str(files() / "spec.yaml")
# A policy a test can satisfy with a hundred exchanges: 15 % disagreement at most (the rule
# of three needs 20 exchanges per endpoint for it), latency compared from 20 answers, and
# scenario minima off (the example's spec binds scenarios this traffic does not play).
RELAXED = """
[[normalize]]
where = "body.id"
compare = "shape"
why = "each service makes its own ids"

[[normalize]]
where = "body.tasks[*].id"
compare = "shape"
why = "each service makes its own ids"

[[normalize]]
where = "body.*_at"
compare = "shape"
why = "each service stamps its own times"

[[normalize]]
where = "headers.location"
compare = "shape"
why = "the new task's address holds the service's own id"

[readiness]
min_samples = 20
min_match_rate = 0.85
error_slack = 0.05
min_scenario_samples = 0
min_latency_samples = 20
latency_increase = 1.0
"""


def rounds(count: int) -> tuple[Step, ...]:
    """`count` times: create a task, read it, list tasks, check health (4 endpoints)."""
    steps: list[Step] = []
    for i in range(count):
        steps += [
            Step("POST", "/tasks", {"title": f"Task {i}"}, save_as=f"t{i}"),
            Step("GET", f"/tasks/{{t{i}}}"),
            Step("GET", "/tasks"),
            Step("GET", "/health", auth=False),
        ]
    return tuple(steps)


def ready(store: Path, config: Path, *more: str, spec: str = SPEC) -> Any:
    return twinsight("ready", "--store", str(store), "--spec", spec, "--config", str(config), *more)


@pytest.fixture(scope="module")
def reachable(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The example spec without its p99 write-latency line (bounding a p99 from above at
    95 % takes 299 answers, more writes than these tests play; the unit tests cover it)."""
    text = (files() / "spec.yaml").read_text()
    line = "      requirement: p99 latency < 200ms for create/update operations\n"
    assert line in text
    trimmed = text.replace(line, "      requirement: Writes are journaled\n")
    # The p95 of reads is bounded by one of the slowest few answers: a shared machine's
    # stall must not decide a test of the rule, so its bound is generous here.
    trimmed = trimmed.replace("p95 latency < 100ms for all", "p95 latency < 2s for all")
    assert "p95 latency < 2s" in trimmed
    spec = tmp_path_factory.mktemp("spec") / "spec.yaml"
    spec.write_text(trimmed)
    return str(spec)


@pytest.fixture(scope="module")
def relaxed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = tmp_path_factory.mktemp("policy") / "twinsight.toml"
    config.write_text(RELAXED)
    return config


def test_the_bundled_example_is_not_ready(tmp_path: Path) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store))
    junit, verdict = tmp_path / "ready.xml", tmp_path / "ready.json"
    found = ready(store, files() / "twinsight.toml", "--junit", str(junit), "--json", str(verdict))
    assert found.returncode == 1, found.stderr
    head = found.stdout.split("\n", 2)
    assert "NOT READY" in found.stdout
    reason = next(line for line in found.stdout.splitlines() if line.startswith("NOT READY"))
    assert "regressions: 1 regression(s): GET /tasks: List tasks filtered by status" in reason
    assert "unexplained cluster [DELETE /tasks/{id} status]" in reason
    assert "policy " in found.stdout
    assert head
    assert found.stderr.startswith("error: not ready: regressions")
    document = json.loads(verdict.read_text())
    assert document["schema"] == "twinsight.readiness/1"
    assert document["status"] == "NOT READY"
    failed = {(r["rule"], r["scope"]) for r in document["rules"] if r["status"] == "fail"}
    assert {("regressions", "overall"), ("unexplained", "DELETE /tasks/{id} status")} <= failed
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("failures", "0")) == len(failed)
    dry = ready(store, files() / "twinsight.toml", "--dry-run")
    assert dry.returncode == 0
    assert "NOT READY" in dry.stdout


def test_a_faithful_candidate_with_enough_traffic_is_ready(
    tmp_path: Path, relaxed: Path, reachable: str
) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store, rounds(25), faithful=True))
    found = ready(store, relaxed, "--json", str(tmp_path / "ready.json"), spec=reachable)
    assert found.returncode == 0, found.stdout + found.stderr
    assert found.stdout.count("READY") >= 1
    assert "READY: every rule passes" in found.stdout
    document = json.loads((tmp_path / "ready.json").read_text())
    statuses = {(r["rule"], r["status"]) for r in document["rules"]}
    assert ("constraint", "pass") in statuses  # p95 of reads, measured from traffic
    assert ("constraint", "not_measured") in statuses  # security lines are listed, not passed
    assert document["exchanges"] == 100
    assert {e["endpoint"] for e in document["endpoints"]} == {
        "POST /tasks",
        "GET /tasks/{id}",
        "GET /tasks",
        "GET /health",
    }


def test_a_handful_of_exchanges_is_inconclusive_and_says_how_many_more(
    tmp_path: Path, relaxed: Path, reachable: str
) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store, rounds(2), faithful=True))
    found = ready(store, relaxed, spec=reachable)
    assert found.returncode == 4, found.stdout + found.stderr + disagreements(store)
    reason = next(line for line in found.stdout.splitlines() if line.startswith("INCONCLUSIVE"))
    # Each of the 4 endpoints wants 18 more to reach 20: 72 in all (the errors rule alone,
    # 0 in 8 under 5 % by the rule of three from 60 on, wants 52).
    assert reason.startswith("INCONCLUSIVE: about 72 more exchange(s) needed; errors")
    assert "agreement [GET /health] (about 18 more)" in reason
    assert "evidence       │ GET /tasks" in found.stdout
    assert found.stderr.startswith("error: inconclusive:")


# What each disagreeing exchange showed, both answers' headers with it: this test once
# failed 1 run in 5 on a loaded machine with an x-request-id difference left unexplained,
# and its store was gone by the time anyone looked.
_DISAGREEING = """
SELECT c.endpoint, c.classification, d.location, d.kind, d.legacy_value, d.candidate_value,
       (SELECT list(r.target || ' ' || coalesce(r.error, r.status::VARCHAR) || ' '
                    || r.headers::VARCHAR ORDER BY r.target)
        FROM responses r WHERE r.exchange_id = c.exchange_id)
FROM classifications c
LEFT JOIN differences d ON d.exchange_id = c.exchange_id AND d.candidate = c.candidate
     AND d.noise IS NULL AND d.accepted IS NULL
WHERE c.classification NOT IN ('match', 'noise', 'explained')
ORDER BY ALL
"""

_REQUESTS = "SELECT method, path, count(*) FROM exchanges GROUP BY ALL ORDER BY ALL"


def disagreements(store: Path) -> str:
    """The requests `store` holds, then each disagreeing exchange with its real differences
    and both answers (a stray request from another test would show in the first)."""
    try:
        with duckdb.connect(str(store), read_only=True) as connection:
            requests = connection.execute(_REQUESTS).fetchall()
            rows = connection.execute(_DISAGREEING).fetchall()
    except duckdb.Error as error:  # no analysis written: the output above says why
        return f"\n(store not readable: {error})"
    return "".join(f"\n{row}" for row in (*requests, *rows))


def test_a_few_failing_reads_want_more_evidence_before_failing(
    tmp_path: Path, relaxed: Path
) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store, rounds(25), faithful=False))
    found = ready(store, relaxed)
    # Every 10th read of a task fails on the planted candidate: 2 of 100 exchanges, 2 %
    # against the 5 % slack, whose interval still holds it: more traffic decides.
    assert found.returncode == 4, found.stdout
    assert "errors (about 43 more)" in found.stdout


def test_wait_gives_up_when_the_time_is_up(tmp_path: Path, relaxed: Path) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store, rounds(1), faithful=True))
    found = ready(store, relaxed, "--wait", "1s")
    assert found.returncode == 4
    assert "looking again in 1s" in found.stderr
    assert ready(store, relaxed, "--wait", "soon").returncode == 2


def test_wait_treats_a_store_with_nothing_yet_as_inconclusive(
    tmp_path: Path, relaxed: Path
) -> None:
    # A CI gate started beside a parallel run: no folder yet, then an empty one.
    folder = tmp_path / "segments"
    command = ("ready", "--segments", str(folder), "--config", str(relaxed))
    assert twinsight(*command).returncode == 2  # without --wait the input error stands
    missing = twinsight(*command, "--wait", "1s")
    assert missing.returncode == 4, missing.stderr
    assert "no such segment folder" in missing.stderr
    assert "looking again in 1s" in missing.stderr
    folder.mkdir()
    empty = twinsight(*command, "--wait", "1s")
    assert empty.returncode == 4, empty.stderr
    assert "no candidate" in empty.stderr
