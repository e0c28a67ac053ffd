"""The SCP that freezes the gateway's network for everyone but the platform.

Three ways to name what belongs to the gateway, because EC2 actions authorize against
different resources: the VPC itself (attaching gateways, peering, transit gateway attachments,
new subnets, route tables, endpoints and security groups all name it); anything whose `ec2:Vpc`
is the gateway's VPC (routes, route tables, subnets, security groups, NAT gateways); and
anything CloudFormation created in the gateway's stack, which carries the tag
`aws:cloudformation:stack-name` that only CloudFormation can set (the VPC endpoints and
their policies). Reads (`Describe*`) authorize on `*` and carry none of these, so the audit and
Lambda's own network-interface calls are untouched.
"""

from __future__ import annotations

from typing import Any

from .settings import GuardrailSettings

# Action wildcards: every create, change or delete of these kinds of network resource.
NETWORK_ACTIONS = [
    "ec2:*Vpc*",  # the VPC, its attributes and CIDRs, endpoints, peering, TGW attachments
    "ec2:*Route*",
    "ec2:*Gateway*",  # internet, egress-only, NAT, transit, VPN, carrier gateways
    "ec2:*SecurityGroup*",
    "ec2:*Subnet*",
    "ec2:*NetworkAcl*",
    "ec2:*FlowLogs*",
]
RESOLVER_WRITES = [
    f"route53resolver:{verb}*"
    for verb in ("Associate", "Disassociate", "Create", "Update", "Delete", "Put", "Import")
]
PARAMETER_WRITES = [
    "ssm:PutParameter",
    "ssm:DeleteParameter*",
    "ssm:LabelParameterVersion",
    "ssm:UnlabelParameterVersion",
]


def network_statements(settings: GuardrailSettings, exempt: bool = True) -> list[dict[str, Any]]:
    platform = settings.not_platform() if exempt else {}

    def deny(sid: str, actions: list[str], condition: dict[str, Any], resource: Any = "*"):
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Deny",
            "Action": actions,
            "Resource": resource,
        }
        if condition or platform:
            statement["Condition"] = {**condition, **platform}
        return statement

    return [
        deny("GatewayVpcFrozen", NETWORK_ACTIONS, {}, settings.vpc_arn),
        deny("GatewayVpcPartsFrozen", NETWORK_ACTIONS, {"ArnLike": {"ec2:Vpc": settings.vpc_arn}}),
        deny(
            "GatewayStackFrozen",
            NETWORK_ACTIONS,
            {
                "StringEquals": {
                    "aws:ResourceTag/aws:cloudformation:stack-name": settings.gateway_stack
                }
            },
        ),
        # Resolver has no condition key naming the VPC: in the gateway's account no one else
        # associates, changes or removes a DNS firewall rule group, resolver rule or endpoint.
        deny(
            "GatewayDnsFirewallFrozen",
            RESOLVER_WRITES,
            # (A boundary binds only roles of this account: it needs no account condition.)
            {"StringEquals": {"aws:PrincipalAccount": settings.account}} if exempt else {},
        ),
        # Team stacks read the network from these parameters at deploy time.
        deny(
            "GatewayParametersFrozen",
            PARAMETER_WRITES,
            {},
            f"arn:aws:ssm:*:*:parameter{settings.prefix}/*",
        ),
    ]


def network_scp(settings: GuardrailSettings) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": network_statements(settings)}
