"""Segments in object storage: `s3://bucket/prefix` (AWS S3 or an S3-compatible store).

Writing (`ObjectSegments.put_batch`): each segment is one whole object under its final
name, `PREFIX/TABLE-WRITER-SEQ.parquet` as in a folder (an object appears complete or not at
all), exchanges last; then the batch's manifest, `PREFIX/batches/YYYY-MM-DD/HH/WRITER-SEQ.json`
(the hour it is committed: see `manifests`), naming each object and its size. A batch
exists for readers only when its manifest does and every object it names is there at that
size: all or nothing. A failed batch's objects are removed, manifest first (best effort:
what is left is named by no manifest, or by one whose objects are incomplete, and is never
read). A retried batch is written under a new sequence number; readers keep one row per
key, as for a folder.

Reading (`pull`): the committed batches are copied into a local folder that mirrors the
prefix (objects never change once written, so a later pull fetches only new ones, and lists
only the manifests of the last hours: `manifests`), with the analysis file
`analysis.duckdb` if the prefix holds one; that folder is then read as any segment folder.
`push_analysis` puts the analysis file back, whole, each time analysis writes it
(`Derived.write`): the folder remembers where it was pulled from.

The endpoint and credentials come from the environment as for the AWS tools:
`AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) for an S3-compatible store, `AWS_REGION` /
`AWS_DEFAULT_REGION`, and the AWS SDK's chain for credentials (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, profiles, web identity). They are never
printed or stored: error messages have their values taken out.

A URL travels through the settings as a `Path`, which folds `s3://b/p` into `s3:/b/p`;
`ObjectLocation.of` reads either spelling back.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from twinsight.store.derived import DERIVED_FILE
from twinsight.store.files import StoreError
from twinsight.store.manifests import (
    FULL_EVERY,
    MANIFESTS,
    Listed,
    list_manifests,
    manifest_key,
    relist_from,
)
from twinsight.store.objecterrors import reason

__all__ = [
    "ObjectLocation",
    "ObjectSegments",
    "cache_folder",
    "pull",
    "pulled_from",
    "push_analysis",
]

_PULLED = ".pulled.json"  # in the local folder: its URL, the analysis file as last synced
_LISTED = ".listed.json"  # in the local folder: the newest hour folder seen, pulls so far
_LOCAL_MANIFESTS = ".batches"
_URL = re.compile(r"^s3:/{1,2}(?P<bucket>[^/]*)(?:/(?P<prefix>.*))?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class ObjectLocation:
    """A bucket and a prefix in it (no leading or trailing slash; may be empty)."""

    bucket: str
    prefix: str

    @classmethod
    def of(cls, value: Path | str | None) -> ObjectLocation | None:
        """The location `value` names, or None for a local folder (or nothing).

        Raises StoreError for an `s3:` URL without a valid bucket name."""
        if value is None:
            return None
        found = _URL.match(str(value))
        if found is None:
            return None
        bucket, prefix = found["bucket"], (found["prefix"] or "").strip("/")
        if not _BUCKET.match(bucket):
            raise StoreError(f"{value}: write the segments URL as s3://BUCKET/PREFIX")
        return cls(bucket, re.sub("/+", "/", prefix))

    @property
    def url(self) -> str:
        """`s3://bucket/prefix`, as the user would write it."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, name: str) -> str:
        """The file-system path (bucket/prefix/name) of the object `name` under the prefix."""
        return "/".join(part for part in (self.bucket, self.prefix, name) if part)


def filesystem() -> pafs.S3FileSystem:
    """An S3 file system configured from the environment (see the module's docstring)."""
    options: dict[str, Any] = {
        "connect_timeout": 5,
        "request_timeout": 30,
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=3),
    }
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint_override"] = endpoint
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    return pafs.S3FileSystem(**options)


class ObjectSegments:
    """The segments under one location, written and read through `filesystem()`."""

    def __init__(self, location: ObjectLocation, fs: pafs.FileSystem | None = None) -> None:
        self.location = location
        self.fs = fs if fs is not None else filesystem()

    @classmethod
    def open(cls, location: ObjectLocation) -> ObjectSegments:
        """The segments at `location`; StoreError (one line) when its bucket cannot be reached."""
        opened = cls(location)
        try:
            found = opened.fs.get_file_info(location.bucket)
        except OSError as exc:
            raise StoreError(f"{location.url}: {reason(exc)}") from None
        if found.type == pafs.FileType.NotFound:
            raise StoreError(f"{location.url}: no such bucket {location.bucket!r}")
        return opened

    def put_batch(
        self, batch: str, tables: Sequence[tuple[str, pa.Table]], now: datetime | None = None
    ) -> None:
        """Write one batch (`tables` in the order given, each `TABLE-BATCH.parquet`), then
        its manifest in the folder of the hour `now` (the clock's by default); a failure
        removes what the attempt wrote and raises OSError."""
        written: list[str] = []
        try:
            files = []
            for name, table in tables:
                file = f"{name}-{batch}.parquet"
                data = _parquet(table)
                written.append(self.location.key(file))
                self._put(written[-1], data)
                files.append({"name": file, "size": data.size})
            # The hour is read once the objects are there: the manifest is put just after.
            manifest = self.location.key(manifest_key(batch, now or datetime.now(UTC)))
            written.insert(0, manifest)
            self._put(manifest, pa.py_buffer(orjson.dumps({"files": files})))
        except BaseException as exc:
            self._remove(written)
            if isinstance(exc, OSError):
                raise OSError(f"{self.location.url}: {reason(exc)}") from None
            raise

    def manifests(self, since: str | None, known: dict[str, list[dict[str, Any]]]) -> Listed:
        """The manifests listed (every one when `since` is None, else from that hour
        folder on: `list_manifests`); `known` holds those read before (batch -> files)
        and gains the new ones, read now."""
        listed = list_manifests(self.fs, self.location.key(MANIFESTS), since)
        for batch, path in listed.manifests.items():
            if batch not in known:
                files = _manifest(self._get(path))
                if files is not None:  # else not one a writer made (those are written whole)
                    known[batch] = files
        return listed

    def sizes(self) -> dict[str, int]:
        """Every segment object under the prefix -> its size (one listing of them all)."""
        return {name: i.size for name, i in self._listing(self.location.key("")).items()}

    def _listing(self, where: str) -> dict[str, pafs.FileInfo]:
        """The objects directly under `where`, by name."""
        chosen = pafs.FileSelector(where, allow_not_found=True, recursive=False)
        found = self.fs.get_file_info(chosen)
        return {i.base_name: i for i in found if i.type == pafs.FileType.File}

    def info(self, name: str) -> pafs.FileInfo:
        """What the store holds as `name` under the prefix."""
        return self.fs.get_file_info(self.location.key(name))

    def download(self, name: str, out: Path, size: int | None = None) -> None:
        """Copy the object `name` under the prefix to `out`, whole (written aside, renamed);
        FileNotFoundError when it is not there (at `size` bytes, when given)."""
        partial = out.with_name(f".{out.name}.partial")
        try:
            key = self.location.key(name)
            with self.fs.open_input_stream(key) as source, partial.open("wb") as f:
                while chunk := source.read(1 << 20):
                    f.write(chunk)
            if size is not None and partial.stat().st_size != size:
                raise FileNotFoundError(f"{name}: not at the size its manifest gives")
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)

    def upload(self, file: Path, name: str) -> None:
        """Put the local `file` as the object `name` under the prefix, whole: sent under
        another name, checked for size, then copied into place within the store."""
        # An output stream closed by an exception (or Ctrl-C) completes its upload with
        # what it was sent so far: never under the final name.
        partial = self.location.key(f".{name}.{uuid.uuid4().hex}.partial")
        size = file.stat().st_size
        try:
            with file.open("rb") as source, self.fs.open_output_stream(partial) as f:
                while chunk := source.read(1 << 20):
                    f.write(chunk)
            sent = self.fs.get_file_info(partial).size
            if sent != size:
                raise OSError(f"{name}: {sent} of {size} bytes arrived")
            self.fs.move(partial, self.location.key(name))
        finally:
            with contextlib.suppress(OSError):
                self.fs.delete_file(partial)

    def _get(self, key: str) -> bytes:
        with self.fs.open_input_stream(key) as source:
            return bytes(source.read())

    def _put(self, key: str, data: pa.Buffer) -> None:
        # An object appears when its upload completes (one PUT, or a completed multipart).
        with self.fs.open_output_stream(key) as out:
            out.write(data)

    def _remove(self, keys: list[str]) -> None:
        for key in keys:
            # Left-overs are never read: readers need the manifest and every object whole.
            with contextlib.suppress(OSError):
                self.fs.delete_file(key)


def _manifest(data: bytes) -> list[dict[str, Any]] | None:
    """The files a manifest names (name, size), or None when it is not a manifest."""
    try:
        files = orjson.loads(data)["files"]
        return [{"name": str(f["name"]), "size": int(f["size"])} for f in files]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _parquet(table: pa.Table) -> pa.Buffer:
    """`table` as the bytes of a Parquet file, compressed as local segments are."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def cache_folder(location: ObjectLocation) -> Path:
    """Where `location` is mirrored on this machine: under $XDG_CACHE_HOME (~/.cache), one
    folder per endpoint, bucket and prefix."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
    digest = hashlib.sha256(f"{endpoint} {location.url}".encode()).hexdigest()[:16]
    return Path(root) / "twinsight" / "segments" / f"{location.bucket}-{digest}"


def pull(location: ObjectLocation, folder: Path | None = None) -> Path:
    """Mirror the complete batches at `location` (and its analysis file) into `folder`
    (default: `cache_folder`), and return it; StoreError (one line) when that fails."""
    folder = folder if folder is not None else cache_folder(location)
    segments = ObjectSegments.open(location)
    try:
        (folder / _LOCAL_MANIFESTS).mkdir(parents=True, exist_ok=True)
        if _record(folder).get("url") != location.url:
            _write_record(folder, {"url": location.url})
            (folder / _LISTED).unlink(missing_ok=True)  # what it listed was of another
        _mirror_segments(segments, folder)
        _pull_analysis(segments, folder)
    except OSError as exc:
        raise StoreError(f"{location.url}: cannot copy the segments: {reason(exc)}") from None
    return folder


def _mirror_segments(segments: ObjectSegments, folder: Path) -> None:
    """The folder's segments become those of the complete batches, fetching only new ones
    and listing only the latest manifests, but at every `FULL_EVERY`-th pull."""
    manifests = folder / _LOCAL_MANIFESTS
    known = {f.name: orjson.loads(f.read_bytes()) for f in manifests.glob("[!.]*")}
    before, state = set(known), _read_json(folder / _LISTED)
    newest: str | None = state.get("newest")
    pulls = int(state.get("pulls", 0))
    full = pulls % FULL_EVERY == 0
    since = None if full else relist_from(newest, datetime.now(UTC))
    listed = segments.manifests(since, known)
    for batch in set(known) - before:
        _write_json(manifests / batch, known[batch])
    batches = known
    if full:  # batches gone from the store go here too; the rest are checked by size
        for batch in set(known) - set(listed.manifests):
            (manifests / batch).unlink(missing_ok=True)
        sizes = segments.sizes()
        batches = {
            batch: files
            for batch, files in known.items()
            if batch in listed.manifests and all(sizes.get(f["name"]) == f["size"] for f in files)
        }
    wanted = _fetch(segments, folder, batches)
    for local in folder.glob("*.parquet"):
        if local.name not in wanted:  # no longer in the store, or of no whole batch
            local.unlink(missing_ok=True)
    newest = max(filter(None, (newest, listed.newest)), default=None)
    _write_json(folder / _LISTED, {"newest": newest, "pulls": pulls + 1})


def _fetch(
    segments: ObjectSegments, folder: Path, batches: dict[str, list[dict[str, Any]]]
) -> dict[str, int]:
    """Copy what the folder lacks of `batches`; each segment of a whole batch -> its size.

    A batch one of whose objects is not there (at its size) is left out: its manifest was
    listed, so it stays incomplete, but it is tried again at the next pull. Objects are
    fetched in the manifest's order, exchanges last, as a writer puts them: a reader of the
    folder meanwhile sees a batch's exchanges only with the rest."""
    wanted: dict[str, int] = {}
    for _, files in sorted(batches.items()):
        try:
            for f in files:
                local = folder / f["name"]
                if not (local.exists() and local.stat().st_size == f["size"]):
                    segments.download(f["name"], local, f["size"])
        except FileNotFoundError:
            continue
        wanted.update((f["name"], f["size"]) for f in files)
    return wanted


def _pull_analysis(segments: ObjectSegments, folder: Path) -> None:
    """Fetch the analysis file when the store's changed since the last pull or push; one
    changed here and not pushed yet is kept otherwise."""
    local, record = folder / DERIVED_FILE, _record(folder)
    remote = segments.info(DERIVED_FILE)
    if remote.type != pafs.FileType.File:
        if record.get("remote") is not None:  # removed from the store since: so here too
            local.unlink(missing_ok=True)
            _write_record(folder, {"url": record["url"]})
        return
    seen = [remote.size, remote.mtime_ns]
    if record.get("remote") == seen and local.exists():
        return
    segments.download(DERIVED_FILE, local)
    _write_record(folder, {**record, "remote": seen, "local": _stamp(local)})


def push_analysis(file: Path) -> bool:
    """Put the analysis file `file` back where its folder was pulled from, if it was and the
    file changed since; whether it was put. StoreError (one line) when that fails."""
    folder, record = file.parent, _record(file.parent)
    location = pulled_from(folder)
    if location is None or not file.exists() or record.get("local") == _stamp(file):
        return False
    segments = ObjectSegments(location)
    try:
        segments.upload(file, DERIVED_FILE)
        remote = segments.info(DERIVED_FILE)
    except OSError as exc:
        raise StoreError(f"{location.url}: cannot store the analysis: {reason(exc)}") from None
    _write_record(
        folder, {**record, "remote": [remote.size, remote.mtime_ns], "local": _stamp(file)}
    )
    return True


def pulled_from(folder: Path) -> ObjectLocation | None:
    """Where in object storage the local `folder` was pulled from; None: it was not."""
    return ObjectLocation.of(_record(folder).get("url"))


def _stamp(file: Path) -> list[int]:
    found = file.stat()
    return [found.st_size, found.st_mtime_ns]


def _record(folder: Path) -> dict[str, Any]:
    return _read_json(folder / _PULLED)


def _write_record(folder: Path, record: dict[str, Any]) -> None:
    _write_json(folder / _PULLED, record)


def _read_json(file: Path) -> dict[str, Any]:
    return dict(orjson.loads(file.read_bytes())) if file.exists() else {}


def _write_json(file: Path, value: object) -> None:
    partial = file.with_name(f".{file.name}.partial")  # another pull may read the folder
    partial.write_bytes(orjson.dumps(value))
    os.replace(partial, file)
