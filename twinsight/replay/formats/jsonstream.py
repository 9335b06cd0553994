"""JSON bytes for ijson with long strings set aside in files and nesting kept shallow.

yajl, ijson's parser, holds a token that spans its reads and lexes it again from
the start each time more of it arrives: one 200 MB string took minutes and was
held whole, more than once. Here every string still unfinished past `LONG` bytes
reaches ijson as a marker, and its raw bytes (escapes and all) go to a file of
their own, read back later a piece at a time by `spilled_text`. Strings that end
sooner pass whole (at most `LONG` + one read, about 1 MiB).

ijson also keeps the path of every open container: a thin file nested 30,000
deep needs gigabytes. Nesting past `MAX_DEPTH` and numbers longer than
`MAX_NUMBER` characters end the read with `JsonLimit`.
"""

from __future__ import annotations

import codecs
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from itertools import accumulate
from operator import methodcaller
from pathlib import Path
from typing import BinaryIO

__all__ = ["LONG", "MAX_DEPTH", "MAX_NUMBER", "JsonLimit", "LongStrings", "spilled_text"]

LONG = 1 << 20
MAX_DEPTH = 512
MAX_NUMBER = 1024
CHUNK = 1 << 16

# A whole string, and the rest of one (up to its closing quote, or a lone final backslash).
# A string never starts after a backslash: without the look-behind, the search for strings
# would start again at every escaped quote of an unfinished one, to its end each time.
_STRING = re.compile(rb'(?<!\\)"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+', re.DOTALL)
_NUMBER_RUN = re.compile(rb"[-+.0-9eE]{%d}" % (MAX_NUMBER + 1))
_TOKEN = re.compile(
    rb'(?<!\\)"[^"\\]*+(?:\\.[^"\\]*+)*+"|[\[\]{}]|[-+.0-9eE]{%d}' % (MAX_NUMBER + 1),
    re.DOTALL,
)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKETS = bytes.maketrans(b"[{]}", b"(())")
_ROUNDS = 32
_STEP = [0] * 256
_STEP[ord("(")] = 1
_STEP[ord(")")] = -1


class JsonLimit(ValueError):
    """The JSON nests deeper or holds a longer number than a reader keeps in memory."""


class LongStrings:
    """A binary JSON stream for ijson (`read`) with strings longer than `long` replaced by
    markers; `spilled` finds the file holding the string a marker stands for.

    `folder` None: long strings are dropped (for a pass that only looks at the structure).
    """

    def __init__(
        self, source: BinaryIO, folder: Path | None, *, long: int = LONG, chunk: int = CHUNK
    ) -> None:
        self._source, self._folder, self._long, self._chunk = source, folder, long, chunk
        self._marker = f"\x00twinsight-spill-{secrets.token_hex(8)}-"
        self._pending = b""  # the start of a string not yet known to be long
        self._carry = b""  # a final backslash of a long string, its escape still to come
        self._spill: BinaryIO | None = None
        self._spilling = False
        self._count = 0
        self._live: list[int] = []
        self._used = -1
        self._depth = 0
        self._ready = b""
        self._at = 0
        self._eof = False
        self._failure: JsonLimit | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes of the rewritten stream (b"" at its end; JsonLimit where a limit
        is passed, after the bytes before that point)."""
        while self._at >= len(self._ready) and not self._eof and size != 0:
            self._ready, self._at = self._fill(), 0
        if self._at >= len(self._ready) and self._failure is not None:
            raise self._failure
        start = self._at
        self._at = len(self._ready) if size < 0 else min(len(self._ready), start + size)
        return self._ready[start : self._at]

    @property
    def marker(self) -> str:
        """How every marker of this stream starts (a NUL and a random part: no real text does)."""
        return self._marker

    @property
    def spills(self) -> int:
        """How many long strings were set aside so far (0: no marker can appear)."""
        return self._count

    def marked(self, texts: Iterable[str]) -> bool:
        """Whether any of `texts` is a marker of this stream (a long string set aside)."""
        return any(map(methodcaller("startswith", self._marker), texts))

    def spilled(self, value: object) -> Path | None:
        """The file holding the raw string `value` marks, if it is one of this stream's markers."""
        if type(value) is not str or not value.startswith(self._marker) or not self._folder:
            return None
        number = int(value[len(self._marker) :])
        self._used = max(self._used, number)
        return self._folder / str(number)

    def release(self) -> None:
        """Delete the spills up to the last one asked for (their entry is done with them)."""
        while self._live and self._live[0] <= self._used and self._folder is not None:
            (self._folder / str(self._live.pop(0))).unlink(missing_ok=True)

    def _fill(self) -> bytes:
        chunk = self._source.read(self._chunk)
        if not chunk:
            self._eof = True
        if self._spilling:
            return self._in_long(chunk)
        return self._structural(chunk)

    def _in_long(self, chunk: bytes) -> bytes:
        data = self._carry + chunk
        end = _match_end(_REST, data, 0)
        self._write(data[:end])
        self._carry = data[end:]
        if end < len(data) and data[end : end + 1] == b'"':
            self._end_spill()
            self._carry = b""
            return b'"' + self._structural(data[end + 1 :])
        if self._eof:
            self._end_spill()  # cut inside the string: ijson reports the file as cut
        return b""

    def _structural(self, chunk: bytes) -> bytes:
        data = self._pending + chunk
        self._pending = b""
        outside = _STRING.sub(b"", data)
        # Nothing matches after an unfinished string's quote: the rest is copied as is.
        quote = outside.find(b'"')
        start = len(data) if quote < 0 else len(data) - (len(outside) - quote)
        problem = self._check(outside if quote < 0 else outside[:quote])
        if problem is not None:  # the bytes up to the place, then the error
            self._failure, self._eof = JsonLimit(problem), True
            return data[: _limit_at(data[:start], self._depth)]
        if start == len(data) or self._eof:
            return data
        if len(data) - start <= self._long:
            self._pending = data[start:]
            return data[:start]
        return data[:start] + b'"' + self._start_spill(data, start + 1)

    def _start_spill(self, data: bytes, at: int) -> bytes:
        number, self._count = self._count, self._count + 1
        self._spilling = True
        if self._folder is not None:
            self._spill = (self._folder / str(number)).open("wb")
            self._live.append(number)
        end = _match_end(_REST, data, at)
        self._write(data[at:end])
        self._carry = data[end:]
        # The marker as JSON text; its random part keeps the file's own strings from posing as one.
        return json.dumps(self._marker + str(number)).encode()[1:-1]

    def _write(self, data: bytes) -> None:
        if self._spill is not None and data:
            self._spill.write(data)

    def _end_spill(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        self._spilling = False

    def _check(self, outside: bytes) -> str | None:
        """Which limit the bytes outside strings pass, if any; else the depth moves past them."""
        if _NUMBER_RUN.search(outside):
            return f"a number longer than {MAX_NUMBER} characters"
        brackets = outside.translate(_BRACKETS, _NOT_BRACKETS)
        # Pairs opened and closed within: what is left is closers, then openers.
        rounds = 0
        while b"()" in brackets and rounds < _ROUNDS:
            brackets, rounds = brackets.replace(b"()", b""), rounds + 1
        closers = brackets.count(b")")
        after = self._depth - closers + (len(brackets) - closers)
        unsure = b"()" in brackets or max(self._depth, after) + rounds > MAX_DEPTH
        if unsure and _deepest(brackets, self._depth) + rounds > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} deep"
        self._depth = after
        return None


def _deepest(brackets: bytes, depth: int) -> int:
    """The deepest nesting `brackets` ("(" opens, ")" closes) reach from `depth`."""
    return max(accumulate(map(_STEP.__getitem__, brackets), initial=depth))


def _limit_at(data: bytes, depth: int) -> int:
    """Where in `data` (outside strings, at `depth`) a limit is first passed; slow, but only
    ever run on a file that passes one."""
    for token in _TOKEN.finditer(data):
        first = token.group()[:1]
        if first == b'"':
            continue
        if first not in b"[]{}":
            return token.start()  # a number too long
        depth += 1 if first in b"[{" else -1
        if depth > MAX_DEPTH:
            return token.start()
    return len(data)


def _match_end(pattern: re.Pattern[bytes], data: bytes, at: int) -> int:
    found = pattern.match(data, at)
    return found.end() if found else at


_PIECE = 1 << 20
_PARTIAL = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?\Z")
_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\Z")


def spilled_text(path: Path, *, piece: int = _PIECE) -> Iterator[str]:
    """The text of the spilled JSON string at `path`, a piece at a time (ValueError if the
    string is not valid JSON)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    held = ""
    with path.open("rb") as file:
        while chunk := file.read(piece):
            raw = held + decoder.decode(chunk)
            cut = _cut(raw)
            held = raw[cut:]
            if cut:
                yield _unescape(raw[:cut])
    raw = held + decoder.decode(b"", final=True)
    if raw:
        yield _unescape(raw)


def _cut(raw: str) -> int:
    """Where `raw` may be split without breaking an escape or a surrogate pair."""
    cut = len(raw)
    for tail in (_PARTIAL, _HIGH_SURROGATE):  # "\ud83d\ude" is cut before both
        found = tail.search(raw, max(0, cut - 6), cut)
        if found is not None and _starts_escape(raw, found.start()):
            cut = found.start()
    return cut


def _starts_escape(raw: str, at: int) -> bool:
    """Whether the backslash at `at` starts an escape (an even run of them comes before)."""
    run = at
    while run > 0 and raw[run - 1] == "\\":
        run -= 1
    return (at - run) % 2 == 0


def _unescape(raw: str) -> str:
    text = json.loads(f'"{raw}"')
    if not isinstance(text, str):  # cannot happen for quoted input, but keep mypy honest
        raise ValueError("not a JSON string")
    return text
