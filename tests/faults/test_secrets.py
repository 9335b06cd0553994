"""No secret reaches anything twinsight writes, with the default configuration.

A real `twinsight proxy` process sits in front of a legacy and a candidate that
both answer with secrets; clients send every default secret shape. Afterwards
every byte written is searched: the DuckDB file (and its WAL while the proxy
runs), a segment folder in a second run, the process's output, then
`twinsight analyze`'s output and derived tables. Stored tables are also read
back decoded, since DuckDB and Parquet compress what they keep.
"""

from __future__ import annotations

import asyncio
import gzip
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import duckdb
import orjson
import pyarrow.parquet as pq
import pytest
from aiohttp import web

from twinsight.examples.tasks.serve import start

CARD = "4111111111111111"
SPACED_CARD = "5555 5555 5555 4444"
CANARY = "canary-value-not-secret-7Hq2"  # stored as sent: proves the searches see stored data
MAX_BODY = 1 << 20

# One distinct value per place a secret travels, so a failure names the place. Its core is
# letters and digits, the same however a client or a proxy encodes the rest.
CORES = {
    name: f"zQ{name.replace('_', '')}{index}K"
    for index, name in enumerate(
        [
            *("authorization", "proxy_authorization", "cookie", "x_api_key", "api_key_header"),
            *("x_auth_token", "x_csrf_token", "x_amz_security_token"),
            *("q_token", "q_access_token", "q_refresh_token", "q_id_token", "q_api_key"),
            *("q_apikey", "q_key", "q_password", "q_passwd", "q_secret", "q_client_secret"),
            *("q_signature", "q_sig"),
            *("json_password", "json_nested_api_key", "json_token", "json_cvv", "json_ssn"),
            *("plain_password", "plain_access_token", "form_password", "form_client_secret"),
            *("multipart_password", "multipart_token", "multipart_file_key"),
            *("resp_access_token", "resp_refresh_token", "resp_ssn", "resp_api_key"),
            *("resp_set_cookie", "resp_auth_header", "resp_location_token", "resp_plain_id"),
            *("resp_gzip_secret", "resp_cut_password"),
        ]
    )
}
SECRETS = {name: f"{core}/p@ss w0rd!" for name, core in CORES.items()}


def secret(name: str) -> str:
    return SECRETS[name]


# ---------------------------------------------------------------- the upstreams


def make_upstream(name: str) -> web.Application:
    """A legacy or candidate that answers with secrets in every shape (the same on both)."""

    async def answer(request: web.Request) -> web.StreamResponse:
        await request.read()
        path = request.path
        if path == "/plain":
            body = {"id_token": secret("resp_plain_id"), "card": CARD, "by": name}
            return web.Response(body=orjson.dumps(body), content_type="text/plain")
        if path == "/gz":
            body = gzip.compress(orjson.dumps({"client_secret": secret("resp_gzip_secret")}))
            return web.Response(
                body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
            )
        if path == "/big":
            # Cut at max_body in the middle of the password's value.
            head = b'{"pad": "' + b"x" * (MAX_BODY - 40) + b'", "password": "'
            body = head + secret("resp_cut_password").encode() + b'"}'
            return web.Response(body=body, content_type="application/json")
        if path == "/note":
            return web.Response(text=f"card holder {SPACED_CARD} ok", content_type="text/plain")
        body = {
            "access_token": secret("resp_access_token"),
            "refresh_token": secret("resp_refresh_token"),
            "profile": {"ssn": secret("resp_ssn"), "keys": [{"apiKey": secret("resp_api_key")}]},
            "served_by": name,
        }
        response = web.Response(
            body=orjson.dumps(body),
            content_type="application/json",
            headers={
                "X-Auth-Token": secret("resp_auth_header"),
                "Location": f"/next?token={quote(secret('resp_location_token'))}&page=2",
                "X-Canary": CANARY,
            },
        )
        response.headers.add("Set-Cookie", f"sid={quote(secret('resp_set_cookie'))}; Path=/")
        return response

    app = web.Application(client_max_size=0)
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


# ---------------------------------------------------------------- the clients' requests


def secret_headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {quote(secret('authorization'))}",
        "Proxy-Authorization": f"Basic {quote(secret('proxy_authorization'))}",
        "Cookie": f"session={quote(secret('cookie'))}; theme=dark",
        "X-Api-Key": secret("x_api_key"),
        "Api-Key": secret("api_key_header"),
        "X-Auth-Token": secret("x_auth_token"),
        "X-Csrf-Token": secret("x_csrf_token"),
        "X-Amz-Security-Token": secret("x_amz_security_token"),
        "X-Canary": CANARY,
    }


async def send_everything(url: str) -> None:
    """One request per secret shape; every answer must come back from the legacy."""
    query = "&".join(
        f"{name[2:]}={quote_plus(value)}" for name, value in SECRETS.items() if name[:2] == "q_"
    )
    json_body = {
        "user": {
            "password": secret("json_password"),
            "profile": {"api_key": secret("json_nested_api_key")},
        },
        "items": [{"token": secret("json_token")}, {"payment": {"cvv": secret("json_cvv")}}],
        "ssn": secret("json_ssn"),
        "note": f"paid with {CARD}",
    }
    plain = {"password": secret("plain_password"), "access_token": secret("plain_access_token")}
    form = aiohttp.FormData()
    form.add_field("user", "al")
    form.add_field("password", secret("multipart_password"))
    form.add_field("token", secret("multipart_token"))
    form.add_field("api_key", secret("multipart_file_key").encode(), filename="key.txt")
    form.add_field("avatar", b"\x89PNG\0\0not a secret", filename="a.png", content_type="image/png")
    async with aiohttp.ClientSession(url, headers=secret_headers()) as session:
        requests: list[tuple[str, str, dict[str, Any]]] = [
            ("GET", f"/search?{query}&card={CARD}&q=shoes", {}),
            ("POST", "/json", {"json": json_body}),
            (
                "POST",
                "/plain",
                {"data": orjson.dumps(plain), "headers": {"Content-Type": "text/plain"}},
            ),
            (
                "POST",
                "/form",
                {
                    "data": {
                        "user": "al",
                        "password": secret("form_password"),
                        "client_secret": secret("form_client_secret"),
                    }
                },
            ),
            ("POST", "/upload", {"data": form}),
            (
                "POST",
                "/note",
                {"data": f"card {SPACED_CARD}", "headers": {"Content-Type": "text/plain"}},
            ),
            ("GET", "/gz", {}),
            ("GET", "/big", {}),
        ]
        for method, path, options in requests:
            async with session.request(method, path, allow_redirects=False, **options) as response:
                assert response.status == 200, (path, response.status)
                await response.read()


# ---------------------------------------------------------------- the proxy as a process


async def run_proxy(tmp_path: Path, store_flag: str, store: Path) -> tuple[str, list[bytes]]:
    """Capture everything once through `twinsight proxy`; (its output, raw files seen mid-run)."""
    runners = [await start(make_upstream(name)) for name in ("legacy", "candidate")]
    config = "[store]\nflush_interval_s = 0.05\n[capture]\nmirror_writes = true\n"
    (tmp_path / "twinsight.toml").write_text(config)
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "twinsight", "proxy", "--listen", "127.0.0.1:0"),
        *("--legacy", f"http://127.0.0.1:{runners[0][1]}"),
        *("--candidate", f"http://127.0.0.1:{runners[1][1]}", store_flag, str(store)),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stderr.readline(), 30)
        await send_everything(first.decode().split()[4].rstrip(","))
        await asyncio.sleep(0.5)  # a few flushes: the WAL and segments hold the exchanges
        mid_run = [f.read_bytes() for f in files_under(store)]
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for runner, _ in runners:
            await runner.cleanup()
    output = (first + err + out).decode()
    assert "stored 8" in output, output
    return output, mid_run


async def run_analyze(tmp_path: Path, store_flag: str, store: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "twinsight", "analyze", store_flag, str(store), "--json", "-"),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert out.count(b"\n") >= 8, out  # one line per exchange
    return (out + err).decode()


# ---------------------------------------------------------------- searching what was written


def files_under(store: Path) -> list[Path]:
    folder = store if store.is_dir() else store.parent
    return [f for f in sorted(folder.rglob("*")) if f.is_file()]


def flatten(value: Any) -> Iterator[bytes]:
    """Every leaf of `value` (through dicts' values, lists and tuples) as bytes."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        for item in value:
            yield from flatten(item)
    elif isinstance(value, bytes):
        yield value
    elif value is not None:
        yield str(value).encode()


def decoded(files: list[Path]) -> bytes:
    """Every value of every table in `files`, read back through DuckDB or Parquet."""
    out: list[bytes] = []
    for file in files:
        if file.suffix == ".parquet":
            out.extend(flatten(pq.read_table(file).to_pylist()))
        elif file.suffix == ".duckdb":
            with duckdb.connect(str(file), read_only=True) as db:
                tables = db.execute("SELECT table_name FROM duckdb_tables()").fetchall()
                for (table,) in tables:
                    out.extend(flatten(db.execute(f'SELECT * FROM "{table}"').fetchall()))
    return b"\n".join(out)


def forms(value: str) -> set[bytes]:
    """`value` as written, URL-encoded both ways, and JSON-escaped."""
    texts = {
        value,
        quote(value),
        quote_plus(value),
        quote(value, safe=""),
        orjson.dumps(value).decode()[1:-1],
    }
    return {text.encode() for text in texts}


NEEDLES = {
    **{name: forms(value) | {CORES[name].encode()} for name, value in SECRETS.items()},
    "card": forms(CARD),
    "spaced card": forms(SPACED_CARD) | forms(SPACED_CARD.replace(" ", "")),
    # The cut password shows its first characters only: none of them may stay.
    "cut password prefix": forms(secret("resp_cut_password")[:10]),
}


def leaks(where: str, data: bytes) -> list[str]:
    return [
        f"{name} in {where}" for name, needles in NEEDLES.items() if any(n in data for n in needles)
    ]


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("kind", ["duckdb", "segments"])
async def test_no_secret_reaches_anything_twinsight_writes(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store_flag, store = (
        ("--store", data / "run.duckdb") if kind == "duckdb" else ("--segments", data)
    )
    output, mid_run = await run_proxy(tmp_path, store_flag, store)
    found = leaks("proxy output", output.encode())
    found += leaks("files while capturing", b"\n".join(mid_run))
    captured = files_under(store)
    assert captured, "nothing written"
    found += leaks("files", b"\n".join(f.read_bytes() for f in captured))
    tables = decoded(captured)
    assert CANARY.encode() in tables  # the decoded search does see stored values
    assert b"<redacted:" in tables
    found += leaks("stored tables", tables)

    report = await run_analyze(tmp_path, store_flag, store)
    found += leaks("analyze output", report.encode())
    analysed = files_under(store)
    found += leaks("files after analyze", b"\n".join(f.read_bytes() for f in analysed))
    derived = decoded(analysed)
    assert len(derived) > len(tables)  # derived tables were written and read
    found += leaks("tables after analyze", derived)
    assert not found, "secrets found:\n" + "\n".join(found)
