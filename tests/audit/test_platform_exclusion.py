"""The gateway's own functions are left out of the audit, known by the gateway stack's resource
list (which only CloudFormation writes), never by a name, role, path or tag a team could copy."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber

from shared_gateway.audit import checks, collect

from .conftest import CODE, REGION, Account


def deploy_gateway_stack(account: Account, role_arn: str) -> str:
    """A `slackgate-gateway` stack in moto holding one function outside the VPC, like the
    relay; returns the function's name as CloudFormation gave it."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    template = {
        "Resources": {
            "RelayFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "handler.handler",
                    "Role": role_arn,
                    "Code": {"ZipFile": CODE.decode("latin-1")},
                },
            }
        }
    }
    cloudformation.create_stack(StackName=collect.GATEWAY_STACK, TemplateBody=json.dumps(template))
    [resource] = cloudformation.list_stack_resources(StackName=collect.GATEWAY_STACK)[
        "StackResourceSummaries"
    ]
    return resource["PhysicalResourceId"]


def test_the_gateway_stacks_functions_are_left_out_and_a_copy_is_not(
    account: Account, run_audit: Any
) -> None:
    # A role named the way CloudFormation named the gateway's roles before they got platform
    # names: it looks like a team's (team "gateway"), and the relay is outside the VPC.
    role = account.role("slackgate-gateway-RelayRoleDB2B1DF8-AbCdEf")
    relay = deploy_gateway_stack(account, role)
    account.add_function("nightly")
    # The same role, name pattern and placement, but not created by the gateway's stack.
    account.add_function(
        "slackgate-gateway-RelayFunction-copy", role=role.rsplit("/", 1)[1], in_vpc=False
    )

    result = run_audit("--json")

    names = [f["name"] for f in result.document["functions"]]
    assert relay not in names
    assert sorted(names) == ["nightly", "slackgate-gateway-RelayFunction-copy"]
    assert "not-in-vpc" in result.codes("slackgate-gateway-RelayFunction-copy")
    assert result.exit_code == 1


def test_no_gateway_stack_leaves_nothing_out(account: Account, run_audit: Any) -> None:
    account.add_function("leaky", in_vpc=False)
    result = run_audit("--json")
    assert [f["name"] for f in result.document["functions"]] == ["leaky"]


def test_the_stack_listing_is_paged_and_keeps_only_functions() -> None:
    client = boto3.client("cloudformation", region_name=REGION)

    def summary(kind: str, physical: str) -> dict[str, Any]:
        return {
            "LogicalResourceId": physical,
            "PhysicalResourceId": physical,
            "ResourceType": kind,
            "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE",
        }

    with Stubber(client) as stub:
        stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    summary("AWS::Lambda::Function", "relay"),
                    summary("AWS::IAM::Role", "role"),
                ],
                "NextToken": "2",
            },
            {"StackName": "slackgate-gateway"},
        )
        stub.add_response(
            "list_stack_resources",
            {"StackResourceSummaries": [summary("AWS::Lambda::Function", "provider")]},
            {"StackName": "slackgate-gateway", "NextToken": "2"},
        )
        assert collect.gateway_function_names(client) == {"relay", "provider"}


def test_a_missing_stack_is_no_exclusion_and_access_denied_is_an_error() -> None:
    client = boto3.client("cloudformation", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_client_error(
            "list_stack_resources",
            "ValidationError",
            "Stack with id slackgate-gateway does not exist",
        )
        assert collect.gateway_function_names(client) == frozenset()
    with Stubber(client) as stub:
        stub.add_client_error("list_stack_resources", "AccessDenied", "not authorized")
        try:
            collect.gateway_function_names(client)
        except client.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDenied"
        else:
            raise AssertionError("AccessDenied was swallowed")


def test_is_audited_needs_membership_and_not_the_platform() -> None:
    role = "arn:aws:iam::123456789012:role/slackgate-payments-x"
    function = checks.LambdaFunction("f", "arn:f", (checks.FunctionVersion("$LATEST", role),))
    assert checks.is_audited(function, frozenset())
    assert not checks.is_audited(function, frozenset({"f"}))
    other = checks.LambdaFunction("g", "arn:g", (checks.FunctionVersion("$LATEST", "arn:r/x"),))
    assert not checks.is_audited(other, frozenset())


def test_the_audit_knows_the_gateway_stack_by_its_name() -> None:
    from shared_gateway.infra.stack import STACK_NAME

    assert collect.GATEWAY_STACK == STACK_NAME
