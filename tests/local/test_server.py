"""The local relay server: API Gateway's routing, body cap and SigV4 check in front of a handler,
the REST proxy event it builds, the credentials file, and the `relay` command."""

from __future__ import annotations

import base64
import http.client
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from shared_gateway.__main__ import main as cli_main
from shared_gateway.local.credentials import (
    DEFAULT_CREDENTIALS_PATH,
    CredentialsError,
    Principal,
    load_credentials,
    parse_credentials,
)
from shared_gateway.local.server import (
    MAX_BODY_BYTES,
    LocalRelayServer,
    make_server,
    match_route,
)
from shared_gateway.local.sigv4 import INVALID_TOKEN, MISSING_TOKEN, SIGNATURE_MISMATCH
from shared_gateway.local.slack_standin import SlackStandin
from tests.local.conftest import (
    PAYMENTS_ARN,
    PAYMENTS_KEY,
    SEARCH_ARN,
    SEARCH_KEY,
    RecordingHandler,
    json_body,
    send,
    sign,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
BODY = '{"channel": "payments-alerts", "text": "nightly run finished"}'


def post(
    server: LocalRelayServer, path: str = "/v1/messages", body: bytes | str = BODY, **kwargs: Any
) -> tuple[int, dict[str, str], bytes]:
    return send(sign("POST", server.url + path, body, **kwargs))


def raw_request(
    server: LocalRelayServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# A signed request reaches the handler as API Gateway's REST proxy event.


def test_a_signed_request_reaches_the_handler_as_a_rest_proxy_event(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    status, headers, raw = post(relay, headers={"Content-Type": "application/json"})

    assert status == 200
    assert headers["X-Echo"] == "yes"  # the handler's headers reach the client
    assert "x-amzn-RequestId" in headers
    [(event, context)] = recording_handler.calls
    assert json_body(raw)["event"] == event  # and so does its body

    assert event["resource"] == "/v1/messages"
    assert event["path"] == "/v1/messages"
    assert event["httpMethod"] == "POST"
    assert event["body"] == BODY
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert "Authorization" in event["headers"]  # API Gateway passes it on, as in AWS

    ctx = event["requestContext"]
    assert ctx["resourcePath"] == "/v1/messages"
    assert ctx["httpMethod"] == "POST"
    assert ctx["stage"] == "local"
    assert ctx["path"] == "/local/v1/messages"
    assert ctx["apiId"] == "local"
    assert ctx["accountId"] == "000000000000"
    assert abs(ctx["requestTimeEpoch"] / 1000 - time.time()) < 60
    assert ctx["requestId"] == headers["x-amzn-RequestId"]

    identity = ctx["identity"]
    assert identity["userArn"] == PAYMENTS_ARN
    assert identity["accessKey"] == "LOCALPAYMENTSNIGHTLY"
    assert identity["accountId"] == "111122223333"
    assert identity["sourceIp"] == "127.0.0.1"
    assert identity["caller"] == identity["user"]
    assert identity["caller"].startswith("AROA")
    assert identity["caller"].endswith(":fn")

    assert context.aws_request_id == ctx["requestId"]
    assert context.function_name == "slackgate-relay-local"
    assert context.invoked_function_arn.endswith(":function:slackgate-relay-local")
    assert context.memory_limit_in_mb == "256"
    assert 0 < context.get_remaining_time_in_millis() <= 15_000


def test_each_principal_gets_its_own_role(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    post(relay, key=PAYMENTS_KEY)
    post(relay, key=SEARCH_KEY)
    arns = [e["requestContext"]["identity"]["userArn"] for e in recording_handler.events]
    assert arns == [PAYMENTS_ARN, SEARCH_ARN]


@pytest.mark.parametrize(
    ("path", "stage"), [("/local/v1/messages", "local"), ("/prod/v1/messages", "prod")]
)
def test_a_stage_segment_in_the_path_is_accepted(
    relay: LocalRelayServer, recording_handler: RecordingHandler, path: str, stage: str
) -> None:
    status, _, _ = post(relay, path)
    assert status == 200
    [event] = recording_handler.events
    assert event["path"] == "/v1/messages"
    assert event["requestContext"]["stage"] == stage
    assert event["requestContext"]["path"] == f"/{stage}/v1/messages"


def test_query_strings_and_repeated_headers_are_in_the_event(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    status, _, _ = post(relay, "/v1/messages?b=2&a=1&a=x%20y")
    assert status == 200
    [event] = recording_handler.events
    assert event["queryStringParameters"] == {"a": "x y", "b": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "x y"], "b": ["2"]}


def test_a_body_that_is_not_utf8_arrives_base64_encoded(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    raw = b"\xff\xfe not utf-8"
    assert post(relay, body=raw)[0] == 200
    [event] = recording_handler.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_an_empty_body_arrives_as_none(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    assert post(relay, body=b"")[0] == 200
    assert recording_handler.events[0]["body"] is None


def test_a_keep_alive_connection_serves_several_requests(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    try:
        for _ in range(3):
            signed = sign("POST", relay.messages_url, BODY)
            connection.request("POST", signed.target, body=signed.body, headers=signed.headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 200
    finally:
        connection.close()
    assert len(recording_handler.calls) == 3


def test_one_log_line_per_request_names_the_caller(
    relay: LocalRelayServer, log_lines: list[str]
) -> None:
    post(relay)
    raw_request(relay, "POST", "/v1/messages", b"{}")
    assert len(log_lines) == 2
    assert log_lines[0].startswith("POST /v1/messages 200 ")
    assert log_lines[0].endswith(PAYMENTS_ARN)
    assert log_lines[1].startswith("POST /v1/messages 403 ")
    assert "not signed" in log_lines[1]


def test_the_server_listens_on_loopback_only(relay: LocalRelayServer) -> None:
    assert relay.server_address[0] == "127.0.0.1"
    assert relay.url == f"http://127.0.0.1:{relay.port}"


# Refused before the handler: API Gateway's answers, and the handler is never called.


def test_an_unsigned_request_is_a_missing_token(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    status, headers, raw = raw_request(relay, "POST", "/v1/messages", BODY.encode())
    assert (status, json_body(raw)) == (403, {"message": MISSING_TOKEN})
    assert headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
    assert headers["Content-Type"] == "application/json"
    assert recording_handler.calls == []


def test_a_wrong_secret_is_a_signature_mismatch(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    status, headers, raw = post(relay, key=(PAYMENTS_KEY[0], "guessed"))
    assert status == 403
    assert json_body(raw)["message"].startswith(SIGNATURE_MISMATCH)
    assert headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert recording_handler.calls == []


def test_an_unknown_access_key_is_an_invalid_token_that_says_which_key_and_why(
    relay: LocalRelayServer, recording_handler: RecordingHandler, log_lines: list[str]
) -> None:
    status, headers, raw = post(relay, key=("LOCALSTRANGER", "whatever"))
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "UnrecognizedClientException"
    assert json_body(raw) == {
        "message": f"{INVALID_TOKEN} The local relay does not know access key 'LOCALSTRANGER': "
        "it is not in the local relay's credentials file."
    }
    assert "unknown access key id 'LOCALSTRANGER'" in log_lines[-1]
    assert recording_handler.calls == []


def test_who_made_the_keys_decides_the_unknown_key_hint(principals: dict[str, Principal]) -> None:
    hint = "this key is not one the local relay made; run make local"
    with make_server(principals=principals, log=lambda line: None, unknown_key_hint=hint) as server:
        status, _, raw = post(server, key=("LOCALSTALE", "from-an-earlier-run"))
    assert status == 403
    assert json_body(raw)["message"].endswith(f"'LOCALSTALE': {hint}.")


# Each way a signature can fail has its own answer, so a client can name the cause.
SIGNATURE_FAILURES = {
    "unknown key": (
        {"key": ("LOCALSTRANGER", "x")},
        0,
        "UnrecognizedClientException",
        INVALID_TOKEN,
    ),
    "wrong secret": (
        {"key": (PAYMENTS_KEY[0], "guessed")},
        0,
        "InvalidSignatureException",
        SIGNATURE_MISMATCH,
    ),
    "clock behind": ({}, 600, "InvalidSignatureException", "Signature expired: "),
    "clock ahead": ({}, -600, "InvalidSignatureException", "Signature not yet current: "),
    "wrong region": (
        {"region": "ap-south-1"},
        0,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'ap-south-1'.",
    ),
    "wrong service": (
        {"service": "lambda"},
        0,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'.",
    ),
}


def test_each_signature_failure_has_its_own_diagnosis(principals: dict[str, Principal]) -> None:
    answers = {}
    for name, (signing, skew, error_type, start) in SIGNATURE_FAILURES.items():
        server = make_server(
            principals=principals,
            region="us-east-1",
            clock=lambda skew=skew: time.time() + skew,
            log=lambda line: None,
        )
        with server:
            status, headers, raw = post(server, **signing)
        message = json_body(raw)["message"]
        assert (status, headers["x-amzn-ErrorType"]) == (403, error_type), name
        assert message.startswith(start), (name, message)
        answers[name] = message
    assert len(set(answers.values())) == len(answers)


def test_an_expired_signature_is_refused(
    principals: dict[str, Principal], recording_handler: RecordingHandler
) -> None:
    # The relay's clock is 10 minutes ahead of the signer's.
    server = make_server(
        principals=principals,
        handler=recording_handler,
        clock=lambda: time.time() + 600,
        log=lambda line: None,
    )
    with server:
        status, _, raw = post(server)
    assert status == 403
    assert json_body(raw)["message"].startswith("Signature expired: ")
    assert recording_handler.calls == []


def test_a_tampered_body_is_refused(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    signed = sign("POST", relay.messages_url, BODY)
    tampered = BODY.replace("finished", "FAILED!!").encode()
    status, _, raw = raw_request(relay, "POST", signed.target, tampered, signed.headers)
    assert status == 403
    assert json_body(raw)["message"].startswith(SIGNATURE_MISMATCH)
    assert recording_handler.calls == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/other"),
        ("POST", "/"),
        ("POST", "/v1/messages/"),
        ("POST", "/a/b/v1/messages"),
        ("GET", "/v1/messages"),
        ("PUT", "/v1/messages"),
        ("DELETE", "/local/v1/messages"),
    ],
)
def test_an_unknown_route_or_method_is_a_missing_token_even_when_signed(
    relay: LocalRelayServer, recording_handler: RecordingHandler, method: str, path: str
) -> None:
    status, headers, raw = send(sign(method, relay.url + path, BODY))
    assert (status, json_body(raw)) == (403, {"message": MISSING_TOKEN})
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert recording_handler.calls == []


def test_an_oversized_body_is_refused_before_it_is_read(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    try:
        connection.putrequest("POST", "/v1/messages")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()  # the body never follows: the answer must not wait for it
        response = connection.getresponse()
        assert response.status == 413
        assert json_body(response.read()) == {"message": "Request Too Long"}
    finally:
        connection.close()
    assert recording_handler.calls == []


def test_an_oversized_body_that_is_sent_gets_its_answer(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    status, _, _ = post(relay, body=b"x" * (MAX_BODY_BYTES + 1))
    assert status == 413
    assert recording_handler.calls == []


def test_a_body_of_exactly_the_limit_passes(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    assert post(relay, body=b"x" * MAX_BODY_BYTES)[0] == 200
    assert len(recording_handler.calls) == 1


def test_a_chunked_body_is_refused(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    try:
        connection.request("POST", "/v1/messages", body=iter([b"{}"]), encode_chunked=True)
        assert connection.getresponse().status == 411
    finally:
        connection.close()
    assert recording_handler.calls == []


# Nothing in the request can claim an identity.


def test_headers_query_and_body_cannot_change_the_caller(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    forged = "arn:aws:sts::111122223333:assumed-role/slackgate-search-indexer/fn"
    body = json.dumps(
        {
            "channel": "search-reports",
            "text": "hi",
            "userArn": forged,
            "requestContext": {"identity": {"userArn": forged, "accessKey": SEARCH_KEY[0]}},
        }
    )
    status, _, _ = post(
        relay,
        "/v1/messages?" + urlencode({"userArn": forged, "requestContext.identity.userArn": forged}),
        body,
        key=PAYMENTS_KEY,
        headers={
            "X-Amz-User-Arn": forged,
            "userArn": forged,
            "X-Forwarded-For": "10.0.0.1",
            "X-Amz-Security-Token": "claims-to-be-search",
        },
    )
    assert status == 200
    [event] = recording_handler.events
    identity = event["requestContext"]["identity"]
    assert identity["userArn"] == PAYMENTS_ARN
    assert identity["accessKey"] == PAYMENTS_KEY[0]
    assert identity["sourceIp"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"  # the gateway's, not the client's
    assert event["queryStringParameters"]["userArn"] == forged  # passed on, but only as data


def test_a_signed_request_replayed_with_another_key_id_is_refused(
    relay: LocalRelayServer, recording_handler: RecordingHandler
) -> None:
    signed = sign("POST", relay.messages_url, BODY, key=SEARCH_KEY)
    headers = dict(signed.headers)
    headers["Authorization"] = headers["Authorization"].replace(SEARCH_KEY[0], PAYMENTS_KEY[0])
    status, _, _ = raw_request(relay, "POST", signed.target, signed.body, headers)
    assert status == 403
    assert recording_handler.calls == []


# The handler failing looks like Lambda failing behind API Gateway: 502.


@pytest.mark.parametrize(
    "handler_result",
    [
        "raise",
        None,
        {"statusCode": "200", "body": "{}"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
    ],
)
def test_a_failing_or_malformed_handler_is_a_502(
    principals: dict[str, Principal], handler_result: Any
) -> None:
    def handler(event: dict[str, Any], context: Any) -> Any:
        if handler_result == "raise":
            raise RuntimeError("boom")
        return handler_result

    lines: list[str] = []
    with make_server(principals=principals, handler=handler, log=lines.append) as server:
        status, _, raw = post(server)
    assert (status, json_body(raw)) == (502, {"message": "Internal server error"})
    assert " 502 " in lines[0]


def test_a_handler_past_its_timeout_is_a_502(principals: dict[str, Principal]) -> None:
    def slow_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(1)
        return {"statusCode": 200, "body": "{}"}

    lines: list[str] = []
    server = make_server(
        principals=principals, handler=slow_handler, function_timeout=0.2, log=lines.append
    )
    with server:
        assert post(server)[0] == 502
    assert "timeout" in lines[0]


def test_multi_value_and_base64_responses_pass_through(principals: dict[str, Principal]) -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "statusCode": 429,
            "headers": {"Retry-After": "3"},
            "multiValueHeaders": {"X-Many": ["a", "b"]},
            "body": base64.b64encode(b'{"ok": false}').decode(),
            "isBase64Encoded": True,
        }

    with make_server(principals=principals, handler=handler, log=lambda line: None) as server:
        status, headers, raw = post(server)
    assert status == 429
    assert headers["Retry-After"] == "3"
    assert headers["X-Many"] in ("a, b", "b")  # http.client folds repeated headers
    assert json_body(raw) == {"ok": False}


def test_a_port_in_use_raises_os_error(
    relay: LocalRelayServer, principals: dict[str, Principal]
) -> None:
    with pytest.raises(OSError):
        make_server(principals=principals, handler=RecordingHandler(), port=relay.port)


def test_match_route() -> None:
    assert match_route("POST", "/v1/messages") == ""
    assert match_route("POST", "/dev/v1/messages") == "dev"
    assert match_route("POST", "/v1%2Fmessages") is None
    assert match_route("POST", "//v1/messages") is None
    assert match_route("GET", "/v1/messages") is None


# The real relay handler behind the local gateway, posting to the Slack stand-in.


def require_the_real_relay_handler() -> None:
    """The `relay` command and the end-to-end test run the real handler, owned elsewhere."""
    try:
        importlib.import_module("shared_gateway.relay.handler")
    except ImportError as exc:
        pytest.skip(f"shared_gateway.relay.handler does not import: {exc}")


def test_end_to_end_with_the_real_relay_handler(
    principals: dict[str, Principal], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_the_real_relay_handler()
    with SlackStandin() as slack:
        registry = tmp_path / "registry.toml"
        registry.write_text(registry_toml(slack.url), encoding="utf-8")
        monkeypatch.setenv("SLACKGATE_CONFIG", str(registry))
        outsider = Principal(
            "LOCALOUTSIDER",
            "local-secret-outsider",
            "arn:aws:sts::111122223333:assumed-role/some-other-role/fn",
        )
        all_principals = {**principals, outsider.access_key_id: outsider}
        with make_server(principals=all_principals, log=lambda line: None) as server:
            status, _, raw = post(server)
            assert (status, json_body(raw)["ok"]) == (200, True)
            status, _, raw = post(server, key=("LOCALOUTSIDER", "local-secret-outsider"))
            assert (status, json_body(raw)["error"]) == (403, "unknown_caller")
        assert [p["text"] for p in slack.payloads] == ["nightly run finished"]


def registry_toml(slack_url: str) -> str:
    return f"""
[teams.payments]
channels = ["payments-alerts"]
link_domains = ["example.com"]

[channels.payments-alerts]
url = "{slack_url}"
"""


# The credentials file.


def test_the_example_credentials_file_is_valid_and_has_no_real_looking_keys() -> None:
    principals = load_credentials(DEFAULT_CREDENTIALS_PATH)
    assert DEFAULT_CREDENTIALS_PATH.name == "credentials.example.toml"
    assert "LOCALPAYMENTSNIGHTLY" in principals
    for key_id, principal in principals.items():
        assert not key_id.startswith(("AKIA", "ASIA"))
        assert principal.account_id == "000000000000"
    assert principals["LOCALPAYMENTSNIGHTLY"].role_name == "slackgate-payments-nightly"


def test_a_principal_repr_hides_its_secret() -> None:
    principal = load_credentials()["LOCALPAYMENTSNIGHTLY"]
    assert principal.secret_access_key not in repr(principal)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("", "principals: missing or empty"),
        ("[[principals]]\naccess_key_id = 'LOCALA'\nrole_arn = 'x'", "missing secret_access_key"),
        (
            "[[principals]]\naccess_key_id = 'LOCALA'\nsecret_access_key = 's'\nrole_arn = "
            "'arn:aws:iam::000000000000:role/slackgate-a-b'",
            "not an assumed-role session ARN",
        ),
        (
            "[[principals]]\naccess_key_id = 'LOCALA'\nsecret_access_key = 's'\nrole_arn = "
            "'arn:aws:sts::0000:assumed-role/slackgate-a-b/local'",
            "<12-digit account>",
        ),
        (
            "[[principals]]\naccess_key_id = 'AKIAABCDEFGHIJKLMNOP'\nsecret_access_key = 's'\n"
            "role_arn = 'arn:aws:sts::000000000000:assumed-role/slackgate-a-b/local'",
            "looks like a real AWS access key id",
        ),
        (
            "[[principals]]\naccess_key_id = 'LOCAL/A'\nsecret_access_key = 's'\n"
            "role_arn = 'arn:aws:sts::000000000000:assumed-role/slackgate-a-b/local'",
            "principals[0] (access_key_id 'LOCAL/A').access_key_id: use 4-128",
        ),
        (
            "[[principals]]\naccess_key_id = 'LOCALA'\nsecret_access_key = 's'\n"
            "role_arn = 'arn:aws:sts::000000000000:assumed-role/slackgate-a-b/local'\nteam = 'a'",
            "principals[0] (access_key_id 'LOCALA').team: unknown key",
        ),
        ("[[principals]]\naccess_key_id = 'LOCALA'\n[[principals", "not valid TOML"),
        ("principal = 1", "principal: unknown top-level key"),
    ],
)
def test_credentials_problems_are_named(toml: str, expected: str) -> None:
    with pytest.raises(CredentialsError) as caught:
        parse_credentials(toml, "creds.toml")
    assert expected in str(caught.value)
    assert "creds.toml" in str(caught.value)


def test_a_duplicate_access_key_is_refused() -> None:
    entry = (
        "[[principals]]\naccess_key_id = 'LOCALA'\nsecret_access_key = 's'\n"
        "role_arn = 'arn:aws:sts::000000000000:assumed-role/slackgate-a-b/local'\n"
    )
    with pytest.raises(CredentialsError) as caught:
        parse_credentials(entry * 2, "creds.toml")
    assert "principals[1]: access_key_id 'LOCALA' is already used by principals[0]" in str(
        caught.value
    )


def test_every_problem_is_reported_at_once() -> None:
    toml = "[[principals]]\naccess_key_id = 'LOCALA'\n[[principals]]\nsecret_access_key = 's'\n"
    with pytest.raises(CredentialsError) as caught:
        parse_credentials(toml, "creds.toml")
    assert len(caught.value.problems) == 4


def test_a_missing_credentials_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="file not found"):
        load_credentials(tmp_path / "nope.toml")


# The `relay` command.


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(registry_toml("http://127.0.0.1:9/services/T000/B000/XXXX"), "utf-8")
    return path


@pytest.fixture
def run_relay() -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared_gateway", "relay", *args],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def ready_line(proc: subprocess.Popen[str], timeout: float = 20) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"the relay printed nothing within {timeout} s")
    return proc.stdout.readline()


def base_url(line: str) -> str:
    return next(word for word in line.split() if word.startswith("http://127.0.0.1:"))


def test_the_relay_command_prints_its_url_serves_and_stops_by_itself(
    run_relay: Any, registry_file: Path
) -> None:
    require_the_real_relay_handler()
    proc = run_relay("--registry", str(registry_file), "--port", "0", "--max-seconds", "4")
    line = ready_line(proc)
    assert line.startswith("slackgate local relay on http://127.0.0.1:")
    assert "POST /v1/messages" in line
    assert "3 principal(s)" in line  # the example credentials file
    url = base_url(line)

    status, _, raw = send(sign("POST", url + "/v1/messages", BODY, key=("LOCALOUTSIDER", "x")))
    assert status == 403
    assert json_body(raw)["message"].startswith(SIGNATURE_MISMATCH)
    outsider = ("LOCALOUTSIDER", "local-secret-outsider")
    status, _, raw = send(sign("POST", url + "/v1/messages", BODY, key=outsider))
    assert (status, json_body(raw)["error"]) == (403, "unknown_caller")  # the real relay answered

    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0
    request_lines = [x for x in stderr.splitlines() if x.startswith("POST /v1/messages ")]
    assert len(request_lines) == 2
    assert "stopped (--max-seconds)" in stderr


def test_the_relay_command_stops_cleanly_on_sigterm(run_relay: Any, registry_file: Path) -> None:
    require_the_real_relay_handler()
    proc = run_relay("--registry", str(registry_file), "--port", "0")
    ready_line(proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "stopped (SIGTERM)" in stderr


def test_the_relay_command_refuses_an_invalid_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "registry.toml"
    registry.write_text("[teams.payments]\nchannels = []\n", "utf-8")
    assert cli_main(["relay", "--registry", str(registry), "--max-seconds", "1"]) == 2
    assert "invalid registry" in capsys.readouterr().err


def test_the_relay_command_refuses_invalid_credentials(
    registry_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = tmp_path / "creds.toml"
    credentials.write_text("[[principals]]\naccess_key_id = 'LOCALA'\n", "utf-8")
    argv = ["relay", "--registry", str(registry_file), "--credentials", str(credentials)]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "invalid credentials file" in err
    assert "missing secret_access_key" in err


def test_the_relay_command_reports_a_port_in_use(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["relay", "--registry", str(registry_file), "--port", str(port)]
        assert cli_main([*argv, "--max-seconds", "1"]) == 2
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def test_the_relay_command_in_process_stops_after_max_seconds(
    registry_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_the_real_relay_handler()
    monkeypatch.setenv("SLACKGATE_CONFIG", "restored after the test")
    argv = ["relay", "--registry", str(registry_file), "--port", "0", "--max-seconds", "0.3"]
    assert cli_main(argv) == 0
    assert "slackgate local relay on http://127.0.0.1:" in capsys.readouterr().out
    assert os.environ["SLACKGATE_CONFIG"] == str(registry_file.resolve())


def test_the_relay_command_refuses_channels_that_would_read_secrets_manager(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The deployable example registry: its channels name Secrets Manager secrets.
    deployable = REPO_ROOT / "shared_gateway" / "registry.toml"
    assert cli_main(["relay", "--registry", str(deployable), "--max-seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert "payments-alerts, search-reports use `secret`" in err
    assert "registry.local.toml" in err


def test_the_local_example_registry_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    require_the_real_relay_handler()
    local = REPO_ROOT / "shared_gateway" / "registry.local.toml"
    argv = ["relay", "--registry", str(local), "--port", "0", "--max-seconds", "0.3"]
    assert cli_main(argv) == 0
    assert "2 team(s)" in capsys.readouterr().out
