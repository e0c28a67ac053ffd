"""The single-account path: the rendered boundary on a team's CloudFormation execution role,
evaluated as a permissions boundary over an administrator's identity policy."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from shared_gateway.guardrails.boundary import BOUNDARY_NAME, boundary_arn
from shared_gateway.guardrails.documents import boundary_policy
from shared_gateway.guardrails.settings import GuardrailSettings
from shared_gateway.iampolicy import decide

from .conftest import ACCOUNT, ADMIN, PLATFORM, REGION, deny_sid, fn, in_vpc, request, role, tags
from .test_scp_proof import ROWS, Row


@pytest.fixture(scope="module")
def boundary(settings: GuardrailSettings) -> dict[str, Any]:
    return boundary_policy(settings).content


def _answer(row_request, boundary: dict[str, Any]):
    return decide(row_request, identity=ADMIN, boundary=boundary)


def _with_boundary(row: Row) -> Row:
    """The SCP row as a bounded deploy sends it: roles it creates carry the boundary too."""
    context = {"iam:PermissionsBoundary": BOUNDED, **row.request.context}
    return row._replace(request=dataclasses.replace(row.request, context=context))


# The SCP rows a team's deploy role makes are answered the same under the boundary (the
# platform's and operators' rows do not apply: they do not carry the boundary).
TEAM_ROWS = [
    row
    for row in ROWS
    if row.request.principal not in (PLATFORM,)
    and "platform" not in row.name
    and "operator" not in row.name
    and "developer" not in row.name
    and "Lambda's network interface" not in row.name
]
BOUNDED = f"arn:aws:iam::{ACCOUNT}:policy/{BOUNDARY_NAME}"
EXTRA = [
    Row(
        "any function outside the VPC",
        request("lambda:CreateFunction", fn("reports")),
        False,
        "TeamFunctionsInGatewayVpc",
    ),
    Row(
        "a role without the boundary",
        request("iam:CreateRole", role("slackgate-payments-y")),
        False,
        "NewPrincipalsKeepTheBoundary",
    ),
    Row(
        "a role with the boundary",
        request(
            "iam:CreateRole",
            role("slackgate-payments-y"),
            context={"iam:PermissionsBoundary": BOUNDED, **tags(slackgate__team="payments")},
        ),
        True,
    ),
    Row(
        "the boundary removed",
        request("iam:DeleteRolePermissionsBoundary", role("slackgate-payments-y")),
        False,
        "BoundaryStays",
    ),
    Row(
        "the boundary rewritten",
        request("iam:CreatePolicyVersion", BOUNDED),
        False,
        "BoundaryUnchanged",
    ),
    Row(
        "the gateway's deploy role",
        request("sts:AssumeRole", role(f"cdk-slackgate-deploy-role-{ACCOUNT}-{REGION}")),
        False,
        "PlatformRolesStayThePlatforms",
    ),
]


@pytest.mark.parametrize("row", [*map(_with_boundary, TEAM_ROWS), *EXTRA], ids=lambda row: row.name)
def test_the_boundary_answers_like_the_scps(row: Row, boundary: dict[str, Any]) -> None:
    result = _answer(row.request, boundary)
    assert result.allowed == row.allowed, str(result)
    if row.denied_by:
        assert deny_sid(result, "boundary") == row.denied_by


def test_the_boundary_confines_every_function_it_creates(boundary: dict[str, Any]) -> None:
    outside = request(
        "lambda:CreateFunction", fn("anything"), context=in_vpc(vpc="vpc-0fedcba9876543210")
    )
    assert deny_sid(_answer(outside, boundary), "boundary") == "TeamFunctionsInGatewayVpc"


def test_the_boundary_names_its_own_arn(settings: GuardrailSettings) -> None:
    assert boundary_arn(settings) == BOUNDED
    assert len(TEAM_ROWS) >= 30
