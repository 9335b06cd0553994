"""`twinsight explore` twice with one seed prints the same divergences, shrunk alike."""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.explore.conftest import SPEC
from tests.explore.test_command import explore
from tests.served import served
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.spec import dump_spec


def steps(text: str) -> list[str]:
    """The divergences and their steps, as printed (answers left out: they carry ids)."""
    return [line for line in text.splitlines() if re.match(r"(divergence \d+|  \d+\. )", line)]


def test_the_same_seed_prints_the_same_divergences(
    services: tuple[str, str], tmp_path: Path
) -> None:
    # Creating tasks only (the example's creates): the run is short, its shrinking is not.
    creates = [s for s in SPEC.scenarios if s.when.bindings[0].path == "/tasks"]
    creates = [s for s in creates if s.when.bindings[0].method == "POST"]
    spec = tmp_path / "creates.yaml"
    spec.write_text(dump_spec(SPEC.model_copy(update={"scenarios": tuple(creates)})))
    # The two runs at once, each against services of its own so neither sees the other's
    # tasks. Ten examples reach the divergence; the budget is one no run nears, so that the
    # seed alone, never the time a loaded machine takes, decides what each one sends. The
    # second run starts an interpreter of its own: another hash seed, as two users' runs have.
    with served(make_legacy, make_candidate) as other, ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(explore, urls, tmp_path / name, spec, examples=10, fresh=fresh)
            for urls, name, fresh in (
                (services, "a.duckdb", False),
                ((other[0], other[1]), "b.duckdb", True),
            )
        ]
        first, second = (run.result() for run in runs)
    assert steps(first) == steps(second)
    assert "in POST /tasks: Titles up to 255 characters" in first


def test_each_seed_and_each_search_keeps_its_own_examples(tmp_path: Path) -> None:
    # A run replays only what runs with its own seed saved: another seed's examples would
    # make the seed no longer name the run. Every input probe has the same code (what
    # hypothesis keys examples by), so each operation has its own folder too.
    from twinsight.explore.search import Limits, _database

    one, other, sibling = (
        _database(Limits(seed=1, database=tmp_path), "POST /tasks"),
        _database(Limits(seed=2, database=tmp_path), "POST /tasks"),
        _database(Limits(seed=1, database=tmp_path), "GET /tasks/{id}"),
    )
    assert one is not None
    assert other is not None
    assert sibling is not None
    one.save(b"key", b"example")
    assert list(one.fetch(b"key")) == [b"example"]
    assert list(other.fetch(b"key")) == []
    assert list(sibling.fetch(b"key")) == []
