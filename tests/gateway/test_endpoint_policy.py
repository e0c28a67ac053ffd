"""The execute-api endpoint admits execute-api:Invoke on the relay API's ARN alone."""

from __future__ import annotations

import json

import pytest

from .conftest import Synthesized, resolve_join

pytestmark = pytest.mark.slow


def test_endpoint_policy_names_the_relay_api_only(gateway: Synthesized) -> None:
    _, api = gateway.one("AWS::ApiGateway::RestApi")
    api_id = next(k for k, r in gateway.template["Resources"].items() if r is api)
    _, apply = gateway.one("Custom::AWS")
    for phase in ("Create", "Update"):
        call = json.loads(resolve_join(apply["Properties"][phase]))
        assert call["service"] == "EC2"
        assert call["action"] == "modifyVpcEndpoint"
        execute_api = next(
            k
            for k, r in gateway.resources("AWS::EC2::VPCEndpoint").items()
            if r["Properties"]["ServiceName"].endswith(".execute-api")
        )
        assert call["parameters"]["VpcEndpointId"] == "${" + execute_api + "}"
        policy = json.loads(call["parameters"]["PolicyDocument"])
        assert policy["Statement"] == [
            {
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Resource": "arn:${AWS::Partition}:execute-api:eu-west-1:123456789012:${"
                + api_id
                + "}/*/*/*",
                "Sid": "RelayApiOnly",
            }
        ]


def test_endpoint_policy_call_may_modify_that_endpoint_only(gateway: Synthesized) -> None:
    policies = [
        p
        for p in gateway.resources("AWS::IAM::Policy").values()
        if any(
            s["Action"] == "ec2:ModifyVpcEndpoint"
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
    ]
    (policy,) = policies
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    resource = resolve_join(statement["Resource"])
    assert resource.startswith("arn:${AWS::Partition}:ec2:eu-west-1:123456789012:vpc-endpoint/${")
