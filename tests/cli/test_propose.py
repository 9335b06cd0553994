"""`twinsight propose` on the bundled example: one proposal per unexplained cluster, each
loading with `spec check`; merged, they leave nothing unexplained; `--minimize` shrinks the
long title to the shortest that still diverges."""

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.run import twinsight
from twinsight.demo import capture_example_session
from twinsight.examples.tasks import files
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start
from twinsight.spec import dump_spec, load_spec

EXAMPLE = files()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's scripted session, captured through the proxy once for this module."""
    path = tmp_path_factory.mktemp("propose") / "run.duckdb"
    asyncio.run(capture_example_session(path))
    return path


@pytest.fixture
def services() -> Iterator[dict[str, str]]:
    """Fresh example services on ephemeral ports, served from a thread of their own (the
    command under test is another process)."""
    loop = asyncio.new_event_loop()
    urls: dict[str, str] = {}
    runners = []

    async def up() -> None:
        for name, make in (("legacy", make_legacy), ("candidate", make_candidate)):
            runner, port = await start(make())
            runners.append(runner)
            urls[name] = f"http://127.0.0.1:{port}"

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(up(), loop).result(timeout=30)
    try:
        yield urls
    finally:
        for runner in runners:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def counts(store: Path, spec: Path, cwd: Path) -> dict[str, int]:
    """Each classification's count after a full analysis with `spec`."""
    shown = twinsight("analyze", "--store", str(store), "--spec", str(spec), "--full", cwd=cwd)
    assert shown.returncode == 0, shown.stderr
    return {k: int(n) for k, n in re.findall(r"^  (\w+)\s+(\d+)$", shown.stdout, re.M)}


def merged(spec: Path | None, proposals: Path, out: Path) -> Path:
    """`spec` with every proposed scenario added, as accepting them all does."""
    found = load_spec(proposals)
    base = load_spec(spec) if spec else found.model_copy(update={"scenarios": ()})
    out.write_text(
        dump_spec(base.model_copy(update={"scenarios": base.scenarios + found.scenarios}))
    )
    return out


def test_proposals_with_the_spec_turn_the_unexplained_into_regressions(
    store: Path, tmp_path: Path
) -> None:
    spec = EXAMPLE / "spec.yaml"
    assert counts(store, spec, tmp_path)["unexplained"] == 1
    shown = twinsight("propose", "--store", str(store), "--spec", str(spec), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert (
        "1 proposal(s) from 2 cluster(s) of real differences written to proposals.yaml"
        in shown.stdout
    )
    assert "already pinned by scenario 'List tasks filtered by status'" in shown.stdout
    text = (tmp_path / "proposals.yaml").read_text()
    assert "# cluster c1-" in text
    assert "- name: DELETE /tasks/{id} answers 404 as the legacy does" in text
    assert "the resource was created by POST /tasks (answered 201)" in text
    assert twinsight("spec", "check", "proposals.yaml", cwd=tmp_path).returncode == 0
    after = counts(store, merged(spec, tmp_path / "proposals.yaml", tmp_path / "m.yaml"), tmp_path)
    assert after["unexplained"] == 0
    assert after["regression"] == 2  # the pending filter's, and the DELETE pinned now
    again = twinsight(
        "propose", "--store", str(store), "--spec", "m.yaml", "--out", "-", cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert "0 proposal(s)" in again.stderr  # what was merged is never proposed again


def test_without_a_spec_every_cluster_is_proposed_and_accepting_all_explains_all(
    store: Path, tmp_path: Path
) -> None:
    shown = twinsight("propose", "--store", str(store), "--out", "p.yaml", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "4 proposal(s) from 4 cluster(s)" in shown.stdout
    names = [s.name for s in load_spec(tmp_path / "p.yaml").scenarios]
    assert "GET /health answers without body.version" in names
    after = counts(store, merged(None, tmp_path / "p.yaml", tmp_path / "m.yaml"), tmp_path)
    assert after["unexplained"] == 0
    refused = twinsight("propose", "--store", str(store), "--out", "p.yaml", cwd=tmp_path)
    assert refused.returncode == 2
    assert "p.yaml: already exists (pass --force to overwrite it)" in refused.stderr


def test_minimize_shrinks_the_long_title_to_the_shortest_that_still_diverges(
    store: Path, services: dict[str, str], tmp_path: Path
) -> None:
    live = ["--legacy", services["legacy"], "--candidate", services["candidate"]]
    token = ["--header", f"Authorization: Bearer {make_token('demo')}"]
    base = ["propose", "--store", str(store), "--out", "p.yaml", "--minimize", *live, *token]
    writes_kept = twinsight(*base, cwd=tmp_path)
    assert writes_kept.returncode == 0, writes_kept.stderr
    assert "writes are not re-sent without --minimize-writes" in writes_kept.stderr
    shown = twinsight(*base, "--force", "--minimize-writes", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    text = (tmp_path / "p.yaml").read_text()
    block = text[text.index("long, non-ASCII") - 600 :]
    body = json.loads(re.search(r"#   body: (\{.*\})", block).group(1))  # type: ignore[union-attr]
    assert body == {"title": "é" * 128}  # 256 bytes: one character fewer is accepted by both
    assert "curl --silent" in shown.stderr
    assert services["candidate"] in shown.stderr
    assert make_token("demo") not in text  # a --header value never goes into the file


def test_an_out_file_that_cannot_be_written_is_named_in_one_line(
    store: Path, tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    shown = twinsight("propose", "--store", str(store), "--out", "taken/p.yaml", cwd=tmp_path)
    assert shown.returncode == 2, shown.stderr
    assert "Traceback" not in shown.stderr
    assert "taken/p.yaml: cannot write the proposals" in shown.stderr
    made = twinsight("propose", "--store", str(store), "--out", "new/p.yaml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert load_spec(tmp_path / "new" / "p.yaml").scenarios
