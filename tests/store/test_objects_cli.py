"""`--segments s3://bucket/prefix` from the command line, against a real S3 API server: a
real `twinsight sink` writes there; store info, analyze, report and ready read it, and
analysis gives what it gives over a local copy of the same objects."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import orjson
import pyarrow.fs as pafs

from tests.cli.run import twinsight
from twinsight.examples.tasks.auth import make_token
from twinsight.examples.tasks.candidate.app import make_app as make_candidate
from twinsight.examples.tasks.legacy.app import make_app as make_legacy
from twinsight.examples.tasks.serve import start

from .objectstore import S3, SECRET_KEY, s3, s3_server

__all__ = ["s3", "s3_server"]  # fixtures, used by name

_URL = re.compile(r"http://127\.0\.0\.1:\d+")


async def run_sink(s3: S3, log: Path, requests: int) -> None:
    """`twinsight sink` between the example services, writing segments to the bucket, with
    `requests` GETs mirrored to it; stopped by SIGTERM (it flushes first)."""
    legacy, legacy_port = await start(make_legacy())
    candidate, candidate_port = await start(make_candidate())
    argv = [sys.executable, "-m", "twinsight", "sink", "--listen", "127.0.0.1:0"]
    argv += ["--admin", "127.0.0.1:0", "--segments", s3.url()]
    argv += ["--legacy", f"http://127.0.0.1:{legacy_port}"]
    argv += ["--candidate", f"http://127.0.0.1:{candidate_port}"]
    with log.open("wb") as out:
        sink = await asyncio.create_subprocess_exec(*argv, stdout=out, stderr=out, env=s3.env)
    try:
        listening, admin = await _listening(sink, log)
        headers = {"Authorization": f"Bearer {make_token('alice')}"}
        async with aiohttp.ClientSession(headers=headers) as client:
            for i in range(requests):
                path = "/tasks" if i % 2 else f"/tasks/{i}"
                async with client.get(f"{listening}{path}") as answer:
                    assert answer.status == 202, await answer.text()
        await _stored(admin, requests)  # every mirror answered and flushed at least once
        sink.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(sink.wait(), 30) == 0, log.read_text()
    finally:
        if sink.returncode is None:
            sink.kill()
            await sink.wait()
        await legacy.cleanup()
        await candidate.cleanup()


async def _listening(process: asyncio.subprocess.Process, log: Path) -> tuple[str, str]:
    """Where the sink listens, and its admin endpoint."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.returncode is None:
        for line in log.read_text(errors="replace").splitlines():
            if "listening on" in line and len(found := _URL.findall(line)) == 2:
                return found[0], found[1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the sink did not start:\n{log.read_text(errors='replace')}")


async def _stored(admin: str, count: int) -> None:
    """Until the sink's metrics say `count` exchanges are stored: polled, not slept on, since
    how long the mirrors and the flush after them take varies with the machine's load."""
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            async with client.get(f"{admin}/metrics") as answer:
                text = await answer.text()
            if re.search(rf"^twinsight_stored_total {count}\.0$", text, re.MULTILINE):
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the sink did not store {count} exchanges:\n{text}")


def copied(s3: S3, folder: Path) -> Path:
    """The bucket's segment objects copied into `folder`, as a plain sync tool would."""
    folder.mkdir()
    fs = s3.fs()
    for name in s3.names():
        if name.endswith(".parquet"):
            pafs.copy_files(
                f"{s3.bucket}/run/{name}",
                str(folder / name),
                source_filesystem=fs,
                destination_filesystem=pafs.LocalFileSystem(),
            )
    return folder


def verdicts(output: str) -> dict[str, tuple[str, str]]:
    lines = [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {row["id"]: (row["endpoint"], row["classification"]) for row in lines}


async def test_a_sink_writes_to_the_bucket_and_every_reader_reads_it(
    s3: S3, tmp_path: Path
) -> None:
    await run_sink(s3, tmp_path / "sink.log", requests=12)
    assert SECRET_KEY not in (tmp_path / "sink.log").read_text()

    # Readers that write nothing the others read run at once, each start-up overlapping
    # the others; store info pulls into a cache of its own, so no two pull into one folder.
    local_folder = copied(s3, tmp_path / "local")
    info, remote, local = at_once(
        (("store", "info", "--segments", s3.url()), cached(s3, tmp_path / "info-cache")),
        (("analyze", "--segments", s3.url(), "--json", "-"), s3.env),
        (("analyze", "--segments", str(local_folder), "--json", "-"), s3.env),
    )
    assert info.returncode == 0, info.stderr
    assert "12 exchanges" in info.stdout
    assert "by source: sink 12" in info.stdout
    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    assert len(verdicts(remote.stdout)) == 12
    assert verdicts(remote.stdout) == verdicts(local.stdout)
    assert "analysis.duckdb" in s3.names()  # analysis went back to the bucket

    # Each on a machine of its own, so all three start together: the analysis came along
    # from the bucket to each, not from a cache another filled.
    out = tmp_path / "report"
    again, report, ready = at_once(
        (("analyze", "--segments", s3.url()), cached(s3, tmp_path / "another-machine")),
        (("report", "--segments", s3.url(), "--out", str(out)), cached(s3, tmp_path / "m2")),
        (("ready", "--segments", s3.url(), "--junit", f"{out}.xml"), cached(s3, tmp_path / "m3")),
    )
    assert again.returncode == 0, again.stderr
    assert "0 analysed now, 12 kept from the last run" in again.stdout  # it came along
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report.html").exists()
    assert ready.returncode == 4, ready.stdout + ready.stderr  # 12 exchanges settle nothing
    assert "INCONCLUSIVE" in ready.stdout + ready.stderr
    assert Path(f"{out}.xml").exists()


def cached(s3: S3, folder: Path) -> dict[str, str]:
    """The environment reaching the bucket, with its cache in `folder` (another machine's)."""
    return {**s3.env, "XDG_CACHE_HOME": str(folder)}


def at_once(
    *runs: tuple[tuple[str, ...], dict[str, str]],
) -> list[subprocess.CompletedProcess[str]]:
    """`twinsight ARGS` in ENV for each (ARGS, ENV) of `runs`, all started together."""
    with ThreadPoolExecutor(len(runs)) as pool:
        return list(pool.map(lambda run: twinsight(*run[0], env=run[1]), runs))


def test_a_missing_bucket_an_unreachable_store_and_a_bad_url_are_one_line(s3: S3) -> None:
    env = {**s3.env, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    cases = {
        "s3://no-such-bucket-here/run": "no such bucket",
        "gs://bucket/run": "give a folder or an s3://BUCKET/PREFIX URL",
        "s3:///run": "write the segments URL as s3://BUCKET/PREFIX",
    }
    commands = (["store", "info"], ["analyze"], ["ready"])
    for url, said in cases.items():
        for command in commands if url.endswith("here/run") else commands[:1]:
            done = twinsight(*command, "--segments", url, env=env)
            assert done.returncode == 2, (command, url, done.stdout, done.stderr)
            assert said in re.sub(r"[\s│]+", " ", done.stderr), done.stderr  # usage boxes wrap
            assert "Traceback" not in done.stderr
    away = {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    done = twinsight("store", "info", "--segments", s3.url(), env=away)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "cannot reach the object store at http://127.0.0.1:9" in done.stderr
    assert SECRET_KEY not in done.stderr + done.stdout
    targets = ["--legacy", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9"]
    sink = twinsight(
        "sink",
        "--listen",
        "127.0.0.1:0",
        *targets,
        "--segments",
        "s3://no-such-bucket-here/run",
        env=env,
    )
    assert sink.returncode == 2, sink.stderr
    assert "no such bucket" in sink.stderr
    assert os.environ.get("AWS_SECRET_ACCESS_KEY") == SECRET_KEY  # the fixture's, not a real one
