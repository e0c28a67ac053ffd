"""Fixtures for the local relay and the Slack stand-in: real servers on 127.0.0.1, port 0.

Requests are signed with botocore's own SigV4 signer, so the verifier is checked against
the reference implementation rather than against itself.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from shared_gateway.local.credentials import Principal, parse_credentials
from shared_gateway.local.server import LocalRelayServer, make_server

PAYMENTS_ARN = "arn:aws:sts::111122223333:assumed-role/slackgate-payments-nightly/fn"
SEARCH_ARN = "arn:aws:sts::111122223333:assumed-role/slackgate-search-indexer/fn"

CREDENTIALS_TOML = f"""
[[principals]]
access_key_id = "LOCALPAYMENTSNIGHTLY"
secret_access_key = "local-secret-payments"
role_arn = "{PAYMENTS_ARN}"

[[principals]]
access_key_id = "LOCALSEARCHINDEXER"
secret_access_key = "local-secret-search"
role_arn = "{SEARCH_ARN}"
"""

PAYMENTS_KEY = ("LOCALPAYMENTSNIGHTLY", "local-secret-payments")
SEARCH_KEY = ("LOCALSEARCHINDEXER", "local-secret-search")


@dataclass(frozen=True)
class Signed:
    """A request signed by botocore, ready to send or to verify."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def target(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def sign(
    method: str,
    url: str,
    body: bytes | str = b"",
    *,
    key: tuple[str, str] = PAYMENTS_KEY,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    service: str = "execute-api",
    region: str = "us-east-1",
) -> Signed:
    data = body.encode() if isinstance(body, str) else body
    request = AWSRequest(method=method, url=url, data=data, headers=dict(headers or {}))
    if params:
        request.params = dict(params)
    SigV4Auth(Credentials(key[0], key[1], token), service, region).add_auth(request)
    prepared = request.prepare()
    return Signed(method, prepared.url, dict(prepared.headers.items()), prepared.body or b"")


def send(signed: Signed) -> tuple[int, dict[str, str], bytes]:
    """Sends over http.client (which adds the Host header botocore signed)."""
    parts = urlsplit(signed.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(signed.method, signed.target, body=signed.body, headers=signed.headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def json_body(raw: bytes) -> Any:
    return json.loads(raw.decode())


class RecordingHandler:
    """A fake relay handler: records each (event, context) and echoes the event back."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], Any]] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.calls.append((event, context))
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
            "body": json.dumps({"ok": True, "event": event}),
        }

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for event, _ in self.calls]


@pytest.fixture
def principals() -> dict[str, Principal]:
    return parse_credentials(CREDENTIALS_TOML, "test-credentials.toml")


@pytest.fixture
def recording_handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def log_lines() -> list[str]:
    return []


@pytest.fixture
def relay(
    principals: dict[str, Principal], recording_handler: RecordingHandler, log_lines: list[str]
) -> Iterator[LocalRelayServer]:
    server = make_server(
        principals=principals, handler=recording_handler, port=0, log=log_lines.append
    )
    with server:
        yield server
