"""The member account's audit role, evaluated with shared_gateway.iampolicy: who may assume it
(the hub's auditor only) and what it may do (exactly the audit's reads). The guard rails in a
member account are proven in tests/guardrails/test_member_accounts_proof.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shared_gateway.iampolicy import Request, RoleSession, decide, evaluate, resolve_cfn
from shared_gateway.organisation import MemberSettings, member_template
from shared_gateway.organisation.audit_role import (
    AUDIT_READ_ACTIONS,
    PARAMETER_READS,
    permission_policy,
    trust_policy,
)

from .conftest import HUB, MEMBER, ORG, OUTSIDER, REGION, SG, VPC

AUDIT_DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
MEMBER_ROLE = f"arn:aws:iam::{MEMBER}:role/slackgate-audit"
SSO_AUDITORS = f"arn:aws:iam::{HUB}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Audit_*"


def assume(session: RoleSession, org: str | None = ORG) -> Request:
    context = {"aws:PrincipalOrgID": org} if org else {}
    return session.request("sts:AssumeRole", MEMBER_ROLE, **context)


def trusts(settings: MemberSettings, request: Request) -> bool:
    # The trust policy is the role's resource-based policy: it must name the principal.
    return evaluate(trust_policy(settings), request, principal_required=True).allowed


AUDITOR = RoleSession(HUB, "slackgate-auditor")


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (assume(AUDITOR), True),
        # Another role of the hub, even a platform one, or the auditor's name with a path.
        (assume(RoleSession(HUB, "slackgate-payments-nightly")), False),
        (assume(RoleSession(HUB, "cdk-slackgate-cfn-exec-role")), False),
        (assume(RoleSession(HUB, "slackgate-auditor", path="/other/")), False),
        (assume(RoleSession(HUB, "slackgate-auditor-x")), False),
        # The hub's root user, and a user of the auditor's name.
        (
            Request(
                "sts:AssumeRole",
                MEMBER_ROLE,
                f"arn:aws:iam::{HUB}:root",
                {"aws:PrincipalArn": f"arn:aws:iam::{HUB}:root", "aws:PrincipalOrgID": ORG},
            ),
            False,
        ),
        (
            Request(
                "sts:AssumeRole",
                MEMBER_ROLE,
                f"arn:aws:iam::{HUB}:user/slackgate-auditor",
                {
                    "aws:PrincipalArn": f"arn:aws:iam::{HUB}:user/slackgate-auditor",
                    "aws:PrincipalOrgID": ORG,
                },
            ),
            False,
        ),
        # The auditor's name in another account of the organisation, or outside it.
        (assume(RoleSession(MEMBER, "slackgate-auditor")), False),
        (assume(RoleSession(OUTSIDER, "slackgate-auditor"), org="o-zzzzzzzzzz"), False),
        # The hub's account id, but not of the organisation (left it, or the id spoofed in a
        # policy of another organisation), or with no organisation at all.
        (assume(AUDITOR, org="o-zzzzzzzzzz"), False),
        (assume(AUDITOR, org=None), False),
        # Another action the role's trust could have allowed.
        (AUDITOR.request("sts:TagSession", MEMBER_ROLE, **{"aws:PrincipalOrgID": ORG}), False),
        (
            AUDITOR.request("sts:SetSourceIdentity", MEMBER_ROLE, **{"aws:PrincipalOrgID": ORG}),
            False,
        ),
    ],
    ids=[
        "hub-auditor",
        "hub-team-role",
        "hub-platform-role",
        "auditor-name-other-path",
        "auditor-name-suffixed",
        "hub-root",
        "hub-user-of-the-name",
        "member-account-role",
        "outsider-role",
        "hub-auditor-other-org",
        "hub-auditor-no-org",
        "tag-session",
        "set-source-identity",
    ],
)
def test_only_the_hubs_auditor_may_assume_it(
    settings: MemberSettings, request_: Request, expected: bool
) -> None:
    assert trusts(settings, request_) is expected


def test_without_an_organisation_the_account_and_role_decide(
    account_settings: MemberSettings,
) -> None:
    assert "StringEquals" not in trust_policy(account_settings)["Statement"][0]["Condition"]
    assert trusts(account_settings, assume(AUDITOR, org=None))
    assert not trusts(account_settings, assume(RoleSession(OUTSIDER, "slackgate-auditor"), None))
    assert not trusts(account_settings, assume(RoleSession(HUB, "developer"), None))


def test_auditor_patterns_admit_sso_sessions_of_the_hub(settings: MemberSettings) -> None:
    sso = MemberSettings(hub=settings.hub, auditors=(SSO_AUDITORS,))
    path = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
    assert trusts(sso, assume(RoleSession(HUB, "AWSReservedSSO_Audit_0123abcd", path=path)))
    assert not trusts(sso, assume(RoleSession(HUB, "AWSReservedSSO_Admin_0123abcd", path=path)))
    assert not trusts(sso, assume(AUDITOR))  # the default is replaced, not added to
    assert not trusts(sso, assume(RoleSession(MEMBER, "AWSReservedSSO_Audit_0123abcd", path=path)))


def role_permissions(settings: MemberSettings) -> list[dict[str, Any]]:
    """The role's inline policies as CloudFormation resolves them in the member account."""
    role = member_template(settings)["Resources"]["AuditRole"]["Properties"]
    refs = {"AWS::Partition": "aws", "AWS::AccountId": MEMBER, "AWS::Region": REGION}
    return [resolve_cfn(p["PolicyDocument"], refs) for p in role["Policies"]]


def _arn(service: str, resource: str, account: str = MEMBER) -> str:
    return f"arn:aws:{service}:{REGION}:{account}:{resource}"


FUNCTION = _arn("lambda", "function:slackgate-payments-nightly")
TEAM_ROLE = f"arn:aws:iam::{MEMBER}:role/slackgate-payments-nightly"
PARAMETER = _arn("ssm", "parameter/slackgate/network/vpc-id")
WRITES = [
    ("lambda:UpdateFunctionConfiguration", FUNCTION),
    ("lambda:UpdateFunctionCode", FUNCTION),
    ("lambda:AddPermission", FUNCTION),
    ("lambda:InvokeFunction", FUNCTION),
    ("lambda:CreateFunctionUrlConfig", FUNCTION),
    ("lambda:TagResource", FUNCTION),
    ("iam:PutRolePolicy", TEAM_ROLE),
    ("iam:AttachRolePolicy", TEAM_ROLE),
    ("iam:UpdateAssumeRolePolicy", TEAM_ROLE),
    ("iam:PassRole", TEAM_ROLE),
    ("iam:CreateRole", f"arn:aws:iam::{MEMBER}:role/anything"),
    ("sts:AssumeRole", TEAM_ROLE),
    ("ssm:PutParameter", PARAMETER),
    ("ssm:DeleteParameter", PARAMETER),
    ("ec2:CreateRoute", _arn("ec2", "route-table/rtb-0123")),
    ("ec2:AuthorizeSecurityGroupEgress", _arn("ec2", f"security-group/{SG}")),
    ("ec2:CreateVpcEndpoint", _arn("ec2", f"vpc/{VPC}")),
    ("ec2:ModifyVpcEndpoint", _arn("ec2", "vpc-endpoint/vpce-0123")),
    ("route53resolver:DisassociateFirewallRuleGroup", _arn("route53resolver", "x/rslvr-1")),
    ("cloudformation:UpdateStack", _arn("cloudformation", "stack/slackgate-gateway/1")),
    # Reads of data, not of configuration: the audit needs none of them.
    ("s3:GetObject", "arn:aws:s3:::payments-bucket/report.csv"),
    ("secretsmanager:GetSecretValue", _arn("secretsmanager", "secret:slackgate/channels/x")),
    ("ssm:GetParameters", _arn("ssm", "parameter/payments/db-password")),
    ("ssm:GetParameter", PARAMETER),  # the audit asks GetParameters only
    ("ssm:GetParameters", _arn("ssm", "parameter/slackgate/api/id", account=HUB)),
    ("lambda:GetFunction", FUNCTION),  # its code location: the audit reads configurations only
]


@pytest.mark.parametrize("action", AUDIT_READ_ACTIONS)
def test_every_read_the_audit_makes_is_allowed(settings: MemberSettings, action: str) -> None:
    session = RoleSession(MEMBER, "slackgate-audit")
    request = session.request(action, "*", **{"aws:ResourceAccount": MEMBER})
    assert decide(request, identity=role_permissions(settings), same_account=True).allowed


@pytest.mark.parametrize("suffix", ["network/vpc-id", "network/subnet-ids", "api/id", "api/url"])
def test_the_gateways_parameters_of_this_account_may_be_read(
    settings: MemberSettings, suffix: str
) -> None:
    request = RoleSession(MEMBER, "slackgate-audit").request(
        "ssm:GetParameters", _arn("ssm", f"parameter/slackgate/{suffix}")
    )
    assert decide(request, identity=role_permissions(settings), same_account=True).allowed


@pytest.mark.parametrize(("action", "resource"), WRITES, ids=[f"{a} {r}" for a, r in WRITES])
def test_no_write_and_no_data_read_is_allowed(
    settings: MemberSettings, action: str, resource: str
) -> None:
    request = RoleSession(MEMBER, "slackgate-audit").request(action, resource)
    assert not decide(request, identity=role_permissions(settings), same_account=True).allowed


def test_the_permissions_are_the_audits_documented_ones(settings: MemberSettings) -> None:
    """docs/audit.md's policy is held to every call the audit makes (tests/audit); this role
    grants exactly it."""
    text = AUDIT_DOCS.read_text().split("### Permissions")[1].split("## JSON output")[0]
    documented = set(re.findall(r'"([a-z0-9-]+:[A-Za-z]+)"', text))
    assert documented == {*AUDIT_READ_ACTIONS, *PARAMETER_READS}
    statements = permission_policy(settings)["Statement"]
    assert {a for s in statements for a in s["Action"]} == documented
