"""Pulls list only what is new: manifests in hour folders, a pull lists the hours from the
newest it has seen (less an hour) on, counted in the S3 server's own request log; batches
committed late or by a clock that is off are still read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pyarrow.fs as pafs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsight.store import SegmentSink, Store
from twinsight.store import objects as objects_module
from twinsight.store.manifests import hour_folder, list_manifests, manifest_key
from twinsight.store.objects import ObjectLocation, ObjectSegments, pull
from twinsight.testing import exchange, write_store

from .objectstore import S3, s3, s3_server
from .test_objects import batch_of

__all__ = ["s3", "s3_server"]  # fixtures, used by name


class RequestLog(logging.Handler):
    """The requests the S3 server answers, as its own log shows them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def listed(self) -> list[str]:
        """The prefix of each LIST request since the last call, in order."""
        found = []
        for line in self.lines:
            target = line.split('"')[1].split(" ")[1] if '"' in line else ""
            query = parse_qs(urlsplit(target).query)
            if "list-type" in query:
                found.append(unquote(query.get("prefix", [""])[0]))
        self.lines.clear()
        return found


@pytest.fixture
def requests_log() -> Iterator[RequestLog]:
    """The server's request log (werkzeug's, one line per request) while the test runs."""
    logger, handler = logging.getLogger("werkzeug"), RequestLog()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def put(segments: ObjectSegments, tmp_path: Path, batch: str, when: datetime) -> set[str]:
    """A batch of two exchanges committed at `when`; their ids."""
    tables = batch_of(tmp_path / batch, 2)
    segments.put_batch(batch, sorted(tables.items()), now=when)
    return set(tables["exchanges"].column("id").to_pylist())


def ids_in(folder: Path) -> set[str]:
    with Store.open(None, folder) as opened:
        return {e.id for e in opened.exchanges()}


def test_a_pull_after_new_batches_lists_only_the_latest_hours(
    s3: S3, tmp_path: Path, requests_log: RequestLog
) -> None:
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    now = datetime.now(UTC)
    old_days = {hour_folder(now - timedelta(days=d)).split("/")[0] for d in (2, 3, 4)}
    ids = set()
    for day in (2, 3, 4):
        for hour in (1, 7, 13, 19):
            when = now - timedelta(days=day, hours=hour)
            ids |= put(segments, tmp_path, f"w-{day}{hour:02d}", when)
    ids |= put(segments, tmp_path, "w-first", now)  # the newest hour seen: this one
    copy = tmp_path / "copy"
    requests_log.listed()
    assert ids_in(pull(segments.location, copy)) == ids
    first = requests_log.listed()
    assert "run/batches/" in first  # the first pull lists every manifest at once
    assert "run/" in first  # and every segment

    ids |= put(segments, tmp_path, "w-new", now)
    requests_log.listed()
    assert ids_in(pull(segments.location, copy)) == ids
    later = requests_log.listed()
    assert "run/" not in later  # no listing of the week's segments
    assert not [p for p in later if any(p.startswith(f"run/batches/{d}") for d in old_days)]
    # batches/, today's (and at most yesterday's) hours, and one or two hour folders
    assert 3 <= len(later) <= 5, later
    assert f"run/batches/{hour_folder(now)}/" in later


def test_a_batch_committed_late_within_the_hour_relisted_is_read_at_the_next_pull(
    s3: S3, tmp_path: Path
) -> None:
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    now = datetime.now(UTC)
    ids = put(segments, tmp_path, "w-000001", now)
    copy = tmp_path / "copy"
    assert ids_in(pull(segments.location, copy)) == ids
    # Another writer's batch, stamped before the newest seen (a slow put, a clock behind)
    ids |= put(segments, tmp_path, "v-000001", now - timedelta(minutes=50))
    assert ids_in(pull(segments.location, copy)) == ids


def test_a_writer_whose_clock_runs_ahead_does_not_hide_the_others(s3: S3, tmp_path: Path) -> None:
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    now = datetime.now(UTC)
    ids = put(segments, tmp_path, "ahead-000001", now + timedelta(hours=5))
    copy = tmp_path / "copy"
    assert ids_in(pull(segments.location, copy)) == ids
    ids |= put(segments, tmp_path, "w-000001", now)
    assert ids_in(pull(segments.location, copy)) == ids


def test_what_the_latest_hours_miss_the_periodic_full_listing_finds(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(objects_module, "FULL_EVERY", 3)
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    now = datetime.now(UTC)
    ids = put(segments, tmp_path, "w-000001", now)
    copy = tmp_path / "copy"
    assert ids_in(pull(segments.location, copy)) == ids  # pull 1: a full listing
    far = put(segments, tmp_path, "off-000001", now - timedelta(hours=5))  # a clock hours off
    s3.fs().delete_file(s3.manifest("w-000001"))  # removed from the store
    assert ids_in(pull(segments.location, copy)) == ids  # pull 2 lists the latest hours
    assert ids_in(pull(segments.location, copy)) == ids  # pull 3 too
    assert ids_in(pull(segments.location, copy)) == far  # pull 4: all of them again


def test_manifests_of_the_old_layout_are_still_read(s3: S3, tmp_path: Path) -> None:
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    ids = put(segments, tmp_path, "old-000001", datetime.now(UTC))
    fs, manifest = s3.fs(), s3.manifest("old-000001")
    pafs.copy_files(manifest, f"{s3.bucket}/run/batches/old-000001.json", fs, fs)
    fs.delete_file(manifest)  # as a writer before hour folders put it
    copy = tmp_path / "copy"
    assert ids_in(pull(segments.location, copy)) == ids
    write_store(SegmentSink(Path(s3.url()), "new"), [exchange()])
    assert len(ids_in(pull(segments.location, copy))) == 3  # an incremental pull too


HOURS = st.integers(min_value=0, max_value=24 * 5)


@settings(max_examples=40, deadline=None)
@given(committed=st.lists(HOURS, max_size=12), since=st.none() | HOURS, flat=st.booleans())
def test_a_listing_holds_exactly_the_manifests_from_the_hour_given(
    tmp_path_factory: pytest.TempPathFactory, committed: list[int], since: int | None, flat: bool
) -> None:
    """Over a local file system, which lists folders as the store does."""
    base = tmp_path_factory.mktemp("batches")
    start = datetime(2026, 1, 30, 22, tzinfo=UTC)
    expected = set()
    for number, hour in enumerate(committed):
        file = base / manifest_key(f"w-{number}", start + timedelta(hours=hour))
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("{}")
        if since is None or hour >= since:
            expected.add(f"w-{number}")
    if flat:
        (base / "batches" / "old-1.json").parent.mkdir(exist_ok=True)
        (base / "batches" / "old-1.json").write_text("{}")
        expected.add("old-1")
    bound = None if since is None else hour_folder(start + timedelta(hours=since))
    listed = list_manifests(pafs.LocalFileSystem(), str(base / "batches"), bound)
    assert set(listed.manifests) == expected
    newest = max(committed, default=None)
    assert listed.newest == (
        None
        if newest is None or not expected - {"old-1"}
        else hour_folder(start + timedelta(hours=newest))
    )


def test_an_incremental_pull_leaves_out_a_batch_until_every_object_is_there(
    s3: S3, tmp_path: Path
) -> None:
    segments = ObjectSegments.open(ObjectLocation(s3.bucket, "run"))
    now = datetime.now(UTC)
    ids = put(segments, tmp_path, "w-000001", now)
    copy = tmp_path / "copy"
    assert ids_in(pull(segments.location, copy)) == ids  # the first pull: a full listing
    late = put(segments, tmp_path, "w-000002", now)
    fs, key = s3.fs(), f"{s3.bucket}/run/responses-w-000002.parquet"
    with fs.open_input_stream(key) as source:
        held = source.read()
    fs.delete_file(key)  # not (yet) there, as a store that is slow to show it
    assert ids_in(pull(segments.location, copy)) == ids
    assert not list(copy.glob("*-w-000002.parquet"))  # nothing of it left in the copy
    with fs.open_output_stream(key) as out:
        out.write(held)
    assert ids_in(pull(segments.location, copy)) == ids | late
