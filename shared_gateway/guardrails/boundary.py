"""The single-account path: the guard rails as a permissions boundary, without Organizations.

`cdk bootstrap --custom-permissions-boundary <name>` attaches a boundary to the bootstrap's
CloudFormation execution role, which is the role a team's `cdk deploy` acts as (AWS CDK
Developer Guide, "Create and apply permissions boundaries for the AWS CDK"). The boundary
allows everything except what the SCPs deny, with three differences:

- it binds only the roles that carry it, so every function they create is confined (Resource
  `*`), not only the `slackgate-*` namespace, and there is no platform exemption (the gateway's
  own bootstrap role does not carry it);
- a role or user it creates must carry the same boundary, and it cannot remove a boundary or
  rewrite this policy, or one `CreateRole` would step outside it;
- the platform's roles are out of reach.
"""

from __future__ import annotations

from typing import Any

from .functions import exposure_statements, placement_statements, team_scope_statement
from .identity import platform_roles_statement, tag_statements
from .network import network_statements
from .settings import GuardrailSettings

BOUNDARY_NAME = "slackgate-team-deploy-boundary"


def boundary_arn(settings: GuardrailSettings, name: str = BOUNDARY_NAME) -> str:
    return f"arn:aws:iam::{settings.account}:policy/{name}"


def escape_statements(settings: GuardrailSettings, name: str) -> list[dict[str, Any]]:
    arn = boundary_arn(settings, name)
    return [
        {
            "Sid": "NewPrincipalsKeepTheBoundary",
            "Effect": "Deny",
            "Action": [
                "iam:CreateRole",
                "iam:CreateUser",
                "iam:PutRolePermissionsBoundary",
                "iam:PutUserPermissionsBoundary",
            ],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": arn}},
        },
        {
            "Sid": "BoundaryStays",
            "Effect": "Deny",
            "Action": [
                "iam:DeleteRolePermissionsBoundary",
                "iam:DeleteUserPermissionsBoundary",
            ],
            "Resource": "*",
        },
        {
            "Sid": "BoundaryUnchanged",
            "Effect": "Deny",
            "Action": [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy*",
                "iam:SetDefaultPolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": arn,
        },
    ]


def deploy_boundary(settings: GuardrailSettings, name: str = BOUNDARY_NAME) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            # A boundary grants nothing: it caps what the role's own policies allow.
            {"Sid": "WithinTheBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"},
            *placement_statements(settings, functions="*", exempt=False),
            *exposure_statements(settings, exempt=False),
            team_scope_statement(),
            *tag_statements(None),
            platform_roles_statement(settings, exempt=False),
            *network_statements(settings, exempt=False),
            *escape_statements(settings, name),
        ],
    }
