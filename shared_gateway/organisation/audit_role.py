"""The read-only role the hub's auditor assumes in a member account, for the cross-account audit.

Its permissions are exactly the reads the audit makes (docs/audit.md, "Permissions", which a
test of the audit keeps equal to the calls it records; tests/organisation keeps this list
equal to that one). Its trust admits the hub account's auditor roles only.
"""

from __future__ import annotations

from typing import Any

from .settings import MemberSettings

# Every action the audit calls (STS GetCallerIdentity needs no permission).
AUDIT_READ_ACTIONS: tuple[str, ...] = (
    "lambda:ListFunctions",
    "lambda:ListTags",
    "lambda:ListFunctionUrlConfigs",
    "lambda:ListAliases",
    "lambda:GetPolicy",
    "lambda:ListFunctionEventInvokeConfigs",
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "cloudformation:ListStackResources",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeManagedPrefixLists",
    "route53resolver:ListFirewallRuleGroupAssociations",
    "route53resolver:ListFirewallRules",
    "route53resolver:ListFirewallDomains",
    "route53resolver:GetFirewallConfig",
)
PARAMETER_READS: tuple[str, ...] = ("ssm:GetParameters",)
MAX_SESSION_SECONDS = 3600


def trust_policy(settings: MemberSettings) -> dict[str, Any]:
    """sts:AssumeRole by the hub's auditor roles only.

    The principal is the hub account's root with the roles in `aws:PrincipalArn` (ArnLike),
    rather than the roles' ARNs as principals: IAM refuses a trust policy naming a role that
    does not exist yet, rewrites it to an unusable id when the role is recreated, and allows no
    wildcard in a principal (an SSO permission set's role has a generated suffix). The root
    alone would admit any principal of the hub that its own policies let assume roles.
    With an organisation, `aws:PrincipalOrgID` must be it too: a hub account that left the
    organisation (or an account id reused elsewhere) is not admitted.
    """
    conditions: dict[str, dict[str, Any]] = {
        "ArnLike": {"aws:PrincipalArn": list(settings.auditor_patterns)}
    }
    if settings.hub.organization_id:
        conditions["StringEquals"] = {"aws:PrincipalOrgID": settings.hub.organization_id}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheHubsAuditorOnly",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{settings.hub.account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": conditions,
            }
        ],
    }


def permission_policy(settings: MemberSettings) -> dict[str, Any]:
    """The audit's reads; the gateway's parameters of this account only (CloudFormation fills
    in the partition and account)."""
    parameters = {
        "Fn::Sub": f"arn:${{AWS::Partition}}:ssm:*:${{AWS::AccountId}}:parameter"
        f"{settings.hub.prefix}/*"
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AuditReads",
                "Effect": "Allow",
                "Action": list(AUDIT_READ_ACTIONS),
                # These List/Describe/Get calls are account-wide listings or support no
                # resource-level scoping that would fit every function and role audited.
                "Resource": "*",
            },
            {
                "Sid": "GatewayParameters",
                "Effect": "Allow",
                "Action": list(PARAMETER_READS),
                "Resource": parameters,
            },
        ],
    }
