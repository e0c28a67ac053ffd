"""The hub model: the isolated subnets shared with the team accounts through AWS RAM (VPC sharing).

Team functions in a participant account run in the gateway's subnets, so the gateway's routes
(none out), DNS Firewall, flow logs and endpoint policies confine them as they confine the
gateway account's own functions, and they reach the relay through the gateway's execute-api
endpoint (its `aws:SourceVpc` is the gateway's VPC).

The function security group is NOT shared. AWS documents security-group sharing for shared
VPCs (RAM resource type `ec2:SecurityGroup`: same organisation only, the owner must own the VPC
and the group, participants cannot modify it), but AWS Lambda is not among the services that
page lists as supporting it:
https://docs.aws.amazon.com/vpc/latest/userguide/security-group-sharing.html
so a team function in a participant account gets a group its own account creates in the
shared VPC, whose rules the hub cannot control. What still holds whatever that group says:
the subnets have no route out, the DNS Firewall and query logging are on the VPC, the
endpoints admit only their policies' requests, and the owner's flow logs see every interface
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html). The endpoint
group, which admits only the hub's function group, then also admits HTTPS from the shared
subnets' ranges: a participant's group cannot be named in it before it exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ram as ram
from constructs import Construct

from ..relay.registry import Registry
from .network import Network

SHARE_NAME = "slackgate-gateway-subnets"


def teams_by_account(registry: Registry) -> dict[str, list[str]]:
    """Each account the registry names in a team's `accounts`, with the teams placed in it."""
    accounts: dict[str, list[str]] = {}
    for slug, team in sorted(registry.teams.items()):
        for account in team.accounts:
            accounts.setdefault(account, []).append(slug)
    return accounts


class SubnetShare(Construct):
    """One resource share: every isolated subnet, with the `shareWith` principals."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        principals: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        subnets = network.subnets.subnets
        self.subnet_arns = [
            stack.format_arn(service="ec2", resource="subnet", resource_name=subnet.subnet_id)
            for subnet in subnets
        ]
        self.share = ram.CfnResourceShare(
            self,
            "Share",
            name=SHARE_NAME,
            resource_arns=self.subnet_arns,
            principals=list(principals),
            # Subnets can be shared only within the owner's organisation (VPC sharing), so
            # principals outside it are never wanted: with False, RAM refuses to associate an
            # account outside the organisation (a mistyped id) instead of inviting a stranger.
            # RAM's default permission for subnets (AWSRAMDefaultPermissionSubnet) applies.
            allow_external_principals=False,
        )
        for index, subnet in enumerate(subnets, start=1):
            # A rule resource of its own per subnet, like every rule of these groups.
            ec2.CfnSecurityGroupIngress(
                self,
                f"EndpointIngressFromSharedSubnet{index}",
                group_id=network.endpoint_sg.security_group_id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ip=subnet.ipv4_cidr_block,
                description="HTTPS from team functions in the shared subnets (their own groups)",
            )
