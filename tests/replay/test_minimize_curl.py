"""Copy-as-curl: the command reads back as written and really sends the same request."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from twinsight.examples.tasks.serve import start
from twinsight.replay.curl import as_curl, printf_format
from twinsight.replay.shrink import Request

TITLE = Request(
    "POST",
    "/tasks",
    "q=it's%20here&x=[1]",
    (("Authorization", "Bearer a'b\"c $HOME"), ("Content-Type", "application/json")),
    json.dumps({"title": "é" * 3 + " `rm -rf` $(x)"}, ensure_ascii=False).encode(),
)


def option(words: list[str], name: str) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words) if word == name]


def test_a_text_body_and_headers_read_back_word_for_word() -> None:
    words = shlex.split(as_curl(TITLE, "http://127.0.0.1:8080/base/"))
    assert words[0] == "curl"
    assert "http://127.0.0.1:8080/base/tasks?q=it's%20here&x=[1]" in words
    assert option(words, "--request") == ["POST"]
    assert option(words, "--header") == [
        "Authorization: Bearer a'b\"c $HOME",
        "Content-Type: application/json",
        "User-Agent:",  # curl's own left out: the request had none
        "Accept:",
    ]
    assert option(words, "--data-raw") == [TITLE.body.decode()]


def test_a_binary_body_goes_through_printf() -> None:
    request = Request(
        "PUT", "/blob", "", (("Content-Type", "application/octet-stream"),), b"\x00%\\\xff"
    )
    command = as_curl(request, "http://h")
    printf, curl = command.split(" | ")
    assert shlex.split(printf) == ["printf", r"\000\045\134\377"]
    assert option(shlex.split(curl), "--data-binary") == ["@-"]


def test_a_body_without_a_type_gets_none_from_curl_and_a_bodiless_get_sends_none() -> None:
    words = shlex.split(as_curl(Request("POST", "/x", "", (), b"a=1"), "http://h"))
    assert "Content-Type:" in option(words, "--header")
    get = shlex.split(as_curl(Request("GET", "/x", "", (("Accept", "*/*"),)), "http://h"))
    assert "--data-raw" not in get
    assert "--data-binary" not in get


@given(st.binary(max_size=64))
def test_printf_formats_are_printable_ascii_without_a_stray_percent(body: bytes) -> None:
    text = printf_format(body)
    assert text.isascii()
    assert text.isprintable()
    assert "%" not in text


@pytest.fixture
async def echo() -> AsyncIterator[tuple[str, list[tuple[str, str, dict[str, str], bytes]]]]:
    received: list[tuple[str, str, dict[str, str], bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(
            (request.method, request.raw_path, dict(request.headers), await request.read())
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner, port = await start(app)
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl program")
@pytest.mark.parametrize(
    "body",
    [TITLE.body, b"\x00binary\xff%s\\n\n'", b"@/etc/passwd"],
    ids=["text", "binary", "at-sign"],
)
async def test_curl_sends_exactly_the_request(
    echo: tuple[str, list[tuple[str, str, dict[str, str], bytes]]], body: bytes
) -> None:
    url, received = echo
    request = Request(TITLE.method, TITLE.path, TITLE.query, TITLE.headers, body)
    shell = await asyncio.create_subprocess_exec(
        "sh", "-c", as_curl(request, url), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await shell.communicate()
    assert shell.returncode == 0, out
    [(method, path, headers, sent)] = received
    assert (method, path, sent) == ("POST", "/tasks?q=it's%20here&x=[1]", body)
    assert headers["Authorization"] == "Bearer a'b\"c $HOME"
    assert "User-Agent" not in headers
