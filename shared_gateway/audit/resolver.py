"""AWS adapter for the DNS firewall: Route 53 Resolver's view of one VPC, as plain data.

Kept thin on purpose: the Resolver DNS Firewall APIs have no emulator in moto, so this is
tested with botocore's Stubber (which checks requests and responses against the real API
model), and every judgement lives in `dns_checks.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared_gateway.audit.network import (
    DnsFirewall,
    FirewallAssociation,
    FirewallRule,
)

# A domain list the caller cannot read is reported, not fatal: AWS-managed lists do not
# reveal their domains, and a list can be deleted between two calls. A missing permission on
# the other calls still stops the audit with its own message.
UNREADABLE_LIST_ERRORS = frozenset(
    {"AccessDeniedException", "ResourceNotFoundException", "ValidationException"}
)


def describe_dns_firewall(resolver: Any, vpc_id: str) -> DnsFirewall:
    """Rule-group associations of the VPC, their rules, the domains of every list they use,
    and whether the VPC fails open."""
    from botocore.exceptions import ClientError

    associations = []
    for raw in _pages(
        resolver,
        "list_firewall_rule_group_associations",
        "FirewallRuleGroupAssociations",
        VpcId=vpc_id,
    ):
        rules = tuple(
            FirewallRule(
                priority=int(rule.get("Priority", 0)),
                action=rule.get("Action", ""),
                domain_list_id=rule.get("FirewallDomainListId") or None,
                name=rule.get("Name", ""),
                qtype=rule.get("Qtype", ""),
            )
            for rule in _pages(
                resolver,
                "list_firewall_rules",
                "FirewallRules",
                FirewallRuleGroupId=raw["FirewallRuleGroupId"],
            )
        )
        associations.append(
            FirewallAssociation(
                id=raw.get("Id", ""),
                rule_group_id=raw["FirewallRuleGroupId"],
                priority=int(raw.get("Priority", 0)),
                status=raw.get("Status", ""),
                name=raw.get("Name", ""),
                rules=rules,
            )
        )
    list_ids = sorted({r.domain_list_id for a in associations for r in a.rules if r.domain_list_id})
    domain_lists: dict[str, tuple[str, ...] | None] = {}
    errors: dict[str, str] = {}
    for list_id in list_ids:
        try:
            domain_lists[list_id] = tuple(
                _pages(resolver, "list_firewall_domains", "Domains", FirewallDomainListId=list_id)
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") not in UNREADABLE_LIST_ERRORS:
                raise
            domain_lists[list_id] = None
            errors[list_id] = f"{error.get('Code')}: {error.get('Message', '')}".strip()
    config = resolver.get_firewall_config(ResourceId=vpc_id).get("FirewallConfig", {})
    return DnsFirewall(
        associations=tuple(associations),
        domain_lists=domain_lists,
        domain_list_errors=errors,
        fail_open=config.get("FirewallFailOpen", "DISABLED"),
    )


def _pages(resolver: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in resolver.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])
