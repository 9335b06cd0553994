"""A shrunk sequence is sent once more on a session of its own, with the declared reset
between examples, and `propose` writes it as a scenario whose `given` is its steps."""

from pathlib import Path

import yaml

from tests.cli.run import twinsight
from tests.explore.tickets import SEQUENCE_SPEC, Tickets

CONFIG = """
[explore]
reset = "POST /_reset"

[[normalize]]
where = "body.id"
compare = "shape"
"""


def test_a_finding_is_stored_on_its_own_session_and_proposed_with_its_steps(
    tickets: tuple[Tickets, Tickets, tuple[str, str]], tmp_path: Path
) -> None:
    legacy, candidate, (legacy_url, candidate_url) = tickets
    candidate.soft_delete = True
    (tmp_path / "spec.yaml").write_text(SEQUENCE_SPEC)
    (tmp_path / "twinsight.toml").write_text(CONFIG)
    shown = twinsight(
        "explore", "--spec", "spec.yaml", "--legacy", legacy_url, "--candidate", candidate_url,
        "--store", "run.duckdb", "--max-examples", "20", "--time-budget", "120", "--seed", "1",
        cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "divergence 1: unexplained in sequence: " in shown.stdout, shown.stdout
    assert "(stored as session explore:finding:1: twinsight propose" in shown.stdout
    assert "(reset by 'POST /_reset')" in shown.stdout
    assert legacy.resets == candidate.resets > 1
    proposed = twinsight(
        "propose", "--store", "run.duckdb", "--spec", "spec.yaml", cwd=tmp_path, timeout=120
    )
    assert proposed.returncode == 0, proposed.stderr
    scenarios = yaml.safe_load((tmp_path / "proposals.yaml").read_text())["scenarios"]
    read = next(s for s in scenarios if s["when"]["request"]["path"] == "/tickets/{id}")
    assert read["given"] == [
        "the resource was created by POST /tickets (answered 201)",
        "DELETE /tickets/{id} was sent on it earlier (answered 204)",
    ]
