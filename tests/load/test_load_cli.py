"""`twinsight load` against the example services for real, a couple of seconds per target."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from tests.cli.run import twinsight
from tests.load.conftest import spec_file
from twinsight.examples import tasks
from twinsight.records import Exchange
from twinsight.store.ids import new_id
from twinsight.store.loads import latest_load
from twinsight.testing import answer, write_store

EXAMPLE_SPEC = Path(tasks.__file__).with_name("spec.yaml")
SHORT = ("--duration", "2", "--users", "4")


def test_the_spec_requests_under_load_give_the_constraint_table_for_both_targets(
    services: dict[str, str], token: str, tmp_path: Path
) -> None:
    store = tmp_path / "load.duckdb"
    done = twinsight(
        "load", "--legacy", services["legacy"], "--candidate", services["candidate"],
        "--spec", str(EXAMPLE_SPEC), "--store", str(store), *SHORT,
        "--header", f"Authorization: Bearer {token}", timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "constraints under load" in done.stdout
    # The read constraint is measured on each target (a p95 in both columns of its row).
    row = next(line for line in done.stdout.splitlines() if "API response time" in line)
    assert len(re.findall(r"p95 \d+\.\d ms", row)) == 2, done.stdout
    # Words naming nothing measurable say so, on both targets.
    jwt = next(line for line in done.stdout.splitlines() if "valid JWT token" in line)
    assert jwt.count("not measurable") == 2
    rows = latest_load(store, None)
    assert {r.target for r in rows} == {"legacy", "candidate"}
    created = [r for r in rows if r.endpoint == "POST /tasks"]
    # The spec's inputs gave the created tasks a valid body: both targets created them.
    assert {r.target: set(orjson.loads(r.statuses)) for r in created} == {
        "legacy": {"201"},
        "candidate": {"201"},
    }
    assert all(r.requests > 0 and len(r.latencies_ms) == r.requests for r in rows)


def _stored(path: str, token: str) -> Exchange:
    """A recorded GET as the proxy stores it: answered by both targets."""
    return Exchange(
        id=new_id(), source="proxy", method="GET", path=path,
        headers=(("Authorization", f"Bearer {token}"),),
        responses=(answer("legacy", {"ok": 1}, latency_ms=2.0),
                   answer("candidate", {"ok": 1}, latency_ms=2.0)),
    )  # fmt: skip


def test_the_captured_mix_under_load_is_judged_by_ready(
    services: dict[str, str], token: str, tmp_path: Path
) -> None:
    store = tmp_path / "run.duckdb"
    write_store(store, [_stored(p, token) for p in ("/health", "/tasks", "/tasks") * 10])
    spec = spec_file(
        tmp_path,
        "  performance:\n"
        "    - {name: reads, requirement: p95 latency < 5s for all read operations}\n"
        "    - {name: errors, requirement: error rate below 50%}\n"
        "    - {name: vague, requirement: The service should feel fast}\n",
    )
    done = twinsight(
        "load", "--legacy", services["legacy"], "--candidate", services["candidate"],
        "--store", str(store), "--spec", str(spec), *SHORT, "--rate", "200", timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    endpoints = {(r.target, r.endpoint) for r in latest_load(store, None)}
    assert endpoints == {
        (t, e) for t in ("legacy", "candidate") for e in ("GET /health", "GET /tasks")
    }
    verdict = tmp_path / "verdict.json"
    twinsight("ready", "--store", str(store), "--spec", str(spec), "--json", str(verdict))
    rules = {
        r["scope"]: r for r in orjson.loads(verdict.read_bytes())["rules"]
        if r["rule"] == "constraint"
    }  # fmt: skip
    assert rules["performance: reads"]["status"] == "pass", rules["performance: reads"]
    assert "legacy: p95" in rules["performance: reads"]["reason"]
    assert rules["performance: errors"]["status"] == "pass"
    assert rules["performance: vague"]["status"] == "not_measured"
    assert "names no percentile" in rules["performance: vague"]["reason"]
    # The report lists the same outcomes, the load's measures in their reasons.
    report = tmp_path / "report"
    made = twinsight("report", "--store", str(store), "--spec", str(spec), "--out", str(report),
                     "--format", "html,md")  # fmt: skip
    assert made.returncode == 0, made.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "performance: reads" in page
    assert "legacy: p95" in page
    assert "performance: vague" in (tmp_path / "report.md").read_text(encoding="utf-8")
