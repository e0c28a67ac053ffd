"""Shared settings and request builders for the guard-rail proofs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import pytest

from shared_gateway.guardrails import organization_policies
from shared_gateway.guardrails.settings import TEAM_TAG, GuardrailSettings
from shared_gateway.iampolicy import Combined, Request, decide

ACCOUNT = "123456789012"
REGION = "eu-west-1"
VPC = "vpc-0123456789abcdef0"
SUBNETS = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
SG = "sg-0123456789abcdef0"
ORG = "o-a1b2c3d4e5"
OPERATOR = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Platform_*"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
FULL_AWS_ACCESS = ADMIN  # the SCP AWS attaches by default

# Who calls: a team's deploy role (its CDK bootstrap, tagged by the platform), the gateway's
# CloudFormation execution role, an operator's SSO session, and an untagged developer.
PAYMENTS_DEPLOY = f"arn:aws:iam::{ACCOUNT}:role/cdk-payments-cfn-exec-role-{ACCOUNT}-{REGION}"
PLATFORM = f"arn:aws:iam::{ACCOUNT}:role/cdk-slackgate-cfn-exec-role-{ACCOUNT}-{REGION}"
OPERATOR_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_Platform_0123abcd"
)
DEVELOPER = f"arn:aws:iam::{ACCOUNT}:role/developer"
TEAMS = {PAYMENTS_DEPLOY: "payments"}


@pytest.fixture(scope="session")
def settings() -> GuardrailSettings:
    return GuardrailSettings(
        account=ACCOUNT,
        region=REGION,
        vpc_id=VPC,
        subnet_ids=SUBNETS,
        security_group_id=SG,
        organization_id=ORG,
        operators=(OPERATOR,),
    )


def fn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def request(
    action: str,
    resource: str,
    principal: str = PAYMENTS_DEPLOY,
    context: Mapping[str, Any] | None = None,
    team: str | None = None,
) -> Request:
    """The request as AWS would put it: the caller's ARN, account and tags in the context."""
    full: dict[str, Any] = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCOUNT}
    tag = team if team is not None else TEAMS.get(principal)
    if tag:
        full[f"aws:PrincipalTag/{TEAM_TAG}"] = tag
    full.update(context or {})
    return Request(action, resource, principal, full)


def in_vpc(
    vpc: str = VPC, subnets: tuple[str, ...] = SUBNETS, sgs: tuple[str, ...] = (SG,)
) -> dict[str, Any]:
    """The VPC condition keys Lambda sends with CreateFunction/UpdateFunctionConfiguration."""
    return {
        "lambda:VpcIds": vpc,
        "lambda:SubnetIds": list(subnets),
        "lambda:SecurityGroupIds": list(sgs),
    }


def tags(**values: str) -> dict[str, Any]:
    """A request that sets tags: aws:RequestTag/<key> and aws:TagKeys."""
    keys = [key.replace("__", ":") for key in values]
    context: dict[str, Any] = {"aws:TagKeys": keys}
    for key, value in zip(keys, values.values(), strict=True):
        context[f"aws:RequestTag/{key}"] = value
    return context


def deny_sid(result: Combined, kind: str) -> str | None:
    """The Sid of the statement that denied, in the policies of this kind."""
    for evaluation in result.evaluations.get(kind, []):
        if evaluation.index is not None and not evaluation.allowed:
            return evaluation.sid
    return None


def under_scps(req: Request, scps: list[dict[str, Any]]) -> Combined:
    """An admin's request under FullAWSAccess and the given SCPs, attached at one level."""
    return decide(req, identity=ADMIN, scp=[FULL_AWS_ACCESS, *scps])


class Row(NamedTuple):
    """One request of a proof table and how the SCPs must answer it."""

    name: str
    request: Request
    allowed: bool
    denied_by: str | None = None  # the Sid that must deny


def scps_of(settings: GuardrailSettings) -> list[dict[str, Any]]:
    return [
        d.content for d in organization_policies(settings) if d.kind == "SERVICE_CONTROL_POLICY"
    ]


def misanswered(rows: Iterable[Row], scps: list[dict[str, Any]]) -> list[str]:
    """The rows the SCPs answer otherwise than the table says, each with what happened."""
    wrong = []
    for row in rows:
        result = under_scps(row.request, scps)
        if result.allowed != row.allowed:
            wrong.append(
                f"{row.name}: expected {'allowed' if row.allowed else 'denied'}, got {result}"
            )
        elif row.denied_by and deny_sid(result, "scp") != row.denied_by:
            wrong.append(f"{row.name}: denied by {deny_sid(result, 'scp')}, not {row.denied_by}")
    return wrong
