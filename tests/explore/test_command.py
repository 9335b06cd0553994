"""`twinsight explore` against the live example services: the divergences generated inputs
reach, shrunk and printed; every request recorded for analysis."""

import re
from pathlib import Path

from tests.cli.run import twinsight
from tests.explore.conftest import AUTH, EXAMPLE
from twinsight.explore import Driver, Limits, Progress
from twinsight.explore.operations import operations
from twinsight.explore.search import explore_inputs
from twinsight.store import open_store, store_info


def explore(
    services: tuple[str, str],
    store: Path,
    spec: Path = EXAMPLE / "spec.yaml",
    examples: int = 30,
    fresh: bool = False,
) -> str:
    """`twinsight explore` on `spec` (the example's by default) into `store`, seed 3, with a
    time budget no run nears: how far each divergence shrinks is up to the seed alone;
    `fresh`: in an interpreter of its own (see `tests.cli.run`)."""
    legacy, candidate = services
    budget = 120
    name, value = AUTH[0]
    shown = twinsight(
        "explore", "--spec", str(spec), "--config", str(EXAMPLE / "twinsight.toml"),
        "--legacy", legacy, "--candidate", candidate, "--header", f"{name}: {value}",
        "--store", store.name, "--max-examples", str(examples), "--time-budget", str(budget),
        "--seed", "3",
        cwd=store.parent, timeout=max(60, 3 * budget), fresh=fresh,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def test_explore_prints_each_divergence_shrunk_and_records_every_request(
    services: tuple[str, str], tmp_path: Path
) -> None:
    shown = explore(services, tmp_path / "run.duckdb")
    # DIVERGENCES.md row 5, shrunk to the fewest characters past 255 bytes.
    assert re.search(
        r"divergence \d+: explained in POST /tasks: Titles up to 255 characters are accepted "
        r"in any script.*\n  1\. POST /tasks \{\"title\":.*\(title: 128 characters, 256 bytes\)\n"
        r"     legacy:    400 \{\"error\": \"Title too long \(max 255\)\"\}\n"
        r"     candidate: 201 ",
        shown,
    ), shown
    assert "in GET /health: accepted: GET /health body.version" in shown  # row 4
    assert re.search(r"divergence 1: (regression|spec_conflict) in sequence: ", shown), shown
    assert "recorded in run.duckdb" in shown
    # Read here, not by `twinsight store info`: one Python start-up less, the same counts.
    info = store_info(open_store(tmp_path / "run.duckdb"), [])
    sent = re.search(r"(\d+) request\(s\) sent to each target", shown)
    assert sent is not None, shown
    assert info.by_source == {"explore": int(sent[1])}  # every request, as explore's
    assert (tmp_path / "run.duckdb.hypothesis").is_dir()


def test_inputs_alone_find_the_title_counted_in_bytes(driver: Driver) -> None:
    create = operations_named("POST /tasks")
    progress = Progress(deadline=10**12)
    found = explore_inputs(create, driver, Limits(max_examples=60), progress, lambda _: {})
    assert found is not None
    title = found.steps[-1].step.body["title"]
    assert len(title) <= 255 < len(title.encode())
    assert found.verdict[0] == "explained"


def operations_named(name: str):  # type: ignore[no-untyped-def]
    from tests.explore.conftest import SPEC

    return next(op for op in operations(SPEC) if op.name == name)
