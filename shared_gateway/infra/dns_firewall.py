"""Route 53 Resolver DNS Firewall: the VPC resolves the names its functions need, nothing else.

A query is itself a way out (`<secret>.attacker.example` reaches the attacker's name
server), so every name not on the allow list is answered NXDOMAIN by the Resolver
and never forwarded. The allow list:

- `<relay-api-id>.execute-api.<region>.amazonaws.com` — the relay (answered by the
  execute-api endpoint's private DNS zone); never `*.execute-api...`
- `logs.<region>.amazonaws.com` — CloudWatch Logs, through its interface endpoint
- for each service enabled in `slackgate:services`, exactly the regional names the
  catalogue gives it (`Service.domains`, shared_gateway/perimeter/services.py), e.g.
  `ssm.<region>.amazonaws.com`, or S3's `s3.<region>...` and `*.s3.<region>...` (the
  bucket is part of the host name; that zone is answered by AWS's name servers only).
  Never `*.amazonaws.com`, never a global or another region's name.

Lambda delivers a function's own stdout/stderr logs outside the VPC, and SigV4 signing
needs no call to STS, so no other AWS name is needed. The association uses the
Resolver's default fail-closed behaviour (FirewallFailOpen disabled).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53resolver as resolver
from constructs import Construct

from ..perimeter import LOGS, Service

ALLOW_PRIORITY = 100
BLOCK_PRIORITY = 200  # evaluated after the allow rule (lower numbers go first)


def allowed_domains(
    api_id: str,
    region: str,
    account: str,
    services: Sequence[Service] = (),
    url_suffix: str = "amazonaws.com",
) -> list[str]:
    """The relay's API name, CloudWatch Logs' names, then each enabled service's names."""
    names = [f"{api_id}.execute-api.{region}.{url_suffix}"]
    for service in (LOGS, *services):
        names += service.domains(region, account, url_suffix)
    return names


class DnsFirewall(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        api_id: str,
        services: Sequence[Service] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.allowed = resolver.CfnFirewallDomainList(
            self,
            "Allowed",
            name=f"{stack.stack_name}-allowed",
            domains=allowed_domains(api_id, stack.region, stack.account, services),
        )
        self.everything = resolver.CfnFirewallDomainList(
            self, "Everything", name=f"{stack.stack_name}-everything", domains=["*"]
        )
        self.rule_group = resolver.CfnFirewallRuleGroup(
            self,
            "Rules",
            name=f"{stack.stack_name}-rules",
            firewall_rules=[
                resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                    action="ALLOW",
                    firewall_domain_list_id=self.allowed.attr_id,
                    priority=ALLOW_PRIORITY,
                ),
                resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                    action="BLOCK",
                    block_response="NXDOMAIN",
                    firewall_domain_list_id=self.everything.attr_id,
                    priority=BLOCK_PRIORITY,
                ),
            ],
        )
        self.association = resolver.CfnFirewallRuleGroupAssociation(
            self,
            "Association",
            firewall_rule_group_id=self.rule_group.attr_id,
            vpc_id=vpc.vpc_id,
            priority=101,  # 100 and 9900+ are reserved
            name=f"{stack.stack_name}-dns-firewall",
            mutation_protection="ENABLED",  # cannot be disassociated without lifting this
        )
