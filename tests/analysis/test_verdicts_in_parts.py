"""`analyze --json` judged in worker processes: each part keeps its verdicts in a file and
the parent tells them part after part, so the lines are those one process writes, in the
same order (a new run's, and an incremental run's earlier verdicts before the new ones)."""

import asyncio
import shutil
from datetime import UTC
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from tests.analysis.test_workers import synthetic, tiny_parts
from twinsight.analysis import verdict_file
from twinsight.analysis.service import analyze_store
from twinsight.analysis.verdict_file import read_verdicts, verdicts_into
from twinsight.config import Config, load_config
from twinsight.demo import capture_example_session
from twinsight.events import ExchangeJudged
from twinsight.examples.tasks import files
from twinsight.report.jsonlines import json_line
from twinsight.spec import Spec, load_spec
from twinsight.testing import write_store

__all__ = ["json_lines", "tiny_parts"]

# A difference's values: whatever a body decodes to, told back as it was (not as JSON reads).
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.binary(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner),
    max_leaves=6,
)
differences = st.fixed_dictionaries(
    {"location": st.text(max_size=8), "kind": st.sampled_from(["changed", "missing"])},
    optional={"legacy": values, "candidate": values, "noise": st.booleans()},
)
events = st.builds(
    ExchangeJudged,
    id=st.text(min_size=1, max_size=6),
    method=st.sampled_from(["GET", "POST"]),
    path=st.text(max_size=8),
    query=st.none() | st.text(max_size=4),
    endpoint=st.text(max_size=8),
    candidate=st.just("candidate"),
    classification=st.sampled_from(["match", "regression", "noise"]),
    reason=st.text(max_size=8),
    differences=st.lists(differences, max_size=3).map(tuple),
    started_at=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@given(st.lists(events, max_size=25), st.integers(1, 6))
def test_verdicts_read_back_as_told_in_order(told: list[ExchangeJudged], batch: int) -> None:
    # No tmp_path under @given: a folder of each example's own.
    with mock.patch.object(verdict_file, "_BATCH", batch), TemporaryDirectory() as folder:
        path = Path(folder) / verdict_file.VERDICTS
        with verdicts_into(path) as tell:
            assert tell is not None
            for event in told:
                tell(event)
        assert list(read_verdicts(path)) == told


def test_no_path_keeps_nothing() -> None:
    with verdicts_into(None) as tell:
        assert tell is None


def json_lines(
    store: Path, tmp_path: Path, name: str, config: Config, spec: Spec | None, **how: Any
) -> bytes:
    """The `--json` lines of an analysis of a copy of `store` named `name`."""
    copy = tmp_path / f"{name}.duckdb"
    shutil.copy(store, copy)
    told: list[bytes] = []
    analyze_store(copy, None, config=config, spec=spec, on_judged=_lines(told), **how)
    return b"".join(told)


def _lines(told: list[bytes]) -> Any:
    return lambda event: told.append(json_line(event))


def test_the_example_traffic_tells_alike_in_workers(
    tmp_path: Path, tiny_parts: dict[str, list[int]]
) -> None:
    store = tmp_path / "run.duckdb"
    asyncio.run(capture_example_session(store))
    spec = load_spec(files() / "spec.yaml")
    config = load_config(files() / "twinsight.toml")
    alone = json_lines(store, tmp_path, "alone", config, spec, workers=1)
    parallel = json_lines(store, tmp_path, "parallel", config, spec, workers=3)
    assert b'"regression"' in alone  # the example's divergences were told at all
    assert parallel == alone
    assert tiny_parts["judge"] == [3]


def test_a_store_with_a_replica_tells_alike_in_workers(
    tmp_path: Path, tiny_parts: dict[str, list[int]]
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(300, seed=3))
    alone = json_lines(store, tmp_path, "alone", Config(), None, workers=1)
    parallel = json_lines(store, tmp_path, "parallel", Config(), None, workers=2)
    assert alone.count(b"\n") == 300  # one line per exchange and candidate
    assert parallel == alone
    assert tiny_parts["judge"] == [2]


def test_earlier_verdicts_then_new_ones_tell_alike_in_workers(
    tmp_path: Path, tiny_parts: dict[str, list[int]]
) -> None:
    store = tmp_path / "s.duckdb"
    write_store(store, synthetic(120, seed=5))
    analyze_store(store, None, config=Config(), spec=None, workers=1)
    write_store(store, synthetic(90, seed=6))
    alone = json_lines(store, tmp_path, "alone", Config(), None, workers=1)
    parallel = json_lines(store, tmp_path, "parallel", Config(), None, workers=2)
    assert alone.count(b"\n") == 210  # the earlier run's 120 read back, 90 judged now
    assert parallel == alone
    assert tiny_parts["judge"] == [2]
