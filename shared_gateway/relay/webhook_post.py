"""One HTTP/1.1 POST to a webhook and its answer, on `socket` and `ssl` alone.

Why not http.client: importing it costs more than the relay's whole import at a cold start
(it pulls in the email package to parse headers; about 25-35 ms against 11 ms for socket and
ssl, fresh interpreter, `bench/relay_bench.py`), and the relay needs one request of one
fixed shape. The request carries exactly the headers below; the answer is read within
bounds — a status line and at most MAX_HEADER_BYTES of headers, then at most `limit` bytes of
body (by Content-Length, chunked, or until the server closes) — and every read waits no
longer than what is left of the attempt's timeout, so a server that drips bytes cannot
stretch an attempt. TLS is the caller's context: certificate and host name verified.
"""

from __future__ import annotations

import time

from .lean_typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import socket
    import ssl

MAX_HEADER_BYTES = 16_384
MAX_INTERIM_ANSWERS = 4  # 1xx answers skipped before the real one
_READ_SIZE = 4096


class MalformedAnswer(Exception):
    """The server's answer is not HTTP/1.x within the bounds above."""


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case; a repeated header keeps its last value
    body: bytes


class Webhook(NamedTuple):
    https: bool
    host: str
    port: int | None
    path: str  # with its query

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.https else 80
        return host if self.port in (None, default) else f"{host}:{self.port}"


def request_bytes(webhook: Webhook, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {webhook.path} HTTP/1.1", f"Host: {webhook.host_header}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("ascii") + body


def post(
    webhook: Webhook,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    limit: int,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """POST `body` and read the answer. Raises OSError (TimeoutError past `timeout` in all)
    or MalformedAnswer."""
    import socket  # on the first delivery: a cold start that refuses a message never needs it

    deadline = time.monotonic() + timeout
    port = webhook.port or (443 if webhook.https else 80)
    # The host as bytes (it is ASCII): given a str, both the resolver and ssl encode it with
    # the IDNA codec, whose import (stringprep, a regex) costs a cold start a millisecond.
    host = webhook.host.encode("ascii")
    connection = socket.create_connection((host, port), timeout)
    try:
        if tls is not None:  # the handshake under the same timeout; `connection` becomes TLS
            connection = tls.wrap_socket(connection, server_hostname=host)
        connection.sendall(request_bytes(webhook, body, headers))
        return _Reader(connection, deadline).answer(limit)
    finally:
        connection.close()


class _Reader:
    """Reads one answer from a connection, never past the deadline."""

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        self.connection, self.deadline = connection, deadline
        self.buffer = b""
        self.closed = False

    def _fill(self) -> bool:
        """Reads more into the buffer; False once the server has closed."""
        if self.closed:
            return False
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no full answer within the attempt's timeout")
        self.connection.settimeout(left)
        data = self.connection.recv(_READ_SIZE)
        if not data:
            self.closed = True
        self.buffer += data
        return bool(data)

    def _until(self, marker: bytes, bound: int) -> bytes:
        """The bytes up to `marker` (consumed with it), within `bound` bytes."""
        while True:
            end = self.buffer.find(marker)
            if end >= 0:
                taken, self.buffer = self.buffer[:end], self.buffer[end + len(marker) :]
                return taken
            if len(self.buffer) > bound:
                raise MalformedAnswer(f"no {marker!r} within {bound} bytes")
            if not self._fill():
                raise MalformedAnswer("the server closed the connection mid-answer")

    def _exactly(self, count: int) -> bytes:
        while len(self.buffer) < count and self._fill():
            pass
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def answer(self, limit: int) -> Answer:
        for _ in range(MAX_INTERIM_ANSWERS + 1):
            status, headers = self._head()
            if not 100 <= status < 200:
                return Answer(status, headers, self._body(status, headers, limit))
        raise MalformedAnswer(f"more than {MAX_INTERIM_ANSWERS} interim (1xx) answers")

    def _head(self) -> tuple[int, dict[str, str]]:
        head = self._until(b"\r\n\r\n", MAX_HEADER_BYTES).decode("latin-1")
        status_line, *lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise MalformedAnswer("not an HTTP/1.x status line")
        if len(parts[1]) != 3:
            raise MalformedAnswer("the status is not three digits")
        headers = {}
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise MalformedAnswer("a header line without a name")
            headers[name.lower()] = value.strip()
        return int(parts[1]), headers

    def _body(self, status: int, headers: dict[str, str], limit: int) -> bytes:
        if status in (204, 304):
            return b""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._chunked(limit)
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise MalformedAnswer("Content-Length is not a number")
            return self._exactly(min(int(length), limit))
        return self._exactly(limit)  # until the server closes, as HTTP/1.1 allows

    def _chunked(self, limit: int) -> bytes:
        body = b""
        while len(body) < limit:
            size_line = self._until(b"\r\n", 64).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise MalformedAnswer("a chunk size is not hexadecimal") from None
            if size == 0:
                break
            wanted = min(size, limit - len(body))
            body += self._exactly(wanted)
            if wanted < size:  # the rest is past the limit and never read
                break
            self._until(b"\r\n", 2)
        return body[:limit]
