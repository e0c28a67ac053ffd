"""The SCP that makes the team identity unforgeable.

The contract with the relay's API policy: every team function role carries the IAM tag
`slackgate:team` = `<team slug>`, and only a role named `slackgate-<tag value>-*` is admitted.
So the tag must be set only by the platform, or by a principal of that same team (a team's
deploy role, tagged by the platform), and only on that team's roles.

Each comparison puts the caller's own tag on the key side (`aws:PrincipalTag/slackgate:team`)
and the request's or resource's tag in the policy variable. An untagged caller then has no key,
and a negated operator with a missing key is true: it is denied, without relying on how AWS
reads a policy variable that has no value (it "might cause the entire statement to be
invalid", IAM User Guide, "Policy variables").
"""

from __future__ import annotations

from typing import Any

from .settings import TEAM_TAG, GuardrailSettings

PRINCIPAL_TAG = f"aws:PrincipalTag/{TEAM_TAG}"
# Tag keys are compared without case: IAM refuses two keys that differ only in case.
SETS_TEAM_TAG = {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": TEAM_TAG}}
TAGGING = ["iam:CreateRole", "iam:TagRole", "iam:CreateUser", "iam:TagUser"]
# What would let one team act as another through that team's role (a team's function role or
# its deploy roles): pass it to a function, change who may assume it or what it may do.
ROLE_TAKEOVER = [
    "iam:PassRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:*RolePolicy",
    "iam:*RolePermissionsBoundary",
    "iam:UpdateRole*",
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    "sts:AssumeRole",
]


def tag_statements(settings: GuardrailSettings | None) -> list[dict[str, Any]]:
    """The team tag rules; `settings` None writes them without the platform exemption."""
    platform = settings.not_platform() if settings else {}
    return [
        {
            "Sid": "TeamTagIsTheCallersOwn",
            "Effect": "Deny",
            "Action": [*TAGGING, "sts:TagSession"],
            "Resource": "*",
            "Condition": {
                **SETS_TEAM_TAG,
                "StringNotEquals": {PRINCIPAL_TAG: f"${{aws:RequestTag/{TEAM_TAG}}}"},
                **platform,
            },
        },
        {
            "Sid": "TeamTagOnTeamRolesOnly",
            "Effect": "Deny",
            "Action": TAGGING,
            "NotResource": f"arn:aws:iam::*:role/slackgate-${{aws:RequestTag/{TEAM_TAG}}}-*",
            "Condition": {**SETS_TEAM_TAG, **platform},
        },
        {
            "Sid": "TeamTagStays",
            "Effect": "Deny",
            "Action": ["iam:UntagRole", "iam:UntagUser"],
            "Resource": "*",
            "Condition": {**SETS_TEAM_TAG, **platform},
        },
        {
            "Sid": "TeamRolesStayWithTheirTeam",
            "Effect": "Deny",
            "Action": ROLE_TAKEOVER,
            "Resource": "*",
            "Condition": {
                "Null": {f"aws:ResourceTag/{TEAM_TAG}": "false"},
                "StringNotEquals": {PRINCIPAL_TAG: f"${{aws:ResourceTag/{TEAM_TAG}}}"},
                **platform,
            },
        },
    ]


def platform_roles_statement(settings: GuardrailSettings, exempt: bool = True) -> dict[str, Any]:
    """Nobody else creates, assumes, passes or changes the platform's roles.

    Without it, anyone could create a role whose name matches the exempt pattern, or assume the
    gateway's CDK deploy role and have CloudFormation change the network as the exempt role.
    """
    statement: dict[str, Any] = {
        "Sid": "PlatformRolesStayThePlatforms",
        "Effect": "Deny",
        "Action": ["iam:*", "sts:AssumeRole"],
        # A boundary binds an account without Organizations: no member stack's role there.
        "Resource": settings.principals(member_stacks=exempt),
    }
    if exempt:
        statement["Condition"] = settings.not_platform()
    return statement


def identity_scp(settings: GuardrailSettings) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [*tag_statements(settings), platform_roles_statement(settings)],
    }
