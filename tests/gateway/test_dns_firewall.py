"""DNS Firewall: allow the relay's and CloudWatch Logs' names, block every other name."""

from __future__ import annotations

import pytest

from .conftest import Synthesized, resolve_join

pytestmark = pytest.mark.slow


def test_domain_lists(gateway: Synthesized) -> None:
    lists = {
        k: [resolve_join(d) for d in r["Properties"]["Domains"]]
        for k, r in gateway.resources("AWS::Route53Resolver::FirewallDomainList").items()
    }
    api_id, _ = gateway.one("AWS::ApiGateway::RestApi")
    assert sorted(lists.values()) == sorted(
        [
            ["*"],
            [f"${{{api_id}}}.execute-api.eu-west-1.amazonaws.com", "logs.eu-west-1.amazonaws.com"],
        ]
    )


def test_allow_rule_before_block_everything_rule(gateway: Synthesized) -> None:
    lists = gateway.resources("AWS::Route53Resolver::FirewallDomainList")
    everything = next(k for k, r in lists.items() if r["Properties"]["Domains"] == ["*"])
    allowed = next(k for k in lists if k != everything)
    _, group = gateway.one("AWS::Route53Resolver::FirewallRuleGroup")
    rules = {r["Action"]: r for r in group["Properties"]["FirewallRules"]}
    assert set(rules) == {"ALLOW", "BLOCK"}
    assert rules["ALLOW"]["FirewallDomainListId"] == {"Fn::GetAtt": [allowed, "Id"]}
    assert rules["BLOCK"]["FirewallDomainListId"] == {"Fn::GetAtt": [everything, "Id"]}
    assert rules["BLOCK"]["BlockResponse"] == "NXDOMAIN"
    # Lower numbers are evaluated first: the block-everything rule comes last.
    assert rules["ALLOW"]["Priority"] < rules["BLOCK"]["Priority"]


def test_rule_group_is_associated_with_the_vpc(gateway: Synthesized) -> None:
    group_id, _ = gateway.one("AWS::Route53Resolver::FirewallRuleGroup")
    vpc_id, _ = gateway.one("AWS::EC2::VPC")
    _, association = gateway.one("AWS::Route53Resolver::FirewallRuleGroupAssociation")
    props = association["Properties"]
    assert props["FirewallRuleGroupId"] == {"Fn::GetAtt": [group_id, "Id"]}
    assert props["VpcId"] == {"Ref": vpc_id}
    assert props["MutationProtection"] == "ENABLED"
