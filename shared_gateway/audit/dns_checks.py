"""Does the VPC's DNS firewall still resolve exactly the names of the published services?

A DNS query is itself a way out (`<secret>.attacker.example` reaches the attacker's name
server), so the names a function can resolve must be exactly those it needs: the relay API,
CloudWatch Logs and each published service, followed by a BLOCK rule for `*`.

The firewall is read the way Resolver applies it: rule groups in association priority order,
rules in rule priority order, the first ALLOW or BLOCK rule that matches a name decides (ALERT
rules only log). A name is compared as the domain list spells it (case and a trailing dot
aside), so a wildcard such as `*.amazonaws.com` is an extra name, not a cover for others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from shared_gateway.audit.network import (
    ESCAPE,
    FAIL_CLOSED,
    DnsFirewall,
    Finding,
    FirewallAssociation,
    FirewallRule,
    GatewayFacts,
)
from shared_gateway.perimeter import LOGS

ALLOW = "ALLOW"
BLOCK = "BLOCK"
EVERYTHING = "*"
FAIL_OPEN = "ENABLED"
GONE_ASSOCIATION_STATES = frozenset({"DELETING"})


def expected_names(facts: GatewayFacts) -> list[str]:
    """The relay API, CloudWatch Logs, then each published service's names."""
    names = [f"{facts.api_id}.execute-api.{facts.region}.{facts.suffix}"]
    for service in (LOGS, *facts.enabled()):
        names += service.domains(facts.region, facts.account, facts.suffix)
    return [normalize(name) for name in names]


def normalize(name: str) -> str:
    return name.strip().lower().rstrip(".") or name


@dataclass
class _Walk:
    """What the ordered rules decide: the allowed names (each with the rule that allowed it),
    the rule that blocks everything else, and ALLOW rules whose domains cannot be read."""

    allowed: dict[str, str] = field(default_factory=dict)
    decided: set[str] = field(default_factory=set)
    block_all: str | None = None
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def _label(association: FirewallAssociation, rule: FirewallRule) -> str:
    name = f"rule {rule.name!r}" if rule.name else "a rule"
    return (
        f"{name} (priority {rule.priority}) of rule group {association.rule_group_id} "
        f"(association priority {association.priority})"
    )


def live_associations(firewall: DnsFirewall | None) -> list[FirewallAssociation]:
    if firewall is None:
        return []
    return [a for a in firewall.associations if a.status not in GONE_ASSOCIATION_STATES]


def _ordered(firewall: DnsFirewall) -> Iterable[tuple[FirewallAssociation, FirewallRule]]:
    associations = live_associations(firewall)
    for association in sorted(associations, key=lambda a: (a.priority, a.id)):
        for rule in sorted(association.rules, key=lambda r: (r.priority, r.name)):
            yield association, rule


def walk(firewall: DnsFirewall) -> _Walk:
    found = _Walk()
    for association, rule in _ordered(firewall):
        if rule.domain_list_id is None or rule.action not in (ALLOW, BLOCK):
            continue  # threat-detection rules and ALERT rules decide no name by list
        domains = firewall.domain_lists.get(rule.domain_list_id)
        if domains is None:
            if rule.action == ALLOW:
                why = firewall.domain_list_errors.get(rule.domain_list_id, "not found")
                found.unreadable.append((_label(association, rule), why))
            continue
        names = [normalize(d) for d in domains]
        if rule.action == BLOCK and EVERYTHING in names and not rule.qtype:
            found.block_all = _label(association, rule)
            return found  # nothing after this rule is ever reached
        for name in names:
            if name not in found.decided and rule.action == ALLOW:
                found.allowed[name] = _label(association, rule)
            if rule.action == ALLOW or not rule.qtype:  # a one-type block leaves the rest
                found.decided.add(name)
    return found


def check_dns_firewall(
    firewall: DnsFirewall | None, facts: GatewayFacts, vpc_id: str
) -> list[Finding]:
    if firewall is None or not live_associations(firewall):
        return [
            Finding(
                "dns-firewall-not-associated",
                ESCAPE,
                f"no DNS firewall rule group is associated with {vpc_id}: functions can resolve "
                "any name, and a query carries data to whoever answers for it",
            )
        ]
    findings: list[Finding] = []
    if firewall.fail_open == FAIL_OPEN:
        findings.append(
            Finding(
                "dns-firewall-fail-open",
                ESCAPE,
                f"the DNS firewall of {vpc_id} fails open (FirewallFailOpen ENABLED): queries "
                "pass unfiltered whenever the firewall is impaired; set it to DISABLED",
            )
        )
    found = walk(firewall)
    expected = expected_names(facts)
    findings += [
        Finding(
            "dns-firewall-unreadable",
            ESCAPE,
            f"the domains allowed by {label} cannot be read ({why}), so the allowed names "
            "cannot be proven",
        )
        for label, why in found.unreadable
    ]
    findings += [
        Finding(
            "dns-firewall-extra-name",
            ESCAPE,
            f"the DNS firewall allows {name} ({rule}), which no published service needs",
        )
        for name, rule in sorted(found.allowed.items())
        if name not in expected
    ]
    findings += [
        Finding(
            "dns-firewall-missing-name",
            FAIL_CLOSED,
            f"the DNS firewall does not allow {name}, which "
            f"{_needed_by(name, facts)} needs: calls to it fail",
        )
        for name in expected
        if name not in found.allowed
    ]
    if found.block_all is None:
        findings.append(
            Finding(
                "dns-firewall-no-block-all",
                ESCAPE,
                f"no BLOCK rule for '*' (all query types) follows the allowed names on {vpc_id}: "
                "every other name resolves",
            )
        )
    return findings


def _needed_by(name: str, facts: GatewayFacts) -> str:
    if name.endswith(f".execute-api.{facts.region}.{facts.suffix}"):
        return "the relay API"
    for service in (LOGS, *facts.enabled()):
        if name in (
            normalize(n) for n in service.domains(facts.region, facts.account, facts.suffix)
        ):
            return service.title
    return "a published service"
