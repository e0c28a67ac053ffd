"""The account's API Gateway CloudWatch role: left alone by default (the preflight checks it), or
created, account-wide and retained, with slackgate:apiGatewayAccountRole."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared_gateway.iampolicy import Request, evaluate
from shared_gateway.infra.config import GatewayConfig
from shared_gateway.perimeter.probes import OUTSIDE_ACCOUNT

from .conftest import ACCOUNT, PSEUDO, REGION, Synthesized, synthesize

pytestmark = pytest.mark.slow

PUSH_TO_LOGS = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


@pytest.fixture(scope="module")
def with_account_role(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory, **{"slackgate:apiGatewayAccountRole": True})


def _apigateway_roles(gateway: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        name: role
        for name, role in gateway.resources("AWS::IAM::Role").items()
        if "apigateway.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    }


def test_by_default_the_stack_leaves_the_account_setting_alone(gateway: Synthesized) -> None:
    assert not gateway.resources("AWS::ApiGateway::Account")
    assert not _apigateway_roles(gateway)
    _, stage = gateway.one("AWS::ApiGateway::Stage")
    assert "AccessLogSetting" in stage["Properties"]  # which needs the account's role
    assert "DependsOn" not in stage


def test_opted_in_the_stack_creates_the_role_and_the_setting_and_keeps_them(
    with_account_role: Synthesized,
) -> None:
    from shared_gateway.iampolicy import resolve_cfn

    account_id, account = with_account_role.one("AWS::ApiGateway::Account")
    ((role_id, role),) = _apigateway_roles(with_account_role).items()
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert resolve_cfn(role["Properties"]["ManagedPolicyArns"], PSEUDO) == [PUSH_TO_LOGS]
    assert "Policies" not in role["Properties"]
    # Account-wide: deleting the stack must neither reset the setting nor delete the role
    # other APIs of the account log through.
    for resource in (account, role):
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"
    _, stage = with_account_role.one("AWS::ApiGateway::Stage")
    assert account_id in stage["DependsOn"]  # the setting exists before the stage logs


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("apigateway.amazonaws.com", True),
        ("lambda.amazonaws.com", False),
        (f"arn:aws:iam::{ACCOUNT}:role/slackgate-payments-nightly", False),
        (f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root", False),
    ],
)
def test_only_api_gateway_may_assume_the_role(
    with_account_role: Synthesized, principal: str, expected: bool
) -> None:
    ((_, role),) = _apigateway_roles(with_account_role).items()
    trust = role["Properties"]["AssumeRolePolicyDocument"]
    request = Request("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/x", principal)
    assert evaluate(trust, request, principal_required=True).allowed is expected


def test_opted_in_the_stack_passes_cdk_nag_and_cfn_lint(with_account_role: Synthesized) -> None:
    from cfnlint.api import lint

    assert with_account_role.synth_error is None  # nag is on: a finding fails synthesis
    matches = lint(json.dumps(with_account_role.template), regions=[REGION])
    assert {m.rule.id for m in matches} <= {"W3005", "W3010"}, "\n".join(map(str, matches))


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), ("true", True), ("1", True), (False, False), ("no", False)]
)
def test_the_setting_is_read_from_context_or_the_command_line(raw: object, expected: bool) -> None:
    context = {"slackgate:apiGatewayAccountRole": raw}
    assert GatewayConfig.from_context(context.get).api_gateway_account_role is expected
    assert GatewayConfig.from_context({}.get).api_gateway_account_role is False
