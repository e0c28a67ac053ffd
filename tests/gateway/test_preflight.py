"""`python -m shared_gateway preflight` (`make gateway-preflight`), against moto, with botocore's
Stubber for what moto lacks (Lambda GetAccountSettings) and for AWS's refusals."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from shared_gateway.infra.config import GatewayConfig
from shared_gateway.preflight import CHECK_IDS, Status, checks, command
from shared_gateway.preflight.checks import Clients

from .conftest import ACCOUNT, REGION, Synthesized, cdk_json_context

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "gateway.md"
CHANNEL_SECRETS = ["slackgate/channels/payments-alerts", "slackgate/channels/search-reports"]
LOGS_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/apigateway-cloudwatch-logs"
ROOMY = {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 1000}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _ready_account() -> None:
    """What a deployable account has: CDK bootstrapped, API Gateway's logging role set."""
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/cdk-bootstrap/slackgate/version", Value="21", Type="String"
    )
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(
        RoleName="apigateway-cloudwatch-logs",
        AssumeRolePolicyDocument=checks.TRUST_API_GATEWAY,
    )
    boto3.client("apigateway", region_name=REGION).update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": LOGS_ROLE_ARN}]
    )


class StubbedClients(Clients):
    """moto's clients, except Lambda's account settings (and what a test stubs besides)."""

    def __init__(self, limit: dict[str, int] | None = None, relay_reserves: int | None = None):
        super().__init__(boto3.Session(), REGION)
        self.stubbers: list[Stubber] = []
        lam = self._stub("lambda")
        lam.add_response("get_account_settings", {"AccountLimit": limit or ROOMY})
        if relay_reserves is not None:
            cfn = self._stub("cloudformation")
            cfn.add_response(
                "describe_stack_resources",
                {"StackResources": [_resource("AWS::Lambda::Function", "RelayFunctionE902C34E")]},
                {"StackName": "slackgate-gateway"},
            )
            lam.add_response(
                "get_function_concurrency",
                {"ReservedConcurrentExecutions": relay_reserves},
                {"FunctionName": "slackgate-gateway-RelayFunctionE902C34E-abc"},
            )

    def _stub(self, service: str) -> Stubber:
        client = boto3.client(service, region_name=REGION)
        self._made[service] = client
        stubber = Stubber(client)
        stubber.activate()
        self.stubbers.append(stubber)
        return stubber


def _resource(kind: str, logical_id: str) -> dict[str, Any]:
    return {
        "StackName": "slackgate-gateway",
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": f"slackgate-gateway-{logical_id}-abc",
        "ResourceType": kind,
        "ResourceStatus": "UPDATE_COMPLETE",
        "Timestamp": "2026-01-01T00:00:00Z",
    }


def _config(**context: Any) -> GatewayConfig:
    return GatewayConfig.from_context(cdk_json_context(**context).get)


def _registry() -> Any:
    from shared_gateway.infra.bundling import load_deployable_registry

    return load_deployable_registry(_config().registry_path)


def _results(clients: Clients | None = None, **context: Any) -> dict[str, checks.Result]:
    found = command.run_checks(
        clients or StubbedClients(), _config(**context), _registry(), "slackgate"
    )
    assert [r.check for r in found] == list(CHECK_IDS)
    return {r.check: r for r in found}


def _statuses(results: dict[str, checks.Result]) -> dict[str, str]:
    return {check: r.status.name for check, r in results.items()}


def test_a_ready_account_passes_every_check(aws: None) -> None:
    _ready_account()
    results = _results()
    assert _statuses(results) == dict.fromkeys(CHECK_IDS, "PASS")
    assert results["credentials"].message == f"arn:aws:sts::{ACCOUNT}:user/moto"
    assert "leaves 950 of the quota 1000" in results["lambda-concurrency"].message


def test_the_command_exits_0_and_prints_each_check(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _ready_account()
    monkeypatch.setattr(checks, "Clients", lambda session, region: StubbedClients())
    args = argparse.Namespace(context=[], cdk_json=REPO / "shared_gateway" / "cdk.json")
    assert command.run(args) == 0
    out = capsys.readouterr().out
    for check in CHECK_IDS:
        assert re.search(rf"^  ok    {re.escape(check)} ", out, re.MULTILINE), check
    assert out.rstrip().endswith("the gateway can be deployed (`make gateway-deploy`).")


def test_credentials_of_another_account_stop_the_checks(aws: None) -> None:
    _ready_account()
    results = _results(**{"slackgate:account": "210987654321"})
    assert results["account"].status is Status.FAIL
    assert "credentials are for account 123456789012" in results["account"].message
    assert "set slackgate:account to 123456789012" in results["account"].fix
    assert "use credentials for 210987654321" in results["account"].fix
    assert {results[c].status for c in CHECK_IDS[2:]} == {Status.SKIP}


def test_rejected_credentials_fail_the_first_check(aws: None) -> None:
    clients = StubbedClients()
    sts = clients._stub("sts")
    sts.add_client_error("get_caller_identity", "InvalidClientTokenId", "bad token")
    results = _results(clients)
    assert results["credentials"].status is Status.FAIL
    assert "InvalidClientTokenId" in results["credentials"].message
    assert "AWS_PROFILE" in results["credentials"].fix
    assert {results[c].status for c in CHECK_IDS[1:]} == {Status.SKIP}


@pytest.mark.parametrize(
    ("context", "complaint", "fix"),
    [
        (
            {"slackgate:availabilityZones": ["eu-west-1a", "eu-west-1z"]},
            "eu-west-1z of slackgate:availabilityZones are not available in eu-west-1",
            "eu-west-1a, eu-west-1b, eu-west-1c",
        ),
        (
            {
                "slackgate:region": "me-south-1",
                "slackgate:availabilityZones": ["me-south-1a", "me-south-1b"],
            },
            "me-south-1 is not enabled for this account (not-opted-in)",
            "aws account enable-region --region-name me-south-1",
        ),
    ],
)
def test_a_region_or_zone_that_cannot_be_used(
    aws: None, context: dict[str, Any], complaint: str, fix: str
) -> None:
    config = _config(**context)
    result = checks.check_region(Clients(boto3.Session(), config.region), config)
    assert result.status is Status.FAIL
    assert complaint in result.message and fix in result.fix


@pytest.mark.parametrize(
    ("version", "complaint"), [(None, "is not bootstrapped"), ("5", "is version 5")]
)
def test_cdk_bootstrap_missing_or_too_old(aws: None, version: str | None, complaint: str) -> None:
    name = "/cdk-bootstrap/custom123/version"
    if version:
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=name, Value=version, Type="String"
        )
    result = checks.check_bootstrap(Clients(boto3.Session(), REGION), _config(), "custom123")
    assert result.status is Status.FAIL
    assert complaint in result.message
    assert "npx --no cdk bootstrap aws://123456789012/eu-west-1" in result.fix


# (quota, unreserved now, slackgate:reservedConcurrency, reserved now by the relay, passes, text)
CONCURRENCY = [
    (1000, 1000, 50, None, True, "leaves 950 of the quota 1000 unreserved"),
    (1000, 150, 50, None, True, "leaves 100 of the quota 1000"),
    (1000, 149, 50, None, False, "lower slackgate:reservedConcurrency to at most 49"),
    (1000, 140, 50, None, False, "--desired-value 1010"),
    # A new account: quota 10, nothing can be reserved at all.
    (10, 10, 50, None, False, "--quota-code L-B99A9384 --desired-value 150"),
    (10, 10, 50, None, False, "nothing can be reserved with this quota"),
    (10, 10, 0, None, True, "the relay is unreserved"),
    (10, 10, "none", None, True, "the relay is unreserved"),
    # Updating a deployed relay: its own reservation is given back first.
    (1000, 100, 50, 50, True, "leaves 100 of the quota 1000"),
    (1000, 100, 60, 50, False, "at most 50"),
]


@pytest.mark.parametrize(
    ("quota", "unreserved", "wanted", "current", "passes", "text"), CONCURRENCY
)
def test_lambda_concurrency_leaves_what_lambda_keeps_unreserved(
    aws: None,
    quota: int,
    unreserved: int,
    wanted: object,
    current: int | None,
    passes: bool,
    text: str,
) -> None:
    limit = {"ConcurrentExecutions": quota, "UnreservedConcurrentExecutions": unreserved}
    clients = StubbedClients(limit, relay_reserves=current)
    config = _config(**{"slackgate:reservedConcurrency": wanted})
    result = checks.check_lambda_concurrency(clients, config)
    assert (result.status is Status.PASS) is passes, result
    assert text in f"{result.message} {result.fix}"
    if not passes:
        assert "or set it to 0 to leave the relay unreserved" in result.fix
    for stubber in clients.stubbers:
        stubber.assert_no_pending_responses()


def test_no_api_gateway_logging_role_fails_with_the_commands_that_set_one(aws: None) -> None:
    result = checks.check_apigateway_role(Clients(boto3.Session(), REGION), _config())
    assert result.status is Status.FAIL
    assert "CloudWatch Logs role ARN must be set in account settings" in result.message
    for text in (
        "aws apigateway update-account --region eu-west-1 --patch-operations "
        f"op=replace,path=/cloudwatchRoleArn,value={LOGS_ROLE_ARN}",
        "aws iam create-role --role-name apigateway-cloudwatch-logs",
        "--policy-arn arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        "slackgate:apiGatewayAccountRole to true",
    ):
        assert text in result.fix
    # The trust policy the fix gives is valid JSON, and admits API Gateway.
    trust = json.loads(checks.TRUST_API_GATEWAY)
    assert trust["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}


def test_a_logging_role_that_no_longer_exists_fails(aws: None) -> None:
    boto3.client("apigateway", region_name=REGION).update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": LOGS_ROLE_ARN}]
    )
    result = checks.check_apigateway_role(Clients(boto3.Session(), REGION), _config())
    assert result.status is Status.FAIL
    assert f"{LOGS_ROLE_ARN} does not exist" in result.message


def test_when_the_stack_creates_the_role(aws: None) -> None:
    clients = Clients(boto3.Session(), REGION)
    config = _config(**{"slackgate:apiGatewayAccountRole": True})
    assert checks.check_apigateway_role(clients, config).status is Status.PASS
    _ready_account()
    replaced = checks.check_apigateway_role(clients, config)
    assert replaced.status is Status.WARN  # it would replace the account's role
    assert f"REPLACE the account's current API Gateway logging role {LOGS_ROLE_ARN}" in (
        replaced.message
    )


def _secret(name: str, *, stack: str | None = None, value: str | None = None) -> None:
    tags = [{"Key": "aws:cloudformation:stack-name", "Value": stack}] if stack else []
    extra = {"SecretString": value} if value else {}
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name=name, Tags=tags, **extra)


def test_channel_secrets_the_stack_will_create_or_already_owns(aws: None) -> None:
    clients = Clients(boto3.Session(), REGION)
    assert checks.check_channel_secrets(clients, _registry()).status is Status.PASS  # none yet
    _secret(CHANNEL_SECRETS[0], stack="slackgate-gateway", value="https://hooks.example/x")
    assert checks.check_channel_secrets(clients, _registry()).status is Status.PASS
    _secret(CHANNEL_SECRETS[1], stack="slackgate-gateway")  # deployed, no URL stored yet
    empty = checks.check_channel_secrets(clients, _registry())
    assert empty.status is Status.WARN
    assert CHANNEL_SECRETS[1] in empty.message and "put-secret-value" in empty.fix


def test_a_secret_made_by_hand_or_being_deleted_blocks_the_stack(aws: None) -> None:
    clients = Clients(boto3.Session(), REGION)
    _secret(CHANNEL_SECRETS[0], value="https://hooks.example/x")  # created by hand
    _secret(CHANNEL_SECRETS[1], stack="slackgate-gateway")
    boto3.client("secretsmanager", region_name=REGION).delete_secret(SecretId=CHANNEL_SECRETS[1])
    result = checks.check_channel_secrets(clients, _registry())
    assert result.status is Status.FAIL
    assert "2 channel secret(s) would clash" in result.message
    assert f"{CHANNEL_SECRETS[0]} exists outside the slackgate-gateway stack" in result.fix
    assert f"{CHANNEL_SECRETS[1]} is scheduled for deletion" in result.fix
    assert f"delete-secret --secret-id {CHANNEL_SECRETS[0]} --force-delete-without-recovery" in (
        result.fix
    )


def test_a_refused_call_fails_its_check_and_the_others_still_run(aws: None) -> None:
    _ready_account()
    clients = StubbedClients()
    clients._stub("apigateway").add_client_error(
        "get_account", "AccessDeniedException", "not allowed", 403
    )
    results = _results(clients)
    refused = results["apigateway-cloudwatch-role"]
    assert refused.status is Status.FAIL
    assert refused.message.startswith("cannot check: GetAccount was refused (AccessDenied")
    others = {c: s for c, s in _statuses(results).items() if c != "apigateway-cloudwatch-role"}
    assert set(others.values()) == {"PASS"}


def _run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "shared_gateway", "preflight", *args],
        cwd=REPO,
        env={**clean, "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_credentials_it_says_what_to_set_and_calls_nothing(tmp_path: Path) -> None:
    result = _run_cli(tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "FAIL  credentials" in result.stdout and "AWS_PROFILE=<profile>" in result.stdout
    assert "skip  account" in result.stdout


def test_bad_settings_are_reported_without_a_traceback(tmp_path: Path) -> None:
    result = _run_cli(tmp_path, "-c", "slackgate:reservedConcurrency=-1", AWS_PROFILE="x")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "slackgate:reservedConcurrency: '-1'" in result.stderr
    result = _run_cli(tmp_path, "-c", "slackgate:region", AWS_PROFILE="x")
    assert result.returncode == 1 and "write KEY=VALUE" in result.stderr


def test_an_unknown_profile_is_reported_without_a_traceback(tmp_path: Path) -> None:
    result = _run_cli(tmp_path, AWS_PROFILE="nowhere")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "nowhere" in result.stderr and "set AWS_PROFILE to a profile" in result.stderr


def test_the_command_is_registered() -> None:
    from shared_gateway.__main__ import build_parser

    args = build_parser().parse_args(["preflight", "-c", "slackgate:region=eu-west-2"])
    assert args.run is command.run and args.context == ["slackgate:region=eu-west-2"]


def test_the_before_you_deploy_checklist_names_every_check_in_order() -> None:
    text = GUIDE.read_text()
    start = text.index("\n## Before you deploy\n")
    section = text[start : text.index("\n## ", start + 1)]
    items = re.findall(r"^\d+\. \*\*`([a-z-]+)`\*\*", section, re.MULTILINE)
    assert items == list(CHECK_IDS)
    assert "make gateway-preflight" in section


@pytest.mark.slow
def test_constants_match_the_synthesized_template(gateway: Synthesized) -> None:
    """The bootstrap version the template's rule needs, and the relay's logical id."""
    (assertion,) = gateway.template["Rules"]["CheckBootstrapVersion"]["Assertions"]
    refused = assertion["Assert"]["Fn::Not"][0]["Fn::Contains"][0]
    assert max(int(v) for v in refused) + 1 == checks.MIN_BOOTSTRAP_VERSION
    parameter = gateway.template["Parameters"]["BootstrapVersion"]["Default"]
    assert parameter == "/cdk-bootstrap/slackgate/version"
    relay = [
        name
        for name, f in gateway.resources("AWS::Lambda::Function").items()
        if f["Properties"].get("Description", "").startswith("slackgate relay")
    ]
    assert len(relay) == 1 and relay[0].startswith(checks.RELAY_LOGICAL_ID)
    others = [n for n in gateway.resources("AWS::Lambda::Function") if n not in relay]
    assert not any(n.startswith(checks.RELAY_LOGICAL_ID) for n in others)
