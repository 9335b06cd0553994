"""`twinsight explore` refuses what it cannot explore in one line, before sending anything."""

from pathlib import Path

from tests.cli.run import twinsight
from tests.explore.conftest import EXAMPLE


def test_a_spec_without_bindings_is_named(tmp_path: Path) -> None:
    shown = twinsight(
        "explore", "--spec", str(EXAMPLE / "spec-plain.yaml"),
        "--legacy", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9",
        cwd=tmp_path,
    )  # fmt: skip
    assert shown.returncode == 2, shown.stderr
    assert "no scenario binds a request (when.request): nothing to explore" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_a_missing_target_and_a_malformed_header_are_named(tmp_path: Path) -> None:
    spec = str(EXAMPLE / "spec.yaml")
    alone = twinsight("explore", "--spec", spec, "--legacy", "http://127.0.0.1:9", cwd=tmp_path)
    assert alone.returncode == 2
    assert "explore needs --candidate URL" in alone.stderr
    header = twinsight(
        "explore", "--spec", spec, "--legacy", "http://127.0.0.1:9",
        "--candidate", "http://127.0.0.1:9", "--header", "no colon", cwd=tmp_path,
    )  # fmt: skip
    assert header.returncode == 2
    assert "--header: 'no' (the rest not shown) is not 'Name: value'" in header.stderr
