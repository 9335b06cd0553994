"""Segments in object storage: `s3://bucket/prefix` (AWS S3 or an S3-compatible store).

Writing (`ObjectSegments.put_batch`): each segment is one whole object under its final
name, `PREFIX/TABLE-WRITER-SEQ.parquet` as in a folder (an object appears complete or not at
all), exchanges last; then the batch's manifest, `PREFIX/batches/WRITER-SEQ.json`, naming
each object and its size. A batch exists for readers only when its manifest does and every
object it names is there at that size: all or nothing. A failed batch's objects are removed,
manifest first (best effort: what is left is named by no manifest, or by one whose objects
are incomplete, and is never read). A retried batch is written under a new sequence number;
readers keep one row per key, as for a folder.

Reading (`pull`): the committed batches are copied into a local folder that mirrors the
prefix (objects never change once written, so a later pull fetches only new ones), with the
analysis file `analysis.duckdb` if the prefix holds one; that folder is then read as any
segment folder. `push_analysis` puts the analysis file back, whole, each time analysis
writes it (`Derived.write`): the folder remembers where it was pulled from.

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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from twinsight.store.derived import DERIVED_FILE
from twinsight.store.files import StoreError

__all__ = [
    "MANIFESTS",
    "ObjectLocation",
    "ObjectSegments",
    "cache_folder",
    "pull",
    "push_analysis",
]

MANIFESTS = "batches"
"""Where, under the prefix, each committed batch's manifest is."""
_PULLED = ".pulled.json"  # in the local folder: its URL, the analysis file as last synced
_LOCAL_MANIFESTS = ".batches"
_URL = re.compile(r"^s3:/{1,2}(?P<bucket>[^/]*)(?:/(?P<prefix>.*))?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")


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

    def put_batch(self, batch: str, tables: Sequence[tuple[str, pa.Table]]) -> None:
        """Write one batch (`tables` in the order given, each `TABLE-BATCH.parquet`), then
        its manifest; a failure removes what the attempt wrote and raises OSError."""
        manifest = self.location.key(f"{MANIFESTS}/{batch}.json")
        written: list[str] = []
        try:
            files = []
            for name, table in tables:
                file = f"{name}-{batch}.parquet"
                data = _parquet(table)
                written.append(self.location.key(file))
                self._put(written[-1], data)
                files.append({"name": file, "size": data.size})
            written.insert(0, manifest)
            self._put(manifest, pa.py_buffer(orjson.dumps({"files": files})))
        except BaseException as exc:
            self._remove(written)
            if isinstance(exc, OSError):
                raise OSError(f"{self.location.url}: {reason(exc)}") from None
            raise

    def committed(self, known: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
        """Each segment of a complete batch -> its size. `known` holds manifests read before
        (batch -> files), and gains those read now."""
        listing = {name: i.size for name, i in self._listing(self.location.key("")).items()}
        present = set()
        for info in self._listing(self.location.key(MANIFESTS)).values():
            batch = info.base_name.removesuffix(".json")
            if batch not in known and info.base_name.endswith(".json"):
                files = _manifest(self._get(info.path))
                if files is None:
                    continue  # not one a writer made (those are written whole): no batch
                known[batch] = files
            present.add(batch)
        found: dict[str, int] = {}
        for batch in present:
            files = known[batch]
            if all(listing.get(f["name"]) == f["size"] for f in files):
                found.update((f["name"], f["size"]) for f in files)
        return found

    def _listing(self, where: str) -> dict[str, pafs.FileInfo]:
        """The objects directly under `where`, by name."""
        chosen = pafs.FileSelector(where, allow_not_found=True, recursive=False)
        found = self.fs.get_file_info(chosen)
        return {i.base_name: i for i in found if i.type == pafs.FileType.File}

    def info(self, name: str) -> pafs.FileInfo:
        """What the store holds as `name` under the prefix."""
        return self.fs.get_file_info(self.location.key(name))

    def download(self, name: str, out: Path) -> None:
        """Copy the object `name` under the prefix to `out`, whole (written aside, renamed)."""
        partial = out.with_name(f".{out.name}.partial")
        with self.fs.open_input_stream(self.location.key(name)) as source, partial.open("wb") as f:
            while chunk := source.read(1 << 20):
                f.write(chunk)
        os.replace(partial, out)

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
        _mirror_segments(segments, folder)
        _pull_analysis(segments, folder)
    except OSError as exc:
        raise StoreError(f"{location.url}: cannot copy the segments: {reason(exc)}") from None
    return folder


def _mirror_segments(segments: ObjectSegments, folder: Path) -> None:
    """The folder's segments become those of the complete batches, fetching only new ones."""
    manifests = folder / _LOCAL_MANIFESTS
    known = {f.name: orjson.loads(f.read_bytes()) for f in manifests.glob("[!.]*")}
    before = set(known)
    wanted = segments.committed(known)
    for batch in set(known) - before:
        partial = manifests / f".{batch}.partial"  # another pull may read the folder
        partial.write_bytes(orjson.dumps(known[batch]))
        os.replace(partial, manifests / batch)
    for name, size in sorted(wanted.items()):
        local = folder / name
        if not (local.exists() and local.stat().st_size == size):
            segments.download(name, local)
    for local in folder.glob("*.parquet"):
        if local.name not in wanted:  # no longer in the store (removed there)
            local.unlink(missing_ok=True)


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
    location = ObjectLocation.of(record.get("url"))
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


def _stamp(file: Path) -> list[int]:
    found = file.stat()
    return [found.st_size, found.st_mtime_ns]


def _record(folder: Path) -> dict[str, Any]:
    file = folder / _PULLED
    return dict(orjson.loads(file.read_bytes())) if file.exists() else {}


def _write_record(folder: Path, record: dict[str, Any]) -> None:
    partial = folder / f"{_PULLED}.partial"
    partial.write_bytes(orjson.dumps(record))
    os.replace(partial, folder / _PULLED)


def reason(exc: BaseException) -> str:
    """Why an object-store call failed, in a few words, without any credential's value."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "NETWORK_CONNECTION" in text or "curlCode" in text:
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        where = f" at {_without_userinfo(endpoint)}" if endpoint else ""
        detail = text.split("curlCode: ", 1)[-1].split(";", 1)[0]
        text = f"cannot reach the object store{where} ({detail.split(', ', 1)[-1]})"
    elif "NO_SUCH_BUCKET" in text:
        text = "no such bucket"
    elif "ACCESS_DENIED" in text or "AccessDenied" in text or "403" in text:
        text = "access denied: check the credentials (AWS_ACCESS_KEY_ID, ...) and the bucket policy"
    for name in _SECRETS:
        value = os.environ.get(name)
        if value and len(value) >= 8:  # a shorter one is no secret, and would mangle words
            text = text.replace(value, f"<{name}>")
    return text


def _without_userinfo(url: str) -> str:
    """`url` without any user:password@ it was written with."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
