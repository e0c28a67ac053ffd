"""The relay's one HTTP POST (webhook_post.py) against scripted servers on 127.0.0.1: what goes
on the wire, every way an answer can be framed, the bounds, and TLS verification.

The server below reads one request and writes the scripted bytes as they are, so the client
is tested on answers a well-behaved test server would never send.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared_gateway.relay.forwarder import Forwarder, UpstreamError
from shared_gateway.relay.webhook_post import (
    MAX_HEADER_BYTES,
    MalformedAnswer,
    Webhook,
    post,
)

HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "slackgate-relay/1"}


class Scripted:
    """Accepts connections on 127.0.0.1 (one per answer), reads each request whole, writes
    its answer in the given pieces (with `pause` seconds between them) and closes."""

    def __init__(
        self, *answers: list[bytes], pause: float = 0.0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.answers, self.pause, self.tls = list(answers), pause, tls
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(5)  # stops by itself when no client comes
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        for pieces in self.answers:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            try:
                if self.tls is not None:
                    connection = self.tls.wrap_socket(connection, server_side=True)
                connection.settimeout(5)
                self.requests.append(_read_request(connection))
                for piece in pieces:
                    connection.sendall(piece)
                    time.sleep(self.pause)
            except OSError:
                pass  # the client gave up (a timeout or a refused certificate): expected
            finally:
                connection.close()

    def __enter__(self) -> Scripted:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.thread.join(timeout=10)
        self.listener.close()


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += connection.recv(4096)
    return data


def webhook(port: int, https: bool = False, host: str = "127.0.0.1") -> Webhook:
    return Webhook(https, host, port, "/services/T000/B000/XXXX")


def send(server: Scripted, limit: int = 4096, timeout: float = 2.0) -> tuple[int, bytes]:
    answer = post(webhook(server.port), b'{"text":"hi"}', HEADERS, timeout=timeout, limit=limit)
    return answer.status, answer.body


def test_the_request_on_the_wire_is_exactly_this() -> None:
    with Scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]) as server:
        assert send(server) == (200, b"ok")
    assert server.requests == [
        b"POST /services/T000/B000/XXXX HTTP/1.1\r\n"
        + f"Host: 127.0.0.1:{server.port}\r\n".encode()
        + b"Content-Type: application/json; charset=utf-8\r\n"
        b"User-Agent: slackgate-relay/1\r\n"
        b"Content-Length: 13\r\n"
        b"Connection: close\r\n"
        b"\r\n"
        b'{"text":"hi"}'
    ]


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("pieces", "status", "body"),
    [
        # Content-Length, the head and body split anywhere.
        ([b"HTTP/1.1 200 OK\r\nConte", b"nt-Length: 2\r\n\r", b"\nok"], 200, b"ok"),
        # Chunked, with an extension and a trailer.
        ([CHUNKED + b"1;x=y\r\no\r\n1\r\nk\r\n0\r\nX: 1\r\n\r\n"], 200, b"ok"),
        # Neither: the body runs until the server closes.
        ([b"HTTP/1.0 200 OK\r\n\r\n", b"o", b"k"], 200, b"ok"),
        # Interim answers are skipped.
        (
            [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 OK\r\nContent-Length: 2\r\n\r\nok"],
            201,
            b"ok",
        ),
        # No body by definition.
        ([b"HTTP/1.1 204 No Content\r\n\r\n"], 204, b""),
    ],
    ids=["content-length", "chunked", "until-close", "interim", "no-content"],
)
def test_every_framing_of_an_answer(pieces: list[bytes], status: int, body: bytes) -> None:
    with Scripted(pieces) as server:
        assert send(server) == (status, body)


def test_headers_are_read_by_name_whatever_their_case() -> None:
    answer = b"HTTP/1.1 429 Too Many Requests\r\nretry-AFTER:  7 \r\nContent-Length: 0\r\n\r\n"
    with Scripted([answer]) as server:
        result = post(webhook(server.port), b"{}", HEADERS, timeout=2, limit=10)
    assert result.status == 429 and result.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("answer", "limit", "body"),
    [
        (b"HTTP/1.1 400 Bad\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100_000, 10, b"x" * 10),
        (
            b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n186A0\r\n" + b"x" * 100_000,
            10,
            b"x" * 10,
        ),
        (b"HTTP/1.1 400 Bad\r\n\r\n" + b"x" * 100_000, 10, b"x" * 10),
    ],
    ids=["content-length", "chunked", "until-close"],
)
def test_no_more_of_a_body_is_read_than_the_limit(answer: bytes, limit: int, body: bytes) -> None:
    with Scripted([answer]) as server:
        assert send(server, limit=limit) == (400, body)


@pytest.mark.parametrize(
    ("pieces", "problem"),
    [
        ([b"SSH-2.0-OpenSSH\r\n\r\n"], "not an HTTP/1.x status line"),
        ([b"HTTP/1.1 2000 OK\r\n\r\n"], "not three digits"),
        ([b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"], "without a name"),
        ([b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\n"], "not a number"),
        ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"], "not hexadecimal"),
        ([b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_HEADER_BYTES], "within 16384 bytes"),
        ([b"HTTP/1.1 200 OK\r\nContent-"], "closed the connection mid-answer"),
        ([b"HTTP/1.1 100 Continue\r\n\r\n" * 5], "interim (1xx) answers"),
    ],
    ids=["not-http", "status", "header", "length", "chunk", "huge-head", "cut", "interims"],
)
def test_a_malformed_answer_is_refused_with_what_is_wrong(
    pieces: list[bytes], problem: str
) -> None:
    with Scripted(pieces) as server, pytest.raises(MalformedAnswer, match=re.escape(problem)):
        send(server)


def test_a_server_that_drips_bytes_cannot_stretch_the_attempt() -> None:
    drip = [b"HTTP/1.1 200 OK\r\n"] + [b"X: y\r\n"] * 40  # each piece well within the timeout
    with Scripted(drip, pause=0.05) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            send(server, timeout=0.5)
        assert time.monotonic() - started < 0.9  # the whole answer, not each read


def test_the_forwarder_retries_a_malformed_answer_and_names_it() -> None:
    bad = [b"garbage\r\n\r\n"]
    with Scripted(*[bad] * 4) as server:
        forwarder = Forwarder(deadline_seconds=5, sleep=lambda _: None)
        with pytest.raises(UpstreamError, match=r"connection failed \(MalformedAnswer\)"):
            forwarder.send(f"http://127.0.0.1:{server.port}/hook", {"text": "hi"})
    assert len(server.requests) == 4  # every attempt, each refused for what it got


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8/a b",
        "http://127.0.0.1:8/a\r\nX-Injected: 1",
        "http://127.0.0.1:8/caf\u00e9",
        "http://127.0.0.1:99999/hook",
        "ftp://127.0.0.1/hook",
    ],
)
def test_a_webhook_url_that_cannot_be_written_as_a_request_line_is_refused(url: str) -> None:
    with pytest.raises(UpstreamError, match="webhook") as caught:
        Forwarder(deadline_seconds=1).send(url, {"text": "hi"})
    assert url not in str(caught.value)  # the webhook is a credential


def test_the_host_header_names_the_port_only_when_it_is_not_the_default() -> None:
    assert Webhook(True, "hooks.slack.com", None, "/x").host_header == "hooks.slack.com"
    assert Webhook(True, "hooks.slack.com", 443, "/x").host_header == "hooks.slack.com"
    assert Webhook(False, "hooks.slack.com", 443, "/x").host_header == "hooks.slack.com:443"
    assert Webhook(False, "::1", 8080, "/x").host_header == "[::1]:8080"


# TLS: a CA and a server certificate made here for 127.0.0.1 and localhost.


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    names: list[x509.GeneralName] | None = None,  # None: a CA
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=names is None, path_length=None), critical=True)
    )
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "slackgate test CA")])
    local = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificates = {
        "ca": _certificate("slackgate test CA", ca_key, ca_name, ca_key),
        "cert": _certificate("localhost", server_key, ca_name, ca_key, local),
        "other": _certificate("hooks", server_key, ca_name, ca_key, [x509.DNSName("hooks.test")]),
    }
    files = {name: folder / f"{name}.pem" for name in certificates}
    for name, certificate in certificates.items():
        files[name].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files["key"] = folder / "server.key"
    files["key"].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@contextmanager
def tls_server(
    tls_files: dict[str, Path], *answers: list[bytes], certificate: str = "cert"
) -> Iterator[Scripted]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files[certificate], tls_files["key"])
    with Scripted(*answers, tls=context) as server:
        yield server


OK = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]


def test_tls_to_a_server_the_context_trusts(tls_files: dict[str, Path]) -> None:
    trusting = ssl.create_default_context(cafile=str(tls_files["ca"]))
    with tls_server(tls_files, OK) as server:
        answer = post(webhook(server.port, https=True), b"{}", HEADERS, 2, 10, tls=trusting)
    assert (answer.status, answer.body) == (200, b"ok")


def test_tls_refuses_a_certificate_from_an_unknown_ca(tls_files: dict[str, Path]) -> None:
    # The system's CAs, as the relay's context has them: the test CA is not one of them.
    with tls_server(tls_files, OK) as server, pytest.raises(ssl.SSLCertVerificationError):
        post(
            webhook(server.port, https=True),
            b"{}",
            HEADERS,
            2,
            10,
            tls=ssl.create_default_context(),
        )
    assert server.requests == []  # nothing was sent


def test_tls_refuses_a_certificate_for_another_host(tls_files: dict[str, Path]) -> None:
    trusting = ssl.create_default_context(cafile=str(tls_files["ca"]))
    # Signed by the trusted CA, but for hooks.test, not for the 127.0.0.1 connected to.
    with (
        tls_server(tls_files, OK, certificate="other") as server,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        post(webhook(server.port, https=True), b"{}", HEADERS, 2, 10, tls=trusting)
    assert server.requests == []


def test_tls_to_a_host_name_checks_the_certificate_for_that_name(
    tls_files: dict[str, Path],
) -> None:
    # The host goes to the resolver and to ssl as ASCII bytes (no IDNA codec to import): the
    # name is still resolved, sent as SNI and matched against the certificate.
    trusting = ssl.create_default_context(cafile=str(tls_files["ca"]))
    with tls_server(tls_files, OK) as server:
        answer = post(webhook(server.port, True, "localhost"), b"{}", HEADERS, 2, 10, tls=trusting)
    assert answer.status == 200
    with (
        tls_server(tls_files, OK, certificate="other") as server,
        pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"),
    ):
        post(webhook(server.port, True, "localhost"), b"{}", HEADERS, 2, 10, tls=trusting)
