"""The command line as a user meets it: exit codes, one-line errors, real processes."""

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import jwt
import pytest

import twinsight as package
from tests.cli.run import twinsight
from twinsight.analysis.fingerprint import CauseKey, fingerprint
from twinsight.analysis.installed import source_digest
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import secret


def test_version_and_help() -> None:
    said = twinsight("--version").stdout
    assert said == f"twinsight {package.__version__}+{source_digest(package.__file__)}\n"
    listing = twinsight("--help")
    assert listing.returncode == 0
    for command in ("spec", "example", "config", "demo"):
        assert command in listing.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["spec", "check"],
        ["spec", "show"],
        ["example", "legacy"],
        ["example", "candidate"],
        ["example", "token"],
        ["example", "files"],
        ["config", "show"],
        ["demo"],
    ],
)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    shown = twinsight(*command, "--help")
    assert shown.returncode == 0
    assert "Example:" in shown.stdout


def test_spec_check_on_the_bundled_specs() -> None:
    checked = twinsight(
        "spec", "check", str(files() / "spec.yaml"), str(files() / "spec-plain.yaml")
    )
    assert checked.returncode == 0, checked.stderr
    assert "spec.yaml: 11 scenarios (11 bound to HTTP), 19 lines machine-checked" in checked.stdout
    plain = "spec-plain.yaml: 4 scenarios (0 bound to HTTP), 0 lines machine-checked, 17 not"
    assert plain in checked.stdout
    assert (
        "not machine-checked Complete a task: The completed_at should be after created_at"
        in checked.stdout
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "match: legacy.status == 201",
            "match: legacy.status == ",
            "15:30: scenarios[0].when.match: CEL syntax error",
        ),
        (
            "    then:\n      - The task should keep",
            "    thn:\n      - The task should keep",
            "scenarios[0]: unknown key 'thn' (did you mean 'then'?)",
        ),
        ("feature: Task Management System", "feature: [Task", "YAML error"),
    ],
)
def test_spec_check_on_broken_copies(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = (files() / "spec.yaml").read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    checked = twinsight("spec", "check", str(broken))
    assert checked.returncode == 1
    assert f"{broken}:" in checked.stderr
    assert message in checked.stderr
    assert "Traceback" not in checked.stderr


def test_spec_show_renders_markdown() -> None:
    shown = twinsight("spec", "show", str(files() / "spec-plain.yaml"))
    assert shown.returncode == 0
    assert shown.stdout.startswith("# Task Management System\n")


def test_user_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    missing = twinsight("spec", "show", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: no such file"
    assert twinsight("spec", "check").returncode == 2
    assert twinsight("no-such-command").returncode == 2


def test_spec_check_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    checked = twinsight("spec", "check", str(files() / "spec.yaml"), str(missing))
    assert checked.returncode == 2
    assert checked.stderr.strip() == f"error: {missing}: no such file"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    shown = twinsight("--debug", "spec", "show", str(tmp_path / "nope.yaml"))
    assert shown.returncode == 2
    assert "Traceback" in shown.stderr


def test_config_errors_are_located(tmp_path: Path) -> None:
    (tmp_path / "twinsight.toml").write_text(
        '[targets]\nlegacy = "not a url"\n\n[store]\nflush = 2\n'
    )
    shown = twinsight("config", "show", cwd=tmp_path)
    assert shown.returncode == 2
    assert "twinsight.toml:2:1: targets.legacy: Input should be a valid URL" in shown.stderr
    assert "twinsight.toml:5:1: store.flush: unknown key" in shown.stderr


def test_example_token_is_accepted_by_the_services() -> None:
    token = twinsight("example", "token", "--user", "bob").stdout.strip()
    assert jwt.decode(token, secret(), algorithms=["HS256"])["sub"] == "bob"


def test_example_files_holds_the_spec_files() -> None:
    folder = Path(twinsight("example", "files").stdout.strip())
    assert {"spec.yaml", "spec-plain.yaml", "DIVERGENCES.md"} <= {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("service", ["legacy", "candidate"])
def test_example_service_runs_and_stops_on_sigterm(service: str, tmp_path: Path) -> None:
    db = tmp_path / "tasks.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "twinsight", "example", service, "--port", "0", "--db", str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"{service} listening on http://127.0.0.1:")
        url = line.split()[-1]
        with urllib.request.urlopen(f"{url}/health", timeout=10) as answer:
            assert answer.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert returncode == 0


def test_demo_captures_the_session_and_ends_with_the_verdict_and_report(tmp_path: Path) -> None:
    shown = twinsight("demo", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "stored 27, dropped 0" in shown.stdout
    assert "candidate_error" in shown.stdout
    assert "ready NOT READY: regressions: 1 regression(s)" in shown.stdout
    assert "report reports/demo.html" in shown.stdout
    assert (tmp_path / "reports" / "demo.html").stat().st_size > 10_000
    assert (tmp_path / "reports" / "demo.md").read_text().startswith("#")
    assert "replay demo: sent 27 in" in shown.stdout
    assert "candidate: answered 27 (2xx 21, 4xx 5, 5xx 1), errors 0" in shown.stdout
    assert "with ids rewritten for a target" in shown.stdout
    assert (
        "analysis explained 2, noise 21, regression 1, spec_conflict 1, "
        "unexplained 1, candidate_error 1"
    ) in shown.stdout
    info = twinsight("store", "info", "--store", "reports/demo.duckdb", cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert info.stdout.startswith("27 exchanges")
    example = files()
    analyzed = twinsight(
        "analyze",
        "--store",
        "reports/demo.duckdb",
        "--spec",
        str(example / "spec.yaml"),
        "--config",
        str(example / "twinsight.toml"),
        "--json",
        "verdicts.jsonl",
        cwd=tmp_path,
    )
    assert analyzed.returncode == 0, analyzed.stderr
    # The demo analysed the store already: nothing is judged twice, every line is written.
    assert analyzed.stdout.startswith("27 exchange(s) in all: 0 analysed now, 27 kept")
    # Named by its cause; nothing is new since the demo's own run, so this is a re-read that
    # shows that run's statuses as they were.
    status = fingerprint(CauseKey("status", "changed", "404 -> 204", noise=False))
    assert f"- {status} [new] On DELETE /tasks/{{id}}, the status differs" in analyzed.stdout
    assert "likely: status family changes (404 -> 204)" in analyzed.stdout
    lines = (tmp_path / "verdicts.jsonl").read_text().splitlines()
    assert len(lines) == 27
    first = json.loads(lines[0])
    assert (first["path"], first["classification"]) == ("/health", "explained")
    assert first["differences"][0]["location"] == "body.version"
