"""The confinement rules on plain data, no AWS.

Several route targets (virtual private gateway, local and carrier gateway, Cloud WAN, Gateway
Load Balancer endpoint, instance, network interface, egress-only gateway) are awkward or
impossible to create in moto, so their rules are tested here rather than end to end.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from shared_gateway.audit import checks, report
from shared_gateway.audit.checks import (
    EgressRule,
    FunctionUrl,
    FunctionVersion,
    LambdaFunction,
    Network,
    PublishedNetwork,
    Reason,
    Route,
    RouteTable,
    SecurityGroup,
)
from shared_gateway.audit.network import NETWORK_REASON_CODES, GatewayFacts, VpcEndpoint

DOCS = Path(__file__).parents[2] / "docs" / "audit.md"
VPC = "vpc-pub"
SUBNETS = ("subnet-a", "subnet-b")
FUNCTION_SG = "sg-fn"
ENDPOINT_SG = "sg-ep"
TABLE = "rtb-iso"
LOCAL = Route("10.0.0.0/16", "GatewayId", "local")
TO_ENDPOINT = EgressRule("tcp", 443, 443, "security-group", ENDPOINT_SG)
ROLE = "arn:aws:iam::123456789012:role/slackgate-payments-nightly"


def network(
    routes: tuple[Route, ...] = (LOCAL,),
    egress: tuple[EgressRule, ...] = (TO_ENDPOINT,),
    main_routes: tuple[Route, ...] = (LOCAL,),
    associated: tuple[str, ...] = SUBNETS,
    **changes: object,
) -> Network:
    base = Network(
        published=PublishedNetwork(VPC, frozenset(SUBNETS), FUNCTION_SG),
        endpoint_sg_ids=frozenset({ENDPOINT_SG}),
        route_tables=(
            RouteTable(TABLE, VPC, False, frozenset(associated), routes),
            RouteTable("rtb-main", VPC, True, frozenset(), main_routes),
        ),
        security_groups={
            FUNCTION_SG: SecurityGroup(FUNCTION_SG, VPC, egress),
            "sg-quiet": SecurityGroup("sg-quiet", VPC, ()),
        },
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def version(**changes: object) -> FunctionVersion:
    values: dict[str, object] = {
        "version": checks.LATEST,
        "role_arn": ROLE,
        "vpc_id": VPC,
        "subnet_ids": SUBNETS,
        "security_group_ids": (FUNCTION_SG,),
    }
    values.update(changes)
    return FunctionVersion(**values)  # type: ignore[arg-type]


def function(*versions: FunctionVersion, **changes: object) -> LambdaFunction:
    values: dict[str, object] = {
        "name": "nightly",
        "arn": "arn:aws:lambda:eu-west-1:123456789012:function:nightly",
        "versions": versions or (version(),),
    }
    values.update(changes)
    return LambdaFunction(**values)  # type: ignore[arg-type]


def codes(reasons: list[Reason] | tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


def verdict_codes(fn: LambdaFunction, net: Network | None = None) -> list[str]:
    return codes(checks.audit_function(fn, net or network()).reasons)


def test_confined_function_has_no_reasons() -> None:
    verdict = checks.audit_function(function(), network())
    assert (verdict.status, verdict.team, verdict.reasons) == ("confined", "payments", ())


@pytest.mark.parametrize(
    ("target_field", "target_id", "code"),
    [
        ("GatewayId", "igw-1", "route-internet-gateway"),
        ("GatewayId", "vgw-1", "route-virtual-private-gateway"),
        ("NatGatewayId", "nat-1", "route-nat-gateway"),
        ("EgressOnlyInternetGatewayId", "eigw-1", "route-egress-only-internet-gateway"),
        ("TransitGatewayId", "tgw-1", "route-transit-gateway"),
        ("VpcPeeringConnectionId", "pcx-1", "route-vpc-peering"),
        ("InstanceId", "i-1", "route-instance"),
        ("NetworkInterfaceId", "eni-1", "route-network-interface"),
        ("CarrierGatewayId", "cagw-1", "route-carrier-gateway"),
        ("LocalGatewayId", "lgw-1", "route-local-gateway"),
        ("CoreNetworkArn", "arn:aws:networkmanager::1:core-network/c-1", "route-core-network"),
        ("GatewayId", "vpce-gwlb", "route-vpc-endpoint"),
        ("GatewayId", "xyz-1", "route-unknown-target"),
        ("OdbNetworkArn", "arn:aws:odb:1:odb-network/o-1", "route-unknown-target"),
    ],
)
def test_every_route_out_is_reported(target_field: str, target_id: str, code: str) -> None:
    bad = Route("0.0.0.0/0", target_field, target_id)
    reasons = checks.check_routes(version(), network(routes=(LOCAL, bad)))
    assert codes(reasons) == [code]
    assert target_id in reasons[0].message and TABLE in reasons[0].message


def gateway_endpoint(endpoint_id: str, vpc_id: str = VPC) -> VpcEndpoint:
    return VpcEndpoint(endpoint_id, "com.amazonaws.eu-west-1.s3", "Gateway", vpc_id)


def test_local_and_own_gateway_endpoint_routes_are_fine() -> None:
    s3_endpoint = Route("pl-6ca54005", "GatewayId", "vpce-s3")
    net = network(routes=(LOCAL, s3_endpoint), endpoints=(gateway_endpoint("vpce-s3"),))
    assert checks.check_routes(version(), net) == []


@pytest.mark.parametrize(
    "endpoints",
    [
        (),  # a Gateway Load Balancer endpoint: not among the VPC's gateway endpoints
        (gateway_endpoint("vpce-s3", vpc_id="vpc-other"),),
        (dataclasses.replace(gateway_endpoint("vpce-s3"), state="deleted"),),
        (dataclasses.replace(gateway_endpoint("vpce-s3"), endpoint_type="GatewayLoadBalancer"),),
    ],
)
def test_a_prefix_list_to_any_other_endpoint_is_a_way_out(
    endpoints: tuple[VpcEndpoint, ...],
) -> None:
    # A route's destination can be a customer prefix list, sent to an appliance endpoint.
    route = Route("pl-customer", "GatewayId", "vpce-s3")
    net = network(routes=(LOCAL, route), endpoints=endpoints)
    [reason] = checks.check_routes(version(), net)
    assert reason.code == "route-vpc-endpoint" and "vpce-s3" in reason.message


def test_ipv6_default_route_to_egress_only_gateway() -> None:
    bad = Route("::/0", "EgressOnlyInternetGatewayId", "eigw-1")
    [reason] = checks.check_routes(version(), network(routes=(LOCAL, bad)))
    assert reason.code == "route-egress-only-internet-gateway" and "::/0" in reason.message


def test_blackhole_route_is_still_reported_with_its_state() -> None:
    bad = Route("0.0.0.0/0", "NatGatewayId", "nat-gone", state="blackhole")
    [reason] = checks.check_routes(version(), network(routes=(LOCAL, bad)))
    assert "(blackhole)" in reason.message


def test_unassociated_subnet_falls_back_to_the_main_table() -> None:
    bad = Route("0.0.0.0/0", "GatewayId", "igw-1")
    net = network(associated=("subnet-a",), main_routes=(LOCAL, bad))
    [reason] = checks.check_routes(version(), net)
    assert reason.code == "route-internet-gateway"
    assert "rtb-main" in reason.message and "main table of vpc-pub" in reason.message
    assert "subnet-b" in reason.message and "subnet-a" not in reason.message


def test_one_table_for_both_subnets_is_reported_once() -> None:
    bad = Route("0.0.0.0/0", "GatewayId", "igw-1")
    [reason] = checks.check_routes(version(), network(routes=(LOCAL, bad)))
    assert "subnets subnet-a, subnet-b" in reason.message


def test_no_route_table_at_all() -> None:
    net = network(route_tables=())
    assert codes(checks.check_routes(version(), net)) == ["route-table-not-found"] * 2


@pytest.mark.parametrize(
    ("rule", "code", "fragment"),
    [
        (EgressRule("-1", None, None, "ipv4", "0.0.0.0/0"), "egress-any-ipv4", "all traffic"),
        (EgressRule("tcp", 443, 443, "ipv6", "::/0"), "egress-any-ipv6", "tcp 443 to ::/0"),
        (EgressRule("udp", 53, 53, "ipv4", "10.0.0.2/32"), "egress-cidr", "udp 53"),
        (EgressRule("tcp", 443, 443, "prefix-list", "pl-1"), "egress-prefix-list", "pl-1"),
        (EgressRule("tcp", 443, 443, "security-group", "sg-other"), "egress-security-group", ""),
        (EgressRule("tcp", 0, 65535, "security-group", ENDPOINT_SG), "egress-port", "all ports"),
        (EgressRule("udp", 443, 443, "security-group", ENDPOINT_SG), "egress-port", "udp 443"),
        (EgressRule("-1", None, None, "security-group", ENDPOINT_SG), "egress-port", "all"),
        (EgressRule("6", 80, 443, "security-group", ENDPOINT_SG), "egress-port", "tcp 80-443"),
    ],
)
def test_extra_egress_is_reported_precisely(rule: EgressRule, code: str, fragment: str) -> None:
    reasons = checks.check_egress(version(), network(egress=(TO_ENDPOINT, rule)))
    assert codes(reasons) == [code]
    assert fragment in reasons[0].message and FUNCTION_SG in reasons[0].message


def test_tcp_443_by_protocol_number_is_allowed() -> None:
    rule = EgressRule("6", 443, 443, "security-group", ENDPOINT_SG)
    assert checks.check_egress(version(), network(egress=(rule,))) == []


def test_without_an_endpoint_no_group_is_allowed() -> None:
    [reason] = checks.check_egress(version(), network(endpoint_sg_ids=frozenset()))
    assert reason.code == "egress-security-group"
    assert "no interface endpoint of an enabled service" in reason.message


def test_endpoint_group_shared_with_other_interfaces() -> None:
    net = network(endpoint_sg_other_enis={ENDPOINT_SG: ("eni-9 (proxy)",)})
    [reason] = checks.check_egress(version(), net)
    assert reason.code == "endpoint-security-group-shared" and "eni-9 (proxy)" in reason.message


def test_unknown_security_group() -> None:
    reasons = checks.check_egress(version(security_group_ids=(FUNCTION_SG, "sg-gone")), network())
    assert codes(reasons) == ["security-group-not-found"]


def test_placement() -> None:
    published = network().published
    assert codes(checks.check_placement(version(subnet_ids=()), published)) == ["not-in-vpc"]
    assert codes(checks.check_placement(version(vpc_id="vpc-x"), published)) == ["wrong-vpc"]
    extra = version(subnet_ids=(*SUBNETS, "subnet-z"))
    assert codes(checks.check_placement(extra, published)) == ["subnet-not-published"]
    swapped = version(security_group_ids=("sg-quiet",))
    assert codes(checks.check_placement(swapped, published)) == [
        "function-security-group-missing",
        "extra-security-group",
    ]


@pytest.mark.parametrize(
    ("role", "tags", "team", "reason_codes"),
    [
        ("slackgate-payments-nightly", {}, "payments", []),
        ("slackgate-payments-nightly-job", {"slackgate:team": "payments"}, "payments", []),
        ("reporting", {"slackgate:team": "billing"}, "billing", []),
        (
            "slackgate-payments-nightly",
            {"slackgate:team": "billing"},
            "payments",
            ["team-mismatch"],
        ),
        ("slackgate-relay", {}, None, ["team-unknown"]),
        ("slackgate-Payments-x", {}, None, ["team-unknown"]),
        ("reporting", {"slackgate:team": "Billing Team"}, None, ["team-unknown"]),
    ],
)
def test_team(role: str, tags: dict[str, str], team: str | None, reason_codes: list[str]) -> None:
    fn = function(version(role_arn=f"arn:aws:iam::1:role/service/{role}"), tags=tags)
    verdict = checks.audit_function(fn, network())
    assert (verdict.team, codes(verdict.reasons)) == (team, reason_codes)


def test_membership() -> None:
    assert checks.is_slackgate(function())
    assert checks.is_slackgate(
        function(version(role_arn="arn:aws:iam::1:role/x"), tags={"slackgate:team": "a1"})
    )
    assert not checks.is_slackgate(function(version(role_arn="arn:aws:iam::1:role/Slackgate-x")))
    old_role = version(version="1", role_arn=ROLE)
    assert checks.is_slackgate(function(version(role_arn="arn:aws:iam::1:role/x"), old_role))
    others = [function(version(role_arn="arn:aws:iam::1:role/etl"), name="etl"), function()]
    assert [v.name for v in checks.audit(others, network())] == ["nightly"]


def test_versions_report_only_what_latest_does_not_already_say() -> None:
    fn = function(
        version(subnet_ids=(*SUBNETS, "subnet-z")),
        version(version="1", subnet_ids=()),
        version(version="2", subnet_ids=()),
        version(version="3", subnet_ids=(*SUBNETS, "subnet-z")),
    )
    reasons = checks.audit_function(fn, network()).reasons
    assert [(r.code, r.message.split(":")[0]) for r in reasons] == [
        ("subnet-not-published", "subnet subnet-z is not one of the published subnets"),
        ("not-in-vpc", "versions 1, 2"),
    ]


def test_function_urls() -> None:
    fn = function(
        urls=(
            FunctionUrl("https://b.lambda-url.eu-west-1.on.aws/", "NONE", "live"),
            FunctionUrl("https://a.lambda-url.eu-west-1.on.aws/", "AWS_IAM"),
        )
    )
    reasons = checks.audit_function(fn, network()).reasons
    assert codes(reasons) == ["function-url", "function-url"]
    assert "auth AWS_IAM" in reasons[0].message and "on live (auth NONE)" in reasons[1].message


def test_every_code_is_documented() -> None:
    produced = {
        "not-in-vpc",
        "wrong-vpc",
        "subnet-not-published",
        "function-security-group-missing",
        "extra-security-group",
        "security-group-not-found",
        "route-table-not-found",
        "route-vpc-endpoint",
        "route-unknown-target",
        "egress-any-ipv4",
        "egress-any-ipv6",
        "egress-cidr",
        "egress-prefix-list",
        "egress-security-group",
        "egress-port",
        "endpoint-security-group-shared",
        "function-url",
        "team-mismatch",
        "team-unknown",
        *(code for code, _ in checks.ROUTE_TARGETS.values()),
        *(code for code, _ in checks.GATEWAY_PREFIXES.values()),
    }
    assert produced == set(checks.FUNCTION_REASON_CODES)
    assert set(checks.REASON_CODES) == produced | set(NETWORK_REASON_CODES)


def test_every_code_is_in_the_documentation() -> None:
    documentation = DOCS.read_text()
    missing = [code for code in checks.REASON_CODES if f"| `{code}` |" not in documentation]
    assert missing == []


def test_table_and_summary_wording() -> None:
    confined = checks.Verdict("a-fn", "arn:a", None, ())
    escaping = checks.Verdict(
        "b-much-longer-name", "arn:b", "ops", (Reason("x", "one"), Reason("y", "two"))
    )
    table = report.render_table("eu-west-1", [confined, escaping]).splitlines()
    assert table[1].split() == ["a-fn", "-", "confined", "-"]
    assert table[2].split() == ["b-much-longer-name", "ops", "escapes", "x:", "one"]
    assert table[3].strip() == "y: two" and table[3].index("y") == table[2].index("x:")
    assert table[-1] == "2 functions: 1 confined, 1 escapes (region eu-west-1)"
    assert report.summary_line([confined]) == "1 function: 1 confined, 0 escapes"


S3_LIST = "pl-6ca54005"
DYNAMODB_LIST = "pl-b3a742da"
MANAGED_LISTS = {
    S3_LIST: "com.amazonaws.eu-west-1.s3",
    DYNAMODB_LIST: "com.amazonaws.eu-west-1.dynamodb",
}


def with_services(*services: str, egress: tuple[EgressRule, ...]) -> Network:
    facts = GatewayFacts(
        "eu-west-1", "123456789012", "abc123", services=("execute-api", "logs", *services)
    )
    return network(egress=(TO_ENDPOINT, *egress), prefix_lists=MANAGED_LISTS, facts=facts)


def test_https_to_a_published_gateway_service_prefix_list_is_allowed() -> None:
    rules = (
        EgressRule("tcp", 443, 443, "prefix-list", S3_LIST),
        EgressRule("6", 443, 443, "prefix-list", DYNAMODB_LIST),
    )
    assert checks.check_egress(version(), with_services("s3", "dynamodb", egress=rules)) == []


@pytest.mark.parametrize(
    ("services", "rule", "code", "fragment"),
    [
        # DynamoDB's list while only S3 is published
        (
            ("s3",),
            EgressRule("tcp", 443, 443, "prefix-list", DYNAMODB_LIST),
            "egress-prefix-list",
            f"{DYNAMODB_LIST} (com.amazonaws.eu-west-1.dynamodb)",
        ),
        # nothing published: the S3 list is a set of public CIDRs like any other
        ((), EgressRule("tcp", 443, 443, "prefix-list", S3_LIST), "egress-prefix-list", S3_LIST),
        # a customer-managed list, whatever its name (it is not among the AWS-managed ones)
        (
            ("s3",),
            EgressRule("tcp", 443, 443, "prefix-list", "pl-mine"),
            "egress-prefix-list",
            "pl-mine",
        ),
        # an interface service has no prefix list to reach
        (
            ("ssm",),
            EgressRule("tcp", 443, 443, "prefix-list", S3_LIST),
            "egress-prefix-list",
            S3_LIST,
        ),
        # the right list, the wrong ports
        (
            ("s3",),
            EgressRule("-1", None, None, "prefix-list", S3_LIST),
            "egress-port",
            "s3 prefix list",
        ),
        (("s3",), EgressRule("tcp", 80, 80, "prefix-list", S3_LIST), "egress-port", "tcp 80"),
    ],
)
def test_other_prefix_list_egress_stays_a_way_out(
    services: tuple[str, ...], rule: EgressRule, code: str, fragment: str
) -> None:
    reasons = checks.check_egress(version(), with_services(*services, egress=(rule,)))
    assert codes(reasons) == [code]
    assert fragment in reasons[0].message


def test_without_the_gateway_facts_no_prefix_list_is_allowed() -> None:
    rule = EgressRule("tcp", 443, 443, "prefix-list", S3_LIST)
    net = network(egress=(TO_ENDPOINT, rule), prefix_lists=MANAGED_LISTS)
    assert codes(checks.check_egress(version(), net)) == ["egress-prefix-list"]
