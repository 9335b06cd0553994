"""A real S3 API server for tests: moto's server mode on a loopback port of its own."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs
import pytest
from moto.server import ThreadedMotoServer

__all__ = ["S3", "SECRET_KEY", "s3", "s3_server"]

SECRET_KEY = "test-secret-key-never-shown"
"""The secret access key the tests give: no output may show it."""


@dataclass(frozen=True)
class S3:
    """The server's endpoint, a fresh bucket on it, and the environment that reaches it."""

    endpoint: str
    bucket: str
    env: dict[str, str]

    def url(self, prefix: str = "run") -> str:
        return f"s3://{self.bucket}/{prefix}"

    def fs(self) -> pafs.S3FileSystem:
        return pafs.S3FileSystem(endpoint_override=self.endpoint, region="us-east-1")

    def names(self, prefix: str = "run", *, recursive: bool = False) -> list[str]:
        """The objects under `prefix`, by path below it."""
        chosen = pafs.FileSelector(f"{self.bucket}/{prefix}", recursive=recursive)
        found = self.fs().get_file_info(chosen)
        return sorted(
            i.path.removeprefix(f"{self.bucket}/{prefix}/")
            for i in found
            if i.type == pafs.FileType.File
        )

    def manifest(self, batch: str, prefix: str = "run") -> str:
        """The path of `batch`'s manifest (in whichever hour folder it was put)."""
        found = [
            n
            for n in self.names(f"{prefix}/batches", recursive=True)
            if n.endswith(f"/{batch}.json")
        ]
        assert len(found) == 1, found
        return f"{self.bucket}/{prefix}/batches/{found[0]}"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 API on 127.0.0.1 at an ephemeral port, for the module's tests."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3:
    """A fresh bucket, and this process's environment pointed at the server (credentials
    given, instance metadata off: nothing leaves loopback), the cache under `tmp_path`."""
    env = {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"twinsight-{uuid.uuid4().hex[:12]}"
    creator = pafs.S3FileSystem(
        endpoint_override=s3_server, region="us-east-1", allow_bucket_creation=True
    )
    creator.create_dir(bucket)
    return S3(s3_server, bucket, {**os.environ, **env})
