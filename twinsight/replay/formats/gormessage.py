"""One GoReplay payload read a piece at a time: its header line, HTTP head and body.

The head (up to the blank line) is kept, at most `MAX_HEAD` bytes of it; the
body goes straight into a `BodyAccumulator`, through an incremental chunked
decoder when `Transfer-Encoding: chunked` says so. What is wrong with the message
is kept and raised (ValueError) when it is asked for, as the whole-payload
reader did: a response to a replay (type 3) is never asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from twinsight.records import Body, BodyAccumulator, Headers

__all__ = ["HTTP_VERSIONS", "MAX_HEAD", "Dechunker", "Payload", "PayloadReader"]

HTTP_VERSIONS = (b"HTTP/1.0", b"HTTP/1.1")
MAX_HEAD = 1 << 20
_MAX_SIZE_LINE = 4096
_END_OF_HEAD = b"\r\n\r\n"


@dataclass(frozen=True)
class Payload:
    """A payload: its GoReplay header line, and its HTTP message or why it cannot be read."""

    line: bytes
    start: str = ""
    headers: Headers = ()
    body: Body = field(default_factory=Body)
    problem: str | None = None

    def message(self) -> tuple[str, Headers, Body]:
        """(start line, headers, body) of the HTTP message (ValueError if it is broken)."""
        if self.problem is not None:
            raise ValueError(self.problem)
        return self.start, self.headers, self.body


class PayloadReader:
    """Takes a payload's bytes piece by piece (`add`) and gives the `payload()` they make."""

    def __init__(self, max_body: int) -> None:
        self._head = bytearray()
        self._line: bytes | None = None
        self._start = ""
        self._headers: Headers = ()
        self._body: BodyAccumulator | None = None
        self._dechunker: Dechunker | None = None
        self._problem: str | None = None
        self._max_body = max_body
        self.blank = True  # nothing but white space so far

    def add(self, piece: bytes) -> None:
        """The next bytes of the payload."""
        if self.blank and piece.strip():
            self.blank = False
        if self._problem is not None:
            return
        if self._body is None:
            self._in_head(piece)
        elif self._dechunker is not None:
            self._problem = self._dechunker.add(piece)
        else:
            self._body.add(piece)

    def payload(self) -> Payload:
        """The payload, once all of it was added."""
        if self._line is None:  # no end of line: the header line is all there is
            self._line, self._head = bytes(self._head[:MAX_HEAD]), bytearray()
        problem = self._problem
        if problem is None and self._body is None:
            problem = "no end of headers"
        if problem is None and self._dechunker is not None:
            problem = self._dechunker.end()
        if problem is not None or self._body is None:
            return Payload(self._line, problem=problem)
        return Payload(self._line, self._start, self._headers, self._body.body())

    def _in_head(self, piece: bytes) -> None:
        searched = max(0, len(self._head) - 3)
        self._head += piece
        if self._line is None:
            newline = self._head.find(b"\n")
            if newline < 0:
                if len(self._head) > MAX_HEAD:
                    self._line, self._problem = bytes(self._head[:MAX_HEAD]), "no end of headers"
                return
            self._line = bytes(self._head[:newline])
            del self._head[: newline + 1]
            searched = 0
        end = self._head.find(_END_OF_HEAD, searched)
        if end < 0:
            if len(self._head) > MAX_HEAD:
                self._problem = f"no end of headers in the first {MAX_HEAD >> 10} KiB"
            return
        head, rest = bytes(self._head[:end]), bytes(self._head[end + len(_END_OF_HEAD) :])
        self._head = bytearray()
        self._begin_body(head)
        if self._problem is None:
            self.add(rest)

    def _begin_body(self, head: bytes) -> None:
        start, *lines = head.decode("latin-1").split("\r\n")
        headers = []
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                self._problem = f"bad header line {line[:60]!r}"
                return
            headers.append((name.strip(), value.strip()))
        self._body = BodyAccumulator(self._max_body)
        if any(n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in headers):
            self._dechunker = Dechunker(self._body)
            headers = [(n, v) for n, v in headers if n.lower() != "transfer-encoding"]
        self._start, self._headers = start, tuple(headers)


class Dechunker:
    """Decodes a chunked body (RFC 9112 section 7.1) piece by piece into `body`."""

    def __init__(self, body: BodyAccumulator) -> None:
        self._body = body
        self._line = bytearray()  # a chunk-size line being read
        self._left = 0  # bytes of the current chunk still to come
        self._skip = 0  # the CRLF after a chunk
        self._done = False

    def add(self, piece: bytes) -> str | None:
        """Take the next bytes; what is wrong with them, if anything."""
        at = 0
        while at < len(piece) and not self._done:
            if self._skip:
                taken = min(self._skip, len(piece) - at)
                self._skip -= taken
                at += taken
            elif self._left:
                taken = min(self._left, len(piece) - at)
                self._body.add(piece[at : at + taken])
                self._left -= taken
                at += taken
                self._skip = 0 if self._left else 2
            else:
                at, problem = self._size_line(piece, at)
                if problem is not None:
                    return problem
        return None

    def end(self) -> str | None:
        """What is wrong once the body is over: a body cut before its last chunk."""
        return None if self._done else "chunked body is cut"

    def _size_line(self, piece: bytes, at: int) -> tuple[int, str | None]:
        end = piece.find(b"\n", at)
        self._line += piece[at : len(piece) if end < 0 else end + 1]
        if len(self._line) > _MAX_SIZE_LINE:
            return len(piece), "bad chunk size: a line longer than 4 KiB"
        if end < 0:
            return len(piece), None
        if not self._line.endswith(b"\r\n"):
            return end + 1, f"bad chunk size {bytes(self._line[:20])!r}"
        text = bytes(self._line[:-2]).split(b";", 1)[0].strip()
        self._line = bytearray()
        if not text or len(text) > 16 or text.strip(b"0123456789abcdefABCDEF"):
            return end + 1, f"bad chunk size {text[:20]!r}"
        self._left = int(text, 16)
        self._done = self._left == 0
        return end + 1, None
