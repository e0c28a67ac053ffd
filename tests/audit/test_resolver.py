"""Reading the DNS firewall from Route 53 Resolver, with botocore's Stubber.

moto has no DNS Firewall, so these tests stand in for it: the Stubber checks each request's
parameters and each canned response against the real route53resolver API model, so a wrong
operation, parameter or field name fails here rather than in an account.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from shared_gateway.audit import dns_checks
from shared_gateway.audit.network import (
    DnsFirewall,
    FirewallAssociation,
    FirewallRule,
    GatewayFacts,
)
from shared_gateway.audit.resolver import describe_dns_firewall

REGION = "eu-west-1"
VPC = "vpc-0123456789abcdef0"
GROUP = "rslvr-frg-0123456789abcdef"
ALLOWED = "rslvr-fdl-allowed0000000"
EVERYTHING = "rslvr-fdl-everything0000"


@pytest.fixture
def resolver() -> Any:
    return boto3.client("route53resolver", region_name=REGION)


def association(**changes: Any) -> dict[str, Any]:
    values = {
        "Id": "rslvr-frgassoc-0123456789abcdef",
        "FirewallRuleGroupId": GROUP,
        "VpcId": VPC,
        "Name": "slackgate-dns-firewall",
        "Priority": 101,
        "MutationProtection": "ENABLED",
        "Status": "COMPLETE",
    }
    values.update(changes)
    return values


def rule(priority: int, action: str, list_id: str, name: str, **more: Any) -> dict[str, Any]:
    return {
        "FirewallRuleGroupId": GROUP,
        "FirewallDomainListId": list_id,
        "Name": name,
        "Priority": priority,
        "Action": action,
        **more,
    }


def expect_config(stub: Stubber, fail_open: str = "DISABLED") -> None:
    stub.add_response(
        "get_firewall_config",
        {"FirewallConfig": {"ResourceId": VPC, "FirewallFailOpen": fail_open}},
        {"ResourceId": VPC},
    )


def test_associations_rules_and_domains_across_pages(resolver: Any) -> None:
    names = [f"name{i}.eu-west-1.amazonaws.com" for i in range(3)]
    with Stubber(resolver) as stub:
        stub.add_response(
            "list_firewall_rule_group_associations",
            {"FirewallRuleGroupAssociations": [association()], "NextToken": "page-2"},
            {"VpcId": VPC},
        )
        stub.add_response(
            "list_firewall_rules",
            {
                "FirewallRules": [
                    rule(100, "ALLOW", ALLOWED, "allowed"),
                    rule(200, "BLOCK", EVERYTHING, "everything", BlockResponse="NXDOMAIN"),
                ]
            },
            {"FirewallRuleGroupId": GROUP},
        )
        stub.add_response(
            "list_firewall_rule_group_associations",
            {"FirewallRuleGroupAssociations": []},
            {"VpcId": VPC, "NextToken": "page-2"},
        )
        stub.add_response(
            "list_firewall_domains",
            {"Domains": names[:2], "NextToken": "more"},
            {"FirewallDomainListId": ALLOWED},
        )
        stub.add_response(
            "list_firewall_domains",
            {"Domains": names[2:]},
            {"FirewallDomainListId": ALLOWED, "NextToken": "more"},
        )
        stub.add_response(
            "list_firewall_domains", {"Domains": ["*"]}, {"FirewallDomainListId": EVERYTHING}
        )
        expect_config(stub, "ENABLED")
        found = describe_dns_firewall(resolver, VPC)
        stub.assert_no_pending_responses()
    assert found == DnsFirewall(
        associations=(
            FirewallAssociation(
                id="rslvr-frgassoc-0123456789abcdef",
                rule_group_id=GROUP,
                priority=101,
                status="COMPLETE",
                name="slackgate-dns-firewall",
                rules=(
                    FirewallRule(100, "ALLOW", ALLOWED, "allowed"),
                    FirewallRule(200, "BLOCK", EVERYTHING, "everything"),
                ),
            ),
        ),
        domain_lists={ALLOWED: tuple(names), EVERYTHING: ("*",)},
        fail_open="ENABLED",
    )


def test_no_association(resolver: Any) -> None:
    with Stubber(resolver) as stub:
        stub.add_response(
            "list_firewall_rule_group_associations",
            {"FirewallRuleGroupAssociations": []},
            {"VpcId": VPC},
        )
        expect_config(stub)
        found = describe_dns_firewall(resolver, VPC)
    assert found == DnsFirewall()
    facts = GatewayFacts(REGION, "123456789012", "abc123")
    assert [f.code for f in dns_checks.check_dns_firewall(found, facts, VPC)] == [
        "dns-firewall-not-associated"
    ]


def test_threat_rules_and_query_types(resolver: Any) -> None:
    threat = {
        "FirewallRuleGroupId": GROUP,
        "FirewallThreatProtectionId": "rslvr-ftp-0123",
        "Name": "dga",
        "Priority": 150,
        "Action": "BLOCK",
        "DnsThreatProtection": "DGA",
        "ConfidenceThreshold": "HIGH",
    }
    with Stubber(resolver) as stub:
        stub.add_response(
            "list_firewall_rule_group_associations",
            {"FirewallRuleGroupAssociations": [association()]},
            {"VpcId": VPC},
        )
        stub.add_response(
            "list_firewall_rules",
            {"FirewallRules": [threat, rule(200, "BLOCK", EVERYTHING, "a-only", Qtype="A")]},
            {"FirewallRuleGroupId": GROUP},
        )
        stub.add_response(
            "list_firewall_domains", {"Domains": ["*"]}, {"FirewallDomainListId": EVERYTHING}
        )
        expect_config(stub)
        found = describe_dns_firewall(resolver, VPC)
    assert found.associations[0].rules == (
        FirewallRule(150, "BLOCK", None, "dga"),
        FirewallRule(200, "BLOCK", EVERYTHING, "a-only", qtype="A"),
    )


def test_a_domain_list_that_cannot_be_read_is_kept_with_its_error(resolver: Any) -> None:
    with Stubber(resolver) as stub:
        stub.add_response(
            "list_firewall_rule_group_associations",
            {"FirewallRuleGroupAssociations": [association()]},
            {"VpcId": VPC},
        )
        stub.add_response(
            "list_firewall_rules",
            {"FirewallRules": [rule(100, "ALLOW", ALLOWED, "allowed")]},
            {"FirewallRuleGroupId": GROUP},
        )
        stub.add_client_error(
            "list_firewall_domains",
            service_error_code="AccessDeniedException",
            service_message="managed list",
            expected_params={"FirewallDomainListId": ALLOWED},
        )
        expect_config(stub)
        found = describe_dns_firewall(resolver, VPC)
    assert found.domain_lists == {ALLOWED: None}
    assert found.domain_list_errors == {ALLOWED: "AccessDeniedException: managed list"}


def test_other_errors_stop_the_audit(resolver: Any) -> None:
    with Stubber(resolver) as stub:
        stub.add_client_error(
            "list_firewall_rule_group_associations",
            service_error_code="AccessDeniedException",
            expected_params={"VpcId": VPC},
        )
        with pytest.raises(ClientError):
            describe_dns_firewall(resolver, VPC)
