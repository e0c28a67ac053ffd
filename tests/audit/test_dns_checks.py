"""The DNS firewall check on plain data: exactly the published services' names, then block all."""

from __future__ import annotations

from shared_gateway.audit import dns_checks
from shared_gateway.audit.network import (
    ESCAPE,
    FAIL_CLOSED,
    DnsFirewall,
    Finding,
    FirewallAssociation,
    FirewallRule,
    GatewayFacts,
)

REGION = "eu-west-1"
ACCOUNT = "123456789012"
VPC = "vpc-pub"
FACTS = GatewayFacts(REGION, ACCOUNT, "abc123", services=("execute-api", "logs", "s3", "dynamodb"))
EXPECTED = [
    "abc123.execute-api.eu-west-1.amazonaws.com",
    "logs.eu-west-1.amazonaws.com",
    "s3.eu-west-1.amazonaws.com",
    "*.s3.eu-west-1.amazonaws.com",
    "dynamodb.eu-west-1.amazonaws.com",
    "123456789012.ddb.eu-west-1.amazonaws.com",
]
ALLOW_RULE = FirewallRule(100, "ALLOW", "fdl-allowed", "allowed")
BLOCK_RULE = FirewallRule(200, "BLOCK", "fdl-everything", "everything")


def firewall(
    allowed: list[str] | None = None,
    rules: tuple[FirewallRule, ...] = (ALLOW_RULE, BLOCK_RULE),
    more: tuple[FirewallAssociation, ...] = (),
    lists: dict[str, tuple[str, ...] | None] | None = None,
    **changes: object,
) -> DnsFirewall:
    domain_lists: dict[str, tuple[str, ...] | None] = {
        "fdl-allowed": tuple(EXPECTED if allowed is None else allowed),
        "fdl-everything": ("*",),
        **(lists or {}),
    }
    association = FirewallAssociation("assoc-1", "frg-slackgate", 101, "COMPLETE", "", rules)
    return DnsFirewall((association, *more), domain_lists, **changes)  # type: ignore[arg-type]


def check(fw: DnsFirewall | None, facts: GatewayFacts = FACTS) -> list[Finding]:
    return dns_checks.check_dns_firewall(fw, facts, VPC)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_expected_names_of_the_relay_logs_and_published_services() -> None:
    assert dns_checks.expected_names(FACTS) == EXPECTED
    china = GatewayFacts("cn-north-1", ACCOUNT, "abc123", partition="aws-cn")
    assert dns_checks.expected_names(china) == [
        "abc123.execute-api.cn-north-1.amazonaws.com.cn",
        "logs.cn-north-1.amazonaws.com.cn",
    ]


def test_the_published_names_then_block_all_pass() -> None:
    assert check(firewall()) == []
    # Domain lists may spell names with a trailing dot or in capitals.
    assert check(firewall([name.upper() + "." for name in EXPECTED])) == []


def test_an_extra_name_is_an_escape_naming_the_rule() -> None:
    [finding] = check(firewall([*EXPECTED, "evil.example"]))
    assert (finding.code, finding.severity) == ("dns-firewall-extra-name", ESCAPE)
    assert finding.message == (
        "the DNS firewall allows evil.example (rule 'allowed' (priority 100) of rule group "
        "frg-slackgate (association priority 101)), which no published service needs"
    )


def test_a_broad_wildcard_is_an_extra_name() -> None:
    found = check(firewall([*EXPECTED, "*.amazonaws.com"]))
    assert codes(found) == ["dns-firewall-extra-name"] and "*.amazonaws.com" in found[0].message


def test_a_missing_name_fails_closed() -> None:
    found = check(firewall(EXPECTED[:-1]))
    assert [(f.code, f.severity) for f in found] == [("dns-firewall-missing-name", FAIL_CLOSED)]
    assert "123456789012.ddb.eu-west-1.amazonaws.com" in found[0].message
    assert "Amazon DynamoDB needs" in found[0].message


def test_a_name_of_an_unpublished_service_is_extra() -> None:
    only_logs = GatewayFacts(REGION, ACCOUNT, "abc123")
    found = check(firewall(), only_logs)
    assert codes(found) == ["dns-firewall-extra-name"] * 4


def test_no_association() -> None:
    for fw in (None, DnsFirewall(), DnsFirewall(fail_open="ENABLED")):
        [finding] = check(fw)
        assert (finding.code, finding.severity) == ("dns-firewall-not-associated", ESCAPE)
        assert VPC in finding.message


def test_an_association_being_deleted_does_not_count() -> None:
    deleting = FirewallAssociation("assoc-1", "frg", 101, "DELETING", "", (ALLOW_RULE, BLOCK_RULE))
    assert codes(check(DnsFirewall((deleting,), firewall().domain_lists))) == [
        "dns-firewall-not-associated"
    ]


def test_no_block_all() -> None:
    [finding] = check(firewall(rules=(ALLOW_RULE,)))
    assert (finding.code, finding.severity) == ("dns-firewall-no-block-all", ESCAPE)


def test_alert_or_a_single_query_type_is_not_block_all() -> None:
    alert = FirewallRule(200, "ALERT", "fdl-everything", "everything")
    a_only = FirewallRule(200, "BLOCK", "fdl-everything", "everything", qtype="A")
    for rule in (alert, a_only):
        assert codes(check(firewall(rules=(ALLOW_RULE, rule)))) == ["dns-firewall-no-block-all"]


def test_block_all_before_the_allow_rule_blocks_the_published_names() -> None:
    early_block = FirewallRule(50, "BLOCK", "fdl-everything", "everything")
    found = check(firewall(rules=(ALLOW_RULE, early_block)))
    assert codes(found) == ["dns-firewall-missing-name"] * len(EXPECTED)


def test_a_name_blocked_before_it_is_allowed_is_missing() -> None:
    block_logs = FirewallRule(10, "BLOCK", "fdl-logs", "no-logs")
    fw = firewall(rules=(block_logs, ALLOW_RULE, BLOCK_RULE), lists={"fdl-logs": (EXPECTED[1],)})
    found = check(fw)
    assert codes(found) == ["dns-firewall-missing-name"] and EXPECTED[1] in found[0].message


def test_a_block_of_one_query_type_leaves_the_name_to_later_rules() -> None:
    block_txt = FirewallRule(10, "BLOCK", "fdl-logs", "no-txt", qtype="TXT")
    fw = firewall(rules=(block_txt, ALLOW_RULE, BLOCK_RULE), lists={"fdl-logs": (EXPECTED[1],)})
    assert check(fw) == []


def test_another_rule_group_first_can_allow_more() -> None:
    other = FirewallAssociation(
        "assoc-0",
        "frg-other",
        100,
        "COMPLETE",
        "",
        (FirewallRule(1, "ALLOW", "fdl-other", "team"),),
    )
    found = check(firewall(more=(other,), lists={"fdl-other": ("exfil.example",)}))
    assert codes(found) == ["dns-firewall-extra-name"] and "frg-other" in found[0].message


def test_rules_after_block_all_are_never_reached() -> None:
    later = FirewallAssociation(
        "assoc-9",
        "frg-later",
        9000,
        "COMPLETE",
        "",
        (FirewallRule(1, "ALLOW", "fdl-other", "late"),),
    )
    assert check(firewall(more=(later,), lists={"fdl-other": ("exfil.example",)})) == []


def test_threat_protection_rules_have_no_list_and_change_nothing() -> None:
    threat = FirewallRule(150, "BLOCK", None, "dga-threats")
    assert check(firewall(rules=(ALLOW_RULE, threat, BLOCK_RULE))) == []


def test_an_unreadable_allow_list_is_not_proven_but_a_block_list_may_be_unreadable() -> None:
    managed_block = FirewallRule(50, "BLOCK", "fdl-managed", "malware")
    fw = firewall(rules=(managed_block, ALLOW_RULE, BLOCK_RULE), lists={"fdl-managed": None})
    assert check(fw) == []
    managed_allow = FirewallRule(50, "ALLOW", "fdl-managed", "mystery")
    fw = firewall(
        rules=(managed_allow, ALLOW_RULE, BLOCK_RULE),
        lists={"fdl-managed": None},
        domain_list_errors={"fdl-managed": "AccessDeniedException: no"},
    )
    [finding] = check(fw)
    assert (finding.code, finding.severity) == ("dns-firewall-unreadable", ESCAPE)
    assert "AccessDeniedException: no" in finding.message and "'mystery'" in finding.message


def test_fail_open() -> None:
    [finding] = check(firewall(fail_open="ENABLED"))
    assert (finding.code, finding.severity) == ("dns-firewall-fail-open", ESCAPE)
    assert check(firewall(fail_open="USE_LOCAL_RESOURCE_SETTING")) == []
