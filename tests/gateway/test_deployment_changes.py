"""A resource-policy change must produce a NEW deployment (else the stage keeps the old one).

Fast path: only the RelayApi construct, in a bare stack, synthesized twice.
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from shared_gateway.infra.relay_api import RelayApi

pytestmark = pytest.mark.slow


def _deployment_id(account: str, vpc_id: str = "vpc-0123456789abcdef0") -> str:
    app = App(builtin_cloud_formation_validation=False)  # cfn-lint covers templates
    stack = Stack(app, "Api", env=Environment(account="123456789012", region="eu-west-1"))
    function = lambda_.Function(
        stack,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_14,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
    )
    RelayApi(
        stack,
        "RelayApi",
        function=function,
        vpc_id=vpc_id,
        account=account,
        key=kms.Key(stack, "Key"),
        retention=logs.RetentionDays.ONE_WEEK,
        throttle_rate=10,
        throttle_burst=20,
    )
    deployments = Template.from_stack(stack).find_resources("AWS::ApiGateway::Deployment")
    (logical_id,) = deployments
    return logical_id


def test_policy_change_yields_a_new_deployment() -> None:
    same = _deployment_id("123456789012")
    assert _deployment_id("123456789012") == same  # stable when nothing changes
    assert _deployment_id("210987654321") != same  # principal conditions changed
    assert _deployment_id("123456789012", "vpc-0fedcba9876543210") != same  # source VPC changed
