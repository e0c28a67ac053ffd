"""The network checks on plain data: which endpoints may exist, and what their policies admit.

Policies are judged by evaluating them (shared_gateway.iampolicy) against the catalogue's probe
table, so each test changes a policy the way someone could change a deployed one and expects
the probe that catches it by name.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from shared_gateway.audit import network_checks
from shared_gateway.audit.network import (
    ESCAPE,
    FAIL_CLOSED,
    NETWORK_REASON_CODES,
    DnsFirewall,
    Finding,
    GatewayFacts,
    VpcEndpoint,
)
from shared_gateway.perimeter import LOGS, OFFERED, REFUSED, Perimeter, endpoint_policy

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ORGANIZATION = "o-a1b2c3d4e5"
VPC = "vpc-pub"
API_ID = "abc123"
RELAY_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "RelayApiOnly",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/*/*/*",
        }
    ],
}
FULL_ACCESS = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


def facts(*services: str, **changes: Any) -> GatewayFacts:
    values: dict[str, Any] = {
        "region": REGION,
        "account": ACCOUNT,
        "api_id": API_ID,
        "services": ("execute-api", "logs", *services),
    }
    values.update(changes)
    return GatewayFacts(**values)


def endpoint(
    name: str,
    policy: dict[str, Any] | str | None = None,
    *,
    kind: str = "Interface",
    endpoint_id: str = "",
    region: str = REGION,
) -> VpcEndpoint:
    text = policy if isinstance(policy, str) or policy is None else json.dumps(policy)
    return VpcEndpoint(
        endpoint_id or f"vpce-{name.replace('.', '-')}",
        name if name.startswith("com.") else f"com.amazonaws.{region}.{name}",
        kind,
        VPC,
        policy=text,
    )


def catalogue_policy(name: str, perimeter: Perimeter | None = None) -> dict[str, Any]:
    service = LOGS if name == "logs" else OFFERED[name]
    return endpoint_policy(service, perimeter or Perimeter(ACCOUNT))


def baseline(*services: str) -> list[VpcEndpoint]:
    """The endpoints a gateway with `services` enabled deploys, with its policies."""
    found = [endpoint("execute-api", RELAY_ONLY), endpoint("logs", catalogue_policy("logs"))]
    for name in services:
        kind = "Gateway" if OFFERED[name].endpoint == "gateway" else "Interface"
        found.append(endpoint(name, catalogue_policy(name), kind=kind))
    return found


def endpoint_findings(endpoints: list[VpcEndpoint], gateway: GatewayFacts) -> list[Finding]:
    """The network findings but the DNS firewall's."""
    found = network_checks.check_network(endpoints, None, gateway, VPC, "/slackgate")
    assert found[-1].code == "dns-firewall-not-associated"
    return found[:-1]


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def without_condition(policy: dict[str, Any], key: str) -> dict[str, Any]:
    changed = copy.deepcopy(policy)
    for statement in changed["Statement"]:
        conditions = statement.pop("Condition", {})
        for operator, block in conditions.items():
            block.pop(key, None)
            if block:
                statement.setdefault("Condition", {})[operator] = block
    return changed


def without_denied(policy: dict[str, Any], action: str) -> dict[str, Any]:
    changed = copy.deepcopy(policy)
    for statement in changed["Statement"]:
        if statement["Effect"] == "Deny":
            statement["Action"] = [a for a in statement["Action"] if a != action]
    return changed


ALL_SERVICES = tuple(OFFERED)


def test_a_gateway_with_every_service_enabled_has_no_findings() -> None:
    assert endpoint_findings(baseline(*ALL_SERVICES), facts(*ALL_SERVICES)) == []


@pytest.mark.parametrize("name", ["logs", *OFFERED])
def test_the_organisation_perimeter_policies_pass_the_organisation_probes(name: str) -> None:
    policy = catalogue_policy(name, Perimeter(ACCOUNT, ORGANIZATION))
    gateway = facts(*OFFERED, organization_id=ORGANIZATION)
    assert network_checks.check_endpoint_policy(endpoint(name, policy), gateway) == []


def test_an_endpoint_of_a_refused_service_says_why() -> None:
    [finding] = endpoint_findings([*baseline(), endpoint("sns", FULL_ACCESS)], facts())
    assert (finding.code, finding.severity) == ("endpoint-refused-service", ESCAPE)
    assert finding.message == (
        f"vpce-sns (com.amazonaws.{REGION}.sns): sns is refused: {REFUSED['sns']}"
    )


def test_a_refused_service_stays_refused_even_when_published() -> None:
    gateway = facts("sns")
    found = endpoint_findings([*baseline(), endpoint("sns", FULL_ACCESS)], gateway)
    assert codes(found) == ["endpoint-refused-service", "published-service-not-offered"]
    assert REFUSED["sns"] in found[1].message and "/slackgate/network/services" in found[1].message


@pytest.mark.parametrize(
    ("name", "refused_as"),
    [("email-smtp", "ses"), ("kinesis-firehose", "firehose"), ("iot.data", "iot")],
)
def test_refused_services_under_their_endpoint_names(name: str, refused_as: str) -> None:
    [finding] = endpoint_findings([*baseline(), endpoint(name)], facts())
    assert finding.code == "endpoint-refused-service" and REFUSED[refused_as] in finding.message


@pytest.mark.parametrize(
    "name",
    [
        "ec2messages",  # not in the catalogue
        "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",  # a PrivateLink partner
        "com.amazonaws.us-east-1.s3",  # another region's (cross-region endpoint)
    ],
)
def test_an_endpoint_outside_the_catalogue(name: str) -> None:
    [finding] = endpoint_findings([*baseline(), endpoint(name, FULL_ACCESS)], facts())
    assert (finding.code, finding.severity) == ("endpoint-unknown-service", ESCAPE)


def test_an_offered_but_unpublished_service_is_reported_and_still_evaluated() -> None:
    found = endpoint_findings([*baseline(), endpoint("ssm", catalogue_policy("ssm"))], facts())
    assert codes(found) == ["endpoint-not-published"]
    assert "ssm is offered but not enabled in /slackgate/network/services" in found[0].message
    broken = endpoint("ssm", without_condition(catalogue_policy("ssm"), "aws:ResourceAccount"))
    assert codes(endpoint_findings([*baseline(), broken], facts())) == [
        "endpoint-not-published",
        "endpoint-policy-perimeter",
        "endpoint-policy-perimeter",
    ]


def test_a_published_service_without_an_endpoint_fails_closed() -> None:
    [finding] = endpoint_findings(baseline("s3"), facts("s3", "sqs"))
    assert (finding.code, finding.severity) == ("endpoint-missing", FAIL_CLOSED)
    assert "sqs is published" in finding.message and VPC in finding.message


def test_the_always_on_endpoints_are_expected_whatever_the_parameter_says() -> None:
    found = endpoint_findings([], facts(services=("s3",)))
    assert [f.message.split(" ")[0] for f in found] == ["execute-api", "logs", "s3"]
    assert set(codes(found)) == {"endpoint-missing"}


def test_gone_endpoints_do_not_count() -> None:
    gone = VpcEndpoint("vpce-x", f"com.amazonaws.{REGION}.sns", "Interface", VPC, "deleted")
    other_vpc = VpcEndpoint("vpce-y", f"com.amazonaws.{REGION}.sns", "Interface", "vpc-other")
    found = network_checks.check_network(
        [*baseline(), gone, other_vpc], None, facts(), VPC, "/slackgate"
    )
    assert codes(found) == ["dns-firewall-not-associated"]


def test_removing_the_resource_account_condition_is_caught_by_its_probe() -> None:
    policy = without_condition(catalogue_policy("s3"), "aws:ResourceAccount")
    found = network_checks.check_endpoint_policy(
        endpoint("s3", policy, kind="Gateway"), facts("s3")
    )
    assert [(f.code, f.severity) for f in found] == [("endpoint-policy-perimeter", ESCAPE)] * 2
    assert [f.message for f in found] == [
        f"vpce-s3 (com.amazonaws.{REGION}.s3): admits s3:GetObject by our principal on another "
        "account's resource",
        f"vpce-s3 (com.amazonaws.{REGION}.s3): admits s3:GetObject with no resource account in "
        "the request",
    ]


def test_removing_the_principal_condition_is_caught_by_its_probe() -> None:
    policy = without_condition(catalogue_policy("sts"), "aws:PrincipalAccount")
    found = network_checks.check_endpoint_policy(endpoint("sts", policy), facts("sts"))
    assert [f.message.split(": ", 1)[1] for f in found] == [
        "admits sts:AssumeRole by another account's principal on our resource",
        "admits sts:GetCallerIdentity by another account's principal",
    ]


def test_an_outward_action_no_longer_denied_is_caught_by_its_probe() -> None:
    policy = without_denied(catalogue_policy("s3"), "s3:PutBucketAcl")
    [finding] = network_checks.check_endpoint_policy(endpoint("s3", policy), facts("s3"))
    assert finding.code == "endpoint-policy-perimeter"
    assert "admits s3:PutBucketAcl by our principal on our resource" in finding.message


@pytest.mark.parametrize("policy", [FULL_ACCESS, None])
def test_the_default_full_access_policy_fails_by_itself(policy: dict[str, Any] | None) -> None:
    found = network_checks.check_endpoint_policy(endpoint("s3", policy), facts("s3"))
    messages = [f.message for f in found]
    assert {f.code for f in found} == {"endpoint-policy-perimeter"}
    assert {f.severity for f in found} == {ESCAPE}
    assert any("admits s3:GetObject by our principal on another account's" in m for m in messages)
    assert any("admits s3:PutBucketPolicy by our principal on our resource" in m for m in messages)
    assert len(found) == 3 + len(OFFERED["s3"].outward_actions)
    if policy is None:
        assert all("(no policy document: AWS's default full access)" in m for m in messages)


def test_an_organisation_policy_audited_as_an_account_fails_closed_with_a_hint() -> None:
    policy = catalogue_policy("kms", Perimeter(ACCOUNT, ORGANIZATION))
    found = network_checks.check_endpoint_policy(endpoint("kms", policy), facts("kms"))
    assert [(f.code, f.severity) for f in found] == [("endpoint-policy-perimeter", FAIL_CLOSED)]
    assert "refuses kms:Decrypt by our principal on our resource" in found[0].message
    assert "--organization-id" in found[0].message


def test_an_account_policy_also_keeps_the_organisation_perimeter() -> None:
    # Narrower than the organisation: nothing outside it is admitted, so no finding.
    gateway = facts("sqs", organization_id=ORGANIZATION)
    assert (
        network_checks.check_endpoint_policy(endpoint("sqs", catalogue_policy("sqs")), gateway)
        == []
    )


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ("{not json", "not JSON"),
        ("[]", "not a JSON object"),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                    }
                ],
            },
            "cannot be evaluated",
        ),
    ],
)
def test_a_policy_that_cannot_be_evaluated_is_not_proven(
    policy: dict[str, Any] | str, fragment: str
) -> None:
    [finding] = network_checks.check_endpoint_policy(endpoint("logs", policy), facts())
    assert (finding.code, finding.severity) == ("endpoint-policy-unreadable", ESCAPE)
    assert fragment in finding.message


def test_the_relay_endpoint_admits_the_relay_api_only() -> None:
    assert network_checks.check_endpoint_policy(endpoint("execute-api", RELAY_ONLY), facts()) == []
    any_api = copy.deepcopy(RELAY_ONLY)
    any_api["Statement"][0]["Resource"] = "*"
    found = network_checks.check_endpoint_policy(endpoint("execute-api", any_api), facts())
    assert [(f.code, f.severity) for f in found] == [("endpoint-policy-relay", ESCAPE)] * 2
    assert "admits execute-api:Invoke of another account's API" in found[1].message
    deny_all = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
    [closed] = network_checks.check_endpoint_policy(endpoint("execute-api", deny_all), facts())
    assert (closed.severity, closed.message.split(": ", 1)[1]) == (
        FAIL_CLOSED,
        "refuses execute-api:Invoke of the relay API",
    )


def test_refused_and_unknown_endpoints_get_no_policy_probes() -> None:
    assert network_checks.check_endpoint_policy(endpoint("sns", FULL_ACCESS), facts()) == []
    assert network_checks.check_endpoint_policy(endpoint("ec2messages"), facts()) == []


def test_check_network_orders_endpoints_then_dns() -> None:
    found = network_checks.check_network(
        [endpoint("sns", FULL_ACCESS), *baseline()], DnsFirewall(), facts(), VPC, "/slackgate"
    )
    assert codes(found) == ["endpoint-refused-service", "dns-firewall-not-associated"]


def test_without_the_gateway_facts_there_is_no_network_audit() -> None:
    from shared_gateway.audit.checks import Network, PublishedNetwork

    network = Network(PublishedNetwork(VPC, frozenset(), "sg-fn"), frozenset())
    assert network_checks.audit_network(network) == []


def test_every_network_code_is_listed() -> None:
    produced = {
        "endpoint-refused-service",
        "endpoint-unknown-service",
        "endpoint-not-published",
        "endpoint-missing",
        "endpoint-policy-perimeter",
        "endpoint-policy-relay",
        "endpoint-policy-unreadable",
        "published-service-not-offered",
        "published-subnet-route",
        "dns-firewall-not-associated",
        "dns-firewall-fail-open",
        "dns-firewall-no-block-all",
        "dns-firewall-extra-name",
        "dns-firewall-missing-name",
        "dns-firewall-unreadable",
    }
    assert produced == set(NETWORK_REASON_CODES)
