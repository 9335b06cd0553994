"""The whole pure pipeline on real traffic: every divergence of the example ends where
DIVERGENCES.md says, and every other exchange is match or noise."""

from collections import Counter

import pytest

from twinsight.analysis.classify import CLASSIFICATIONS
from twinsight.analysis.judge import Judge
from twinsight.analysis.load import read_exchanges, rules_from
from twinsight.config import load_config
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.examples.tasks.traffic import SESSION
from twinsight.report.analysis import scenario_line
from twinsight.spec import load_spec
from twinsight.store import Store


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    import asyncio

    store = tmp_path_factory.mktemp("example") / "run.duckdb"
    summary = asyncio.run(capture_example_session(store))
    assert summary.counts["stored"] == len(SESSION)
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    judge = Judge(spec=spec, rules=rules_from(config.normalize, spec))
    result = []
    with Store.open(store) as opened:
        for stored in read_exchanges(opened):
            answers = stored.answers
            verdict = judge.judge(stored.request, answers["legacy"], answers["candidate"]).verdict
            result.append(
                (
                    f"{stored.request.method} {stored.request.path}",
                    verdict.classification,
                    verdict.reason,
                )
            )
    return result


def test_every_step_ends_in_its_intended_classification(
    classified: list[tuple[str, str, str]],
) -> None:
    assert len(classified) == len(SESSION)
    wrong = [
        f"{request}: expected {step.expect}, got {got} ({reason})"
        for step, (request, got, reason) in zip(SESSION, classified, strict=True)
        if got != step.expect
    ]
    assert wrong == []


def test_the_confusion_table(classified: list[tuple[str, str, str]]) -> None:
    table = Counter(
        (step.expect, got) for step, (_, got, _) in zip(SESSION, classified, strict=True)
    )
    assert all(expected == got for expected, got in table)
    # Every answer differs by its X-Request-Id (row 3): no step is a bare `match`; a live
    # capture is no replay, so none is `not_comparable`.
    assert {expected for expected, _ in table} == set(CLASSIFICATIONS) - {
        "match",
        "not_comparable",
    }


def test_reasons_name_what_decided(classified: list[tuple[str, str, str]]) -> None:
    reasons = {got: reason for _, got, reason in classified}
    assert reasons["regression"].startswith("List tasks filtered by status: I should see only")
    assert reasons["spec_conflict"].startswith("Cannot complete a cancelled task")
    assert "body.version" in next(r for _, g, r in classified if g == "explained")
    assert reasons["candidate_error"] == "the candidate answered 503, the legacy 200"
    assert reasons["unexplained"].startswith("status changed: legacy 404, candidate 204")


def test_scenario_coverage_and_checks_are_stored(tmp_path_factory: pytest.TempPathFactory) -> None:
    import asyncio

    import duckdb

    from twinsight.analysis.service import analyze_store

    store = tmp_path_factory.mktemp("coverage") / "run.duckdb"
    asyncio.run(capture_example_session(store))
    spec = load_spec(files() / "spec.yaml")
    analysis = analyze_store(store, None, config=load_config(files() / "twinsight.toml"), spec=spec)
    lines = {run.name: scenario_line(run) for run in analysis.coverage}
    assert len(lines) == len(spec.scenarios)
    assert lines["Read a task"] == (
        "Read a task: 10 exchange(s), passed legacy 10/10, candidate 9/10 "
        "(1 line(s) checked, 1 not machine-checked)"
    )
    assert lines["Titles up to 255 characters are accepted in any script"].startswith(
        "Titles up to 255 characters are accepted in any script: 5 exchange(s), "
        "passed legacy 4/5, candidate 5/5"
    )
    with duckdb.connect(str(store), read_only=True) as connection:
        failed = connection.execute(
            "SELECT target, reason FROM checks WHERE scenario = 'Read a task' AND NOT passed"
        ).fetchall()
    assert failed == [("candidate", "expression is false")]
