"""Fixtures: a stand-in for the slackgate relay on 127.0.0.1, isolated AWS settings, and one
synthesis of the stack (with the compliance checks) shared by the infrastructure tests.

`relay` is a stand-in that accepts every message unless told otherwise (for the transport:
signing, timeouts, refusals of any kind); `local_relay` is the relay's real policy with this
team's registry (slackgate_local/), which refuses what the deployed relay would refuse."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# The CDK's Node.js runtime would print an end-of-life banner on Node 20.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TEST_ACCESS_KEY = "TESTACCESSKEYID"
TEST_SECRET_KEY = "test-secret-key"
TEST_REGION = "{{ cookiecutter.aws_region }}"
DEFAULT_CHANNEL = "{{ cookiecutter.default_channel }}"


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def signature_problem(request: ReceivedRequest, host: str) -> str | None:
    """Verifies the SigV4 signature the way API Gateway would; None when it is valid."""
    authorization = request.headers.get("Authorization", "")
    prefix = f"AWS4-HMAC-SHA256 Credential={TEST_ACCESS_KEY}/"
    if not authorization.startswith(prefix):
        return "Missing Authentication Token"
    fields = dict(part.strip().split("=", 1) for part in authorization[17:].split(","))
    scope = fields["Credential"].split("/")
    if scope[2:] != [TEST_REGION, "execute-api", "aws4_request"]:
        return f"Credential should be scoped to {TEST_REGION}/execute-api"
    signed = fields["SignedHeaders"].split(";")
    headers = {name: value for name, value in request.headers.items() if name.lower() in signed}
    if "host" not in signed or "x-amz-date" not in signed:
        return "host and x-amz-date must be signed"
    expected = AWSRequest(
        method=request.method,
        url=f"http://{host}{request.path}",
        data=request.body,
        headers=headers,
    )
    expected.context["timestamp"] = request.headers["X-Amz-Date"]
    auth = SigV4Auth(Credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY), "execute-api", TEST_REGION)
    canonical = auth.canonical_request(expected)
    signature = auth.signature(auth.string_to_sign(expected, canonical), expected)
    if signature != fields["Signature"]:
        return "The request signature we calculated does not match the signature you provided."
    return None


@dataclass
class RelayStandIn:
    """Answers like the relay: checks the signature, records each request."""

    requests: list[ReceivedRequest] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    url: str = ""

    def reply(self, status: int, answer: dict[str, Any], **headers: str) -> None:
        self.status, self.answer, self.extra_headers = status, answer, headers


def _serve(relay: RelayStandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            request = ReceivedRequest("POST", self.path, dict(self.headers), body)
            relay.requests.append(request)
            if relay.delay_seconds:
                threading.Event().wait(relay.delay_seconds)
            problem = signature_problem(request, self.headers["Host"])
            if problem:
                status, answer = 403, {"message": problem}
            elif relay.answer is not None:
                status, answer = relay.status, relay.answer
            else:
                channel = request.json.get("channel")
                status, answer = 200, {"ok": True, "id": "msg-0001", "channel": channel}
            reply = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in relay.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the client gave up (timeout tests)

        def log_message(self, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test credentials only: no profile, config file or proxy of the developer's leaks in."""
    from {{ cookiecutter.package_name }} import slack

    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)  # boto3's; Lambda sets both
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("SLACKGATE_CHANNEL", DEFAULT_CHANNEL)
    for name in ("SLACKGATE_READS", "SLACKGATE_WRITES"):  # the tests declare their own
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(slack, "_session", None)


@pytest.fixture
def relay(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[RelayStandIn]:
    stand_in = RelayStandIn()
    server = _serve(stand_in)
    host, port = server.server_address[:2]
    stand_in.url = f"http://{host}:{port}"
    monkeypatch.setenv("SLACKGATE_URL", stand_in.url)
    # A short poll interval: shutdown() waits for it at the end of every test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield stand_in
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_relay(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The relay's real policy on 127.0.0.1 for this function, as `make local` runs it: keys
    made for slackgate-<team>-<function> are in the environment; `.exchanges` says what it
    decided about each message, and `.slack.payloads` what Slack received."""
    from infra.settings import SETTINGS
    from slackgate_local.local.team_loop import LocalLoop, TeamSpec

    # The report of each message goes to stdout, which pytest shows when a test fails.
    with LocalLoop(TeamSpec.from_settings(SETTINGS), report=print) as loop:
        for name, value in loop.signing_variables().items():
            monkeypatch.setenv(name, value)
        yield loop


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    """moto in place of AWS, with the test credentials (which the relay stand-in checks)."""
    from moto import mock_aws  # imported here: only the tests that use AWS pay for it

    from {{ cookiecutter.package_name }} import data

    data.client.cache_clear()
    with mock_aws(config={"core": {"mock_credentials": False}}):
        yield
    data.client.cache_clear()


@dataclass(frozen=True)
class ExampleStores:
    """What the `stores` fixture created and declared."""

    bucket: str
    reads: list[dict[str, str]]
    writes: list[dict[str, str]]


EXAMPLE_BUCKET = "example-reports"
EXAMPLE_READS = [
    {"kind": "s3", "bucket": EXAMPLE_BUCKET, "prefix": "daily/"},
    {"kind": "dynamodb", "table": "example-settlements"},
    {"kind": "ssm", "name": "/example/threshold"},
    {"kind": "ssm", "path": "/example/config/"},
    {"kind": "secretsmanager", "secret": "example/reporting-db"},
]
EXAMPLE_WRITES = [
    {"kind": "s3", "bucket": EXAMPLE_BUCKET, "prefix": "summaries/"},
    {"kind": "sqs", "queue": "example-summaries"},
]


@pytest.fixture
def stores(aws: None, monkeypatch: pytest.MonkeyPatch) -> ExampleStores:
    """Example resources in moto, declared to the function the way the stack declares them."""
    import boto3

    s3 = boto3.client("s3")
    location = {} if TEST_REGION == "us-east-1" else {"LocationConstraint": TEST_REGION}
    s3.create_bucket(Bucket=EXAMPLE_BUCKET, CreateBucketConfiguration=location)
    for key, body in (
        ("daily/2026-01-30.csv", "day,settled\n2026-01-30,1200\n"),
        ("daily/2026-01-31.csv", "day,settled\n2026-01-31,1234\n2026-01-31,5\n"),
        ("private/salaries.csv", "not declared, never read\n"),
    ):
        s3.put_object(Bucket=EXAMPLE_BUCKET, Key=key, Body=body.encode())
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="example-settlements",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for number in range(3):
        dynamodb.put_item(TableName="example-settlements", Item={"id": {"S": f"s-{number}"}})
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/example/threshold", Value="1000", Type="String")
    for name in ("/example/config/a", "/example/config/b", "/example/config/nested/c"):
        ssm.put_parameter(Name=name, Value="x", Type="String")
    boto3.client("secretsmanager").create_secret(
        Name="example/reporting-db", SecretString="not for Slack"
    )
    boto3.client("sqs").create_queue(QueueName="example-summaries")
    monkeypatch.setenv("SLACKGATE_READS", json.dumps(EXAMPLE_READS))
    monkeypatch.setenv("SLACKGATE_WRITES", json.dumps(EXAMPLE_WRITES))
    return ExampleStores(EXAMPLE_BUCKET, EXAMPLE_READS, EXAMPLE_WRITES)


@dataclass(frozen=True)
class Synthesis:
    template: dict[str, Any]
    error: Exception | None
    report: dict[str, Any] | None

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, resource_type: str) -> dict[str, Any]:
        found = list(self.resources(resource_type).values())
        assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
        return found[0]


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    """One synthesis with the compliance checks on; the template is written either way."""
    from infra import build_app
    from infra.settings import SETTINGS

    outdir = tmp_path_factory.mktemp("cdk.out")
    error: Exception | None = None
    try:
        build_app(outdir=str(outdir), checks=True).synth()
    except RuntimeError as exc:  # cdk-nag findings stop synthesis
        error = exc
    template_file = outdir / f"{SETTINGS.stack_name}.template.json"
    report_file = outdir / "validation-report.json"
    return Synthesis(
        template=json.loads(template_file.read_text()),
        error=error,
        report=json.loads(report_file.read_text()) if report_file.exists() else None,
    )
