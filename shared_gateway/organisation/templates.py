"""CloudFormation templates: the member stack, and the hub's StackSet that deploys it."""

from __future__ import annotations

import json
import re
from typing import Any

from .audit_role import MAX_SESSION_SECONDS, permission_policy, trust_policy
from .contract import parameter_values
from .settings import HubValues, MemberSettings, OrganisationError

TEMPLATE_VERSION = "2010-09-09"
HUB_STACK = "slackgate-organisation"
STACK_SET = "slackgate-member"
# CloudFormation's limit on a StackSet's TemplateBody (bytes).
TEMPLATE_BODY_MAX_BYTES = 51_200
# The gateway's VPC CIDR (shared_gateway/infra/network.py fixes it; tests/organisation checks the
# synthesized gateway against this), so the renderer knows it without a new published value.
GATEWAY_VPC_CIDR = "10.80.0.0/16"
FUNCTION_GROUP = "FunctionSecurityGroup"
FUNCTION_SG_PARAMETER = "network/function-sg-id"


def _logical_id(suffix: str) -> str:
    return "Parameter" + "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", suffix) if p)


def member_template(settings: MemberSettings) -> dict[str, Any]:
    """Each parameter the gateway publishes, under the same name, holding the hub's value, and
    the read-only audit role.

    The values are written into the template (not template parameters), so what is reviewed in
    the rendered file is what every account gets. Creating a parameter that exists fails the
    stack instead of overwriting it: the gateway's own parameters cannot be replaced this way.
    """
    hub = settings.hub
    resources: dict[str, Any] = {}
    resources[FUNCTION_GROUP] = function_group(hub)
    for name, (kind, value) in parameter_values(hub).items():
        suffix = name.removeprefix(hub.prefix + "/")
        # A function cannot launch with the gateway's group (another account's, not shared):
        # the member's function-sg-id names this account's own group in the shared VPC.
        own = suffix == FUNCTION_SG_PARAMETER
        resources[_logical_id(suffix)] = {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": name,
                "Type": kind,
                "Value": {"Ref": FUNCTION_GROUP} if own else value,
                "Description": (
                    f"slackgate function group of this account in the gateway's VPC {hub.vpc_id}"
                    if own
                    else f"slackgate gateway's {name} (account {hub.account}), copied"
                ),
            },
        }
    resources["AuditRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": settings.audit_role_name,
            "Description": f"slackgate audit, read-only, for the hub account {hub.account}",
            "AssumeRolePolicyDocument": trust_policy(settings),
            "MaxSessionDuration": MAX_SESSION_SECONDS,
            "Policies": [
                {
                    "PolicyName": "slackgate-audit-reads",
                    "PolicyDocument": permission_policy(settings),
                }
            ],
        },
    }
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": f"slackgate member account: the gateway's parameters (hub {hub.account}, "
        f"{hub.region}) and the read-only audit role",
        "Resources": resources,
        "Outputs": {"AuditRoleArn": {"Value": {"Fn::GetAtt": ["AuditRole", "Arn"]}}},
    }


def function_group(hub: HubValues) -> dict[str, Any]:
    """This account's group for team functions in the gateway's shared VPC: no ingress, egress
    HTTPS to the VPC only (the endpoints admit HTTPS from the shared subnets). Nothing yet keeps
    a team with EC2 rights in its account from changing it or making another group in that VPC
    (the guard rails do not cover it: docs/organisation.md, Limits); the isolated subnets, the
    DNS Firewall and the endpoint policies confine the function whatever its group."""
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": f"slackgate team functions: HTTPS to the gateway VPC {hub.vpc_id}",
            "VpcId": hub.vpc_id,
            "SecurityGroupEgress": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": GATEWAY_VPC_CIDR,
                    "Description": "HTTPS to the gateway's VPC endpoints",
                }
            ],
            "Tags": [
                {"Key": "slackgate:managed", "Value": "true"},
                {"Key": "slackgate:hub", "Value": hub.account},
            ],
        },
    }


def template_body(template: dict[str, Any]) -> str:
    """The template as the StackSet stores it: minified, within CloudFormation's limit."""
    body = json.dumps(template, separators=(",", ":"), sort_keys=True)
    size = len(body.encode())
    if size > TEMPLATE_BODY_MAX_BYTES:
        raise OrganisationError(
            f"the member template is {size} bytes, over the StackSet's "
            f"{TEMPLATE_BODY_MAX_BYTES}: fewer auditor patterns or subnets"
        )
    return body


def hub_template(settings: MemberSettings) -> dict[str, Any]:
    """The StackSet, for the management account (SELF) or the StackSets delegated
    administrator (DELEGATED_ADMIN): service-managed, deployed to every account of the OUs
    given, now and when accounts join them, in the gateway's region, except the gateway's own
    account (which has the gateway's own parameters)."""
    hub = settings.hub
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": "slackgate organisation: the member stack in every team account",
        "Parameters": {
            "OrganizationalUnitIds": {
                "Type": "CommaDelimitedList",
                "Description": "OUs (ou-...) or the root (r-...) of the team accounts",
            }
        },
        "Resources": {
            "MemberStackSet": {
                "Type": "AWS::CloudFormation::StackSet",
                "Properties": {
                    "StackSetName": STACK_SET,
                    "Description": "slackgate gateway parameters and audit role, per account",
                    "PermissionModel": "SERVICE_MANAGED",
                    "CallAs": settings.call_as,
                    # An account that leaves the OUs is no member: its copy and role go.
                    "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
                    "Capabilities": ["CAPABILITY_NAMED_IAM"],
                    "ManagedExecution": {"Active": True},
                    "OperationPreferences": {
                        "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
                        "FailureTolerancePercentage": 10,
                        "MaxConcurrentPercentage": 25,
                    },
                    "StackInstancesGroup": [
                        {
                            "DeploymentTargets": {
                                "OrganizationalUnitIds": {"Ref": "OrganizationalUnitIds"},
                                "AccountFilterType": "DIFFERENCE",
                                "Accounts": [hub.account],
                            },
                            "Regions": [hub.region],
                        }
                    ],
                    "TemplateBody": template_body(member_template(settings)),
                },
            }
        },
        "Outputs": {"StackSetId": {"Value": {"Ref": "MemberStackSet"}}},
    }
