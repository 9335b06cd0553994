"""`twinsight analyze` on a replay sent without the recording's credentials: exit 0, the
refused pairs reported not_comparable (terminal and --json), and what was not compared
listed with its counts."""

from collections import Counter
from pathlib import Path

import orjson

from tests.analysis.test_service_comparable import store
from tests.cli.run import twinsight


def test_analyze_reports_a_degraded_replay_as_not_compared(tmp_path: Path) -> None:
    path = store(tmp_path)
    lines = tmp_path / "judged.jsonl"
    done = twinsight("analyze", "--store", str(path), "--json", str(lines), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    said = done.stdout
    assert "8 exchange(s) analysed" in said
    assert "  not_comparable   6" in said
    assert "10 not compared, and why:" in said
    assert "4  no candidate answer: recorded or imported, never replayed" in said
    assert "degraded replay: 6 replayed exchange(s)" in said
    judged = [orjson.loads(line) for line in lines.read_bytes().splitlines()]
    assert Counter(j["classification"] for j in judged) == {"not_comparable": 6, "match": 2}
    refused = [j for j in judged if j["classification"] == "not_comparable"]
    assert all("the replay was not authenticated" in j["reason"] for j in refused)
