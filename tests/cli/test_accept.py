"""`twinsight accept` on a real store of the bundled example: triage, then analyse again."""

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.cli.run import twinsight
from twinsight.analysis.fingerprint import CauseKey, fingerprint
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files

# The candidate answers GET /health with a `version` the legacy does not have.
HEALTH = fingerprint(CauseKey("body.version", "extra", "absent -> present", noise=False))
DELETE = fingerprint(CauseKey("status", "changed", "404 -> 204", noise=False))
COUNT = fingerprint(CauseKey("body.count", "changed", "number changed", noise=False))


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example session, captured once through the proxy."""
    store = tmp_path_factory.mktemp("captured") / "run.duckdb"
    asyncio.run(capture_example_session(store))
    return store


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory, captured: Path) -> Path:
    """A folder with the store, the example spec without its `accepted` entry and the
    example config naming both, analysed once (for every test of the module)."""
    tmp_path = tmp_path_factory.mktemp("analysed")
    shutil.copy(captured, tmp_path / "run.duckdb")
    spec = (files() / "spec.yaml").read_text(encoding="utf-8")
    start, end = spec.index("\naccepted:\n"), spec.index("\nconstraints:\n")
    (tmp_path / "spec.yaml").write_text(spec[:start] + spec[end:], encoding="utf-8")
    rules = (files() / "twinsight.toml").read_text(encoding="utf-8")
    head = (
        '# Triage by hand, then by accept.\nspec = "spec.yaml"\n\n[store]\npath = "run.duckdb"\n\n'
    )
    (tmp_path / "twinsight.toml").write_text(head + rules, encoding="utf-8")
    analyzed = twinsight("analyze", cwd=tmp_path)
    assert analyzed.returncode == 0, analyzed.stderr
    assert f"- {HEALTH} [new] On GET /health, the candidate adds body.version" in analyzed.stdout
    return tmp_path


@pytest.fixture
def project(tmp_path: Path, analysed: Path) -> Path:
    """A copy of the analysed folder of its own: what analysing it again would make."""
    shutil.copytree(analysed, tmp_path, dirs_exist_ok=True)
    return tmp_path


def verdicts(folder: Path) -> dict[str, dict[str, str]]:
    """`twinsight analyze` again: each exchange's verdict, by its request line."""
    analyzed = twinsight("analyze", "--json", "-", cwd=folder)
    assert analyzed.returncode == 0, analyzed.stderr
    found = {}
    for line in analyzed.stdout.splitlines():
        judged = json.loads(line)
        found[f"{judged['method']} {judged['path']}"] = judged
    return found


def kept_every_line(before: str, after: str) -> None:
    """Every line of `before` is in `after`, in the same order."""
    lines = iter(after.splitlines())
    assert all(line in lines for line in before.splitlines())


def test_accepted_turns_the_health_difference_explained(project: Path) -> None:
    before = (project / "spec.yaml").read_text(encoding="utf-8")
    why = 'monitors ignore unknown fields: "version" is new'
    accepted = twinsight("accept", HEALTH[:7], "--as", "accepted", "--why", why, cwd=project)
    assert accepted.returncode == 0, accepted.stderr
    assert f"{HEALTH}: accepted GET /health body.version" in accepted.stdout
    assert "+++ b/spec.yaml" in accepted.stdout
    assert "+  - where: GET /health body.version" in accepted.stdout
    after = (project / "spec.yaml").read_text(encoding="utf-8")
    kept_every_line(before, after)
    assert after.endswith(
        f"accepted:\n  - where: GET /health body.version\n    why: '{why}'\n"
        f"    by: {_by(accepted.stdout)}\n    at: {_at(accepted.stdout)}\n"
    )
    health = verdicts(project)["GET /health"]
    assert health["classification"] == "explained"
    assert health["reason"] == f"accepted: GET /health body.version: {why}"
    # The report's suppression ledger says who accepted it, when, and what it hid.
    reported = twinsight("report", "--format", "json", "--out", "run", cwd=project)
    assert reported.returncode == 0, reported.stderr
    ledger = json.loads((project / "run.json").read_text(encoding="utf-8"))["ledger"]
    row = next(r for r in ledger if r["origin"] == "accepted")
    assert row == {
        "origin": "accepted",
        "where": "GET /health body.version",
        "compare": "accepted",
        "why": why,
        "differences": 1,
        "exchanges": 1,
        "by": _by(accepted.stdout),
        "at": _at(accepted.stdout),
    }


def _by(shown: str) -> str:
    return next(line for line in shown.splitlines() if line.startswith("+    by: "))[9:]


def _at(shown: str) -> str:
    return next(line for line in shown.splitlines() if line.startswith("+    at: "))[9:]


def test_dry_run_prints_the_diff_and_writes_nothing(project: Path) -> None:
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    for outcome, file in (("accepted", "spec.yaml"), ("noise", "twinsight.toml")):
        shown = twinsight("accept", HEALTH, "--as", outcome, "--why", "x", "--dry-run", cwd=project)
        assert shown.returncode == 0, shown.stderr
        assert f"dry run: {file} not written" in shown.stdout
        assert "@@ " in shown.stdout
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()} == before


def test_noise_adds_a_normalize_rule_and_the_exchange_is_noise(project: Path) -> None:
    before = (project / "twinsight.toml").read_text(encoding="utf-8")
    noise = twinsight("accept", HEALTH, "--as", "noise", "--why", "build info", cwd=project)
    assert noise.returncode == 0, noise.stderr
    assert f"{HEALTH}: noise GET /health body.version (compare ignore)" in noise.stdout
    after = (project / "twinsight.toml").read_text(encoding="utf-8")
    kept_every_line(before, after)
    assert '\n[[normalize]]\nwhere = "GET /health body.version"\ncompare = "ignore"\n' in after
    assert 'why = "build info"\nby = ' in after
    health = verdicts(project)["GET /health"]
    assert health["classification"] == "noise"
    # Gone from the clusters of the analysis since: there is nothing left to accept.
    again = twinsight("accept", HEALTH, "--as", "noise", "--why", "again", cwd=project)
    assert again.returncode == 2
    assert "no cluster of the last analysis has this fingerprint" in again.stderr


def test_all_takes_every_cluster_still_unexplained(project: Path) -> None:
    shown = twinsight("accept", "--all", "--as", "accepted", "--why", "x", "--dry-run", cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert f"{DELETE}: accepted DELETE /tasks/{{id}} status" in shown.stdout
    assert f"{HEALTH}: accepted GET /health body.version" in shown.stdout
    assert COUNT not in shown.stdout  # a regression: the spec speaks to it already


def test_scenario_merges_the_proposal_and_the_exchange_turns_regression(project: Path) -> None:
    before = (project / "spec.yaml").read_text(encoding="utf-8")
    merged = twinsight("accept", DELETE, "--as", "scenario", "--why", "keep the 404", cwd=project)
    assert merged.returncode == 0, merged.stderr
    after = (project / "spec.yaml").read_text(encoding="utf-8")
    kept_every_line(before, after)
    assert re.search(rf"\n  # {DELETE}, merged \d{{4}}-\d\d-\d\d by .+: keep the 404\n", after)
    assert "  - name: DELETE /tasks/{id} answers 404 as the legacy does\n" in after
    deleted = [v for k, v in verdicts(project).items() if k.startswith("DELETE ")]
    assert "regression" in {v["classification"] for v in deleted}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["c1-ffffffffff"], "cluster 'c1-ffffffffff': no cluster of the last analysis"),
        (["c1-"], "is ambiguous"),
        ([], "name the clusters to accept, or give --all"),
        ([HEALTH, "--all"], "name the clusters to accept, or give --all"),
        ([HEALTH, "--into", "missing.yaml"], "missing.yaml: no such spec file"),
        ([HEALTH, "--why", " "], "--why: say why"),
        ([HEALTH, "--as", "noise", "--into", "spec.yaml"], "noise goes to the config"),
        ([HEALTH, "--as", "noise", "--config", "none.toml"], "none.toml: no such config file"),
    ],
)
def test_user_errors_are_one_line(project: Path, args: list[str], message: str) -> None:
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    why = [] if "--why" in args else ["--why", "x"]
    outcome = [] if "--as" in args else ["--as", "accepted"]
    failed = twinsight("accept", *args, *outcome, *why, cwd=project)
    assert failed.returncode == 2, failed.stdout
    assert message in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()} == before


def test_a_store_analysed_before_runs_kept_their_clustering_is_accepted_from(
    project: Path,
) -> None:
    import duckdb

    with duckdb.connect(str(project / "run.duckdb")) as connection:
        connection.execute("DROP TABLE cluster_state")
    shown = twinsight("accept", HEALTH, "--as", "noise", "--why", "x", "--dry-run", cwd=project)
    assert shown.returncode == 0, shown.stderr


def test_a_store_never_analysed_is_named(tmp_path: Path, captured: Path) -> None:
    shutil.copy(captured, tmp_path / "fresh.duckdb")
    failed = twinsight(
        "accept", HEALTH, "--as", "noise", "--why", "x", "--store", "fresh.duckdb", cwd=tmp_path
    )
    assert failed.returncode == 2
    assert "no analysis of this store yet: run twinsight analyze on it first" in failed.stderr


def test_help_names_every_option_with_an_example() -> None:
    shown = twinsight("accept", "--help")
    assert shown.returncode == 0
    for option in ("--as", "--why", "--all", "--into", "--config", "--dry-run", "Example:"):
        assert option in shown.stdout
