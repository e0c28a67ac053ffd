"""The confinement policy: can a slackgate function send data anywhere but the relay?

Pure functions over plain data (gathered by `collect.py`), so every rule is testable without
AWS. A function is `confined` when no rule finds anything, and `escapes` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared_gateway.audit.network import (
    NETWORK_REASON_CODES,
    DnsFirewall,
    GatewayFacts,
    VpcEndpoint,
)
from shared_gateway.perimeter import OFFERED
from shared_gateway.perimeter.services import GATEWAY

ROLE_PREFIX = "slackgate-"
TEAM_TAG = "slackgate:team"
LATEST = "$LATEST"
CONFINED = "confined"
ESCAPES = "escapes"

# Same slug rule as the registry: a role is `slackgate-<team>-<rest>`.
TEAM_SLUG = re.compile(r"[a-z][a-z0-9]{1,20}")
ROLE_WITH_TEAM = re.compile(r"slackgate-([a-z][a-z0-9]{1,20})-.+")

ALLOWED_PORT = 443
TCP_PROTOCOLS = frozenset({"tcp", "6"})
ANY_IPV4 = "0.0.0.0/0"
ANY_IPV6 = "::/0"

# Route target fields of an EC2 route, each a way out of an isolated subnet.
# `GatewayId` is not here: it holds `local`, endpoints and gateways alike (see `check_route`).
ROUTE_TARGETS: Mapping[str, tuple[str, str]] = {
    "NatGatewayId": ("route-nat-gateway", "a NAT gateway"),
    "EgressOnlyInternetGatewayId": (
        "route-egress-only-internet-gateway",
        "an egress-only internet gateway",
    ),
    "TransitGatewayId": ("route-transit-gateway", "a transit gateway"),
    "VpcPeeringConnectionId": ("route-vpc-peering", "a VPC peering connection"),
    "InstanceId": ("route-instance", "an instance"),
    "NetworkInterfaceId": ("route-network-interface", "a network interface"),
    "CarrierGatewayId": ("route-carrier-gateway", "a carrier gateway"),
    "LocalGatewayId": ("route-local-gateway", "a local gateway"),
    "CoreNetworkArn": ("route-core-network", "a Cloud WAN core network"),
}
GATEWAY_PREFIXES: Mapping[str, tuple[str, str]] = {
    "igw-": ("route-internet-gateway", "an internet gateway"),
    "vgw-": ("route-virtual-private-gateway", "a virtual private gateway"),
}

# Every reason code of a function, with what it means (listed in docs/audit.md).
FUNCTION_REASON_CODES: Mapping[str, str] = {
    "not-in-vpc": "the function is not attached to a VPC, so it has direct internet access",
    "wrong-vpc": "the function is attached to a VPC other than the published one",
    "subnet-not-published": "a subnet of the function is not one of the published subnets",
    "function-security-group-missing": "the published function security group is not attached",
    "extra-security-group": "a security group other than the published one is attached",
    "security-group-not-found": "an attached security group could not be described",
    "route-table-not-found": "no route table (explicit or main) was found for a subnet",
    **{code: f"a subnet routes to {what}" for code, what in ROUTE_TARGETS.values()},
    **{code: f"a subnet routes to {what}" for code, what in GATEWAY_PREFIXES.values()},
    "route-vpc-endpoint": "a subnet routes to an endpoint that is not a gateway endpoint of its "
    "VPC (a Gateway Load Balancer endpoint: an appliance hop)",
    "route-unknown-target": "a subnet has a route to a target the audit does not know",
    "egress-any-ipv4": "a security group allows egress to 0.0.0.0/0",
    "egress-any-ipv6": "a security group allows egress to ::/0",
    "egress-cidr": "a security group allows egress to a CIDR range",
    "egress-prefix-list": "a security group allows egress to a prefix list other than the S3 or "
    "DynamoDB managed prefix list of a published gateway-endpoint service",
    "egress-security-group": "a security group allows egress to a group that is not the "
    "enabled interface endpoints' group",
    "egress-port": "egress to the endpoints' group or a gateway service's prefix list is not "
    "limited to TCP 443",
    "endpoint-security-group-shared": "the endpoint's security group is also attached to other "
    "network interfaces, which egress to it reaches too",
    "function-url": "the function has a function URL, a way in and out that bypasses the VPC",
    "team-mismatch": "the role name and the slackgate:team tag name different teams",
    "team-unknown": "no team can be read from the role name or the slackgate:team tag",
}
# Every reason code the audit can produce: a function's, then the network's.
REASON_CODES: Mapping[str, str] = {**FUNCTION_REASON_CODES, **NETWORK_REASON_CODES}


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: a stable `code` for machines and a `message` for people."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class PublishedNetwork:
    """What the shared gateway published in SSM: where every user function must live."""

    vpc_id: str
    subnet_ids: frozenset[str]
    function_sg_id: str


@dataclass(frozen=True, slots=True)
class Route:
    """One route; `target_field` is the EC2 field naming its target (`GatewayId`, ...)."""

    destination: str
    target_field: str
    target_id: str
    state: str = "active"


@dataclass(frozen=True, slots=True)
class RouteTable:
    id: str
    vpc_id: str
    is_main: bool
    subnet_ids: frozenset[str]
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class EgressRule:
    """One egress permission to one target.

    `protocol` is as EC2 reports it (`-1` for all, `tcp`, `udp`, `icmp`, or a number);
    `target_kind` is `ipv4`, `ipv6`, `prefix-list` or `security-group`.
    """

    protocol: str
    from_port: int | None
    to_port: int | None
    target_kind: str
    target: str


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: str
    vpc_id: str
    egress: tuple[EgressRule, ...]


@dataclass(frozen=True, slots=True)
class Network:
    """The account's network as far as the audit needs it, fetched once for all functions.

    `endpoint_sg_ids` are the groups on the published VPC's interface endpoints of enabled
    services (execute-api, logs, the published ones); `endpoint_sg_other_enis` lists, per such
    group, the network interfaces other than those endpoints that carry it (each as a short
    description). `endpoints` are the VPC endpoints of the VPCs the functions use;
    `prefix_lists` names the AWS-managed prefix lists their egress rules target (id -> name).
    `facts` is None when the audit knows nothing beyond placement (then no prefix list is
    allowed).
    """

    published: PublishedNetwork
    endpoint_sg_ids: frozenset[str]
    route_tables: tuple[RouteTable, ...] = ()
    security_groups: Mapping[str, SecurityGroup] = field(default_factory=dict)
    endpoint_sg_other_enis: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    endpoints: tuple[VpcEndpoint, ...] = ()
    prefix_lists: Mapping[str, str] = field(default_factory=dict)
    facts: GatewayFacts | None = None
    dns_firewall: DnsFirewall | None = None
    # In a team account (organisation mode): the gateway's shared VPC's ranges, which the
    # account's function group may reach on TCP 443. Empty in the gateway's account.
    shared_vpc_cidrs: frozenset[str] = frozenset()

    def is_hubs(self, vpc_id: str) -> bool:
        """Is this the gateway's VPC seen from a team account? Its routes, endpoints and DNS
        firewall are then the hub's, and audited in the hub's account."""
        member = self.facts is not None and self.facts.in_member_account
        return member and vpc_id == self.published.vpc_id

    def gateway_endpoint_ids(self, vpc_id: str) -> frozenset[str]:
        return frozenset(
            e.id
            for e in self.endpoints
            if e.vpc_id == vpc_id and e.endpoint_type.lower() == "gateway" and e.live
        )

    def allowed_prefix_lists(self) -> Mapping[str, str]:
        """Managed prefix lists functions may reach (id -> service): those of the published
        gateway-endpoint services (S3, DynamoDB), named `com.amazonaws.<region>.<service>`."""
        if self.facts is None:
            return {}
        names = {
            service.endpoint_service_name(self.facts.region): service.name
            for service in self.facts.enabled()
            if service.endpoint == GATEWAY
        }
        return {
            list_id: names[name] for list_id, name in self.prefix_lists.items() if name in names
        }

    def route_table_for(self, subnet_id: str, vpc_id: str) -> RouteTable | None:
        """The table a subnet uses: its explicitly associated one, else its VPC's main table."""
        for table in self.route_tables:
            if subnet_id in table.subnet_ids:
                return table
        for table in self.route_tables:
            if table.is_main and table.vpc_id == vpc_id:
                return table
        return None


@dataclass(frozen=True, slots=True)
class FunctionVersion:
    """One version's configuration ($LATEST or a published number); each can be invoked."""

    version: str
    role_arn: str
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()

    @property
    def role_name(self) -> str:
        return role_name(self.role_arn)


@dataclass(frozen=True, slots=True)
class FunctionUrl:
    url: str
    auth_type: str
    qualifier: str | None = None


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    name: str
    arn: str
    versions: tuple[FunctionVersion, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    urls: tuple[FunctionUrl, ...] = ()

    @property
    def latest(self) -> FunctionVersion:
        for version in self.versions:
            if version.version == LATEST:
                return version
        return self.versions[-1]


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    arn: str
    team: str | None
    reasons: tuple[Reason, ...]

    @property
    def status(self) -> str:
        return ESCAPES if self.reasons else CONFINED


def role_name(role_arn: str) -> str:
    """`arn:aws:iam::1:role/path/slackgate-x-y` -> `slackgate-x-y` (paths are not names)."""
    return role_arn.rsplit("/", 1)[-1]


def is_slackgate(function: LambdaFunction) -> bool:
    """Membership: any version runs with a `slackgate-` role, or the function carries the tag."""
    if TEAM_TAG in function.tags:
        return True
    return any(v.role_name.startswith(ROLE_PREFIX) for v in function.versions)


def is_audited(function: LambdaFunction, platform_functions: frozenset[str]) -> bool:
    """A slackgate function that the gateway's own stack did not create (collect.py says how
    those are known: the stack's resource list, which no team can write)."""
    return is_slackgate(function) and function.name not in platform_functions


def team_from_role(name: str) -> str | None:
    match = ROLE_WITH_TEAM.fullmatch(name)
    return match.group(1) if match else None


def team_of(function: LambdaFunction) -> str | None:
    """The role decides when it names a team, because that is what the relay trusts."""
    return team_from_role(function.latest.role_name) or _valid_tag_team(function.tags)


def _valid_tag_team(tags: Mapping[str, str]) -> str | None:
    value = tags.get(TEAM_TAG)
    return value if value is not None and TEAM_SLUG.fullmatch(value) else None


def check_team(role: str, tags: Mapping[str, str]) -> list[Reason]:
    role_team = team_from_role(role)
    tag_value = tags.get(TEAM_TAG)
    if role_team and tag_value is not None and tag_value != role_team:
        return [
            Reason(
                "team-mismatch",
                f"role {role} belongs to team {role_team!r} but tag {TEAM_TAG} says {tag_value!r}",
            )
        ]
    if role_team or (tag_value is not None and TEAM_SLUG.fullmatch(tag_value)):
        return []
    if tag_value is not None:
        detail = f"tag {TEAM_TAG}={tag_value!r} is not a team slug ([a-z][a-z0-9]{{1,20}})"
    else:
        detail = f"no {TEAM_TAG} tag"
    return [
        Reason(
            "team-unknown",
            f"role {role} is not slackgate-<team>-<name> and {detail}",
        )
    ]


def check_placement(version: FunctionVersion, published: PublishedNetwork) -> list[Reason]:
    """VPC, subnets and security groups must be exactly the published ones."""
    if not version.subnet_ids:
        return [Reason("not-in-vpc", "not attached to a VPC: it can reach the internet directly")]
    if version.vpc_id != published.vpc_id:
        # Subnets and groups of another VPC can never be the published ones; say it once.
        return [
            Reason(
                "wrong-vpc",
                f"attached to {version.vpc_id or 'an unknown VPC'}, "
                f"not the published {published.vpc_id}",
            )
        ]
    reasons = [
        Reason("subnet-not-published", f"subnet {subnet} is not one of the published subnets")
        for subnet in sorted(set(version.subnet_ids) - published.subnet_ids)
    ]
    groups = set(version.security_group_ids)
    if published.function_sg_id not in groups:
        reasons.append(
            Reason(
                "function-security-group-missing",
                f"the published function security group {published.function_sg_id} is not attached",
            )
        )
    reasons.extend(
        Reason(
            "extra-security-group",
            f"security group {group} is attached besides {published.function_sg_id}",
        )
        for group in sorted(groups - {published.function_sg_id})
    )
    return reasons


def check_route(
    route: Route, gateway_endpoints: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """(code, what) when a route leads out of the VPC; None for `local` and for a prefix list
    routed to one of `gateway_endpoints`, the VPC's own gateway endpoints."""
    if route.target_field == "GatewayId":
        target = route.target_id
        if target == "local":
            return None
        if target.startswith("vpce-"):
            # A gateway endpoint (S3, DynamoDB) is routed by its AWS prefix list and reaches
            # only that service, whose endpoint the network checks judge. Anything else routed
            # to a `vpce-` (a CIDR, or a customer prefix list) goes to a Gateway Load Balancer
            # endpoint: an appliance hop.
            if route.destination.startswith("pl-") and target in gateway_endpoints:
                return None
            return ("route-vpc-endpoint", "an endpoint that is not a gateway endpoint of the VPC")
        for prefix, found in GATEWAY_PREFIXES.items():
            if target.startswith(prefix):
                return found
        return ("route-unknown-target", "an unrecognised gateway")
    return ROUTE_TARGETS.get(route.target_field, ("route-unknown-target", "an unknown target"))


def check_routes(version: FunctionVersion, network: Network) -> list[Reason]:
    """Routes of the tables the function's subnets use, each table reported once."""
    vpc_id = version.vpc_id or ""
    if not version.subnet_ids or network.is_hubs(vpc_id):
        return []
    reasons: list[Reason] = []
    subnets_by_table: dict[str, list[str]] = {}
    tables: dict[str, RouteTable] = {}
    for subnet in sorted(set(version.subnet_ids)):
        table = network.route_table_for(subnet, vpc_id)
        if table is None:
            reasons.append(
                Reason(
                    "route-table-not-found",
                    f"no route table found for subnet {subnet} (nor a main table for "
                    f"{vpc_id or 'its VPC'}), so its routes cannot be checked",
                )
            )
            continue
        tables[table.id] = table
        subnets_by_table.setdefault(table.id, []).append(subnet)
    for table_id in sorted(tables):
        table = tables[table_id]
        gateway_endpoints = network.gateway_endpoint_ids(table.vpc_id)
        subnets = ", ".join(subnets_by_table[table_id])
        explicit = any(s in table.subnet_ids for s in subnets_by_table[table_id])
        which = "" if explicit else f"main table of {table.vpc_id}, "
        for route in sorted(table.routes, key=lambda r: (r.destination, r.target_id)):
            found = check_route(route, gateway_endpoints)
            if found is None:
                continue
            code, what = found
            state = "" if route.state == "active" else f" ({route.state})"
            reasons.append(
                Reason(
                    code,
                    f"route table {table.id} ({which}subnets {subnets}) routes "
                    f"{route.destination} to {what} {route.target_id}{state}",
                )
            )
    return reasons


def describe_ports(rule: EgressRule) -> str:
    protocol = rule.protocol.lower()
    if protocol in ("-1", "all"):
        return "all traffic"
    name = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(protocol, protocol)
    if name in ("tcp", "udp"):
        if rule.from_port is None or (rule.from_port, rule.to_port) in ((0, 65535), (-1, -1)):
            return f"{name} all ports"
        if rule.from_port == rule.to_port:
            return f"{name} {rule.from_port}"
        return f"{name} {rule.from_port}-{rule.to_port}"
    return name if name in ("icmp", "icmpv6") else f"protocol {name}"


def is_tcp_443(rule: EgressRule) -> bool:
    return (
        rule.protocol.lower() in TCP_PROTOCOLS
        and rule.from_port == ALLOWED_PORT
        and rule.to_port == ALLOWED_PORT
    )


def check_egress_rule(group_id: str, rule: EgressRule, network: Network) -> list[Reason]:
    """Nothing but TCP 443 to the enabled interface endpoints' security group, or to the
    managed prefix list of a published gateway-endpoint service, is allowed."""
    ports = describe_ports(rule)
    prefix = f"{group_id} allows egress {ports} to"
    if rule.target_kind == "security-group":
        if rule.target not in network.endpoint_sg_ids:
            if network.shared_vpc_cidrs:
                ranges = ", ".join(sorted(network.shared_vpc_cidrs))
                why = f"in a team account only tcp 443 to the gateway's VPC ({ranges}) is allowed"
            elif network.endpoint_sg_ids:
                known = ", ".join(sorted(network.endpoint_sg_ids))
                why = f"only the enabled interface endpoints' group ({known}) is allowed"
            else:
                why = (
                    "no interface endpoint of an enabled service was found in "
                    f"{network.published.vpc_id}, so no group is allowed"
                )
            return [Reason("egress-security-group", f"{prefix} group {rule.target}: {why}")]
        reasons = []
        if not is_tcp_443(rule):
            reasons.append(
                Reason(
                    "egress-port",
                    f"{prefix} the endpoint's group {rule.target}: only tcp 443 is allowed",
                )
            )
        others = network.endpoint_sg_other_enis.get(rule.target, ())
        if others:
            reasons.append(
                Reason(
                    "endpoint-security-group-shared",
                    f"{prefix} the endpoint's group {rule.target}, which is also attached to "
                    f"{', '.join(others)}: that egress reaches them too",
                )
            )
        return reasons
    if rule.target_kind == "ipv4" and rule.target in network.shared_vpc_cidrs:
        if is_tcp_443(rule):
            return []
        return [
            Reason(
                "egress-port",
                f"{prefix} the gateway's VPC {rule.target}: only tcp 443 is allowed",
            )
        ]
    if rule.target_kind == "ipv4" and rule.target == ANY_IPV4:
        return [Reason("egress-any-ipv4", f"{prefix} {ANY_IPV4} (anywhere on IPv4)")]
    if rule.target_kind == "ipv6" and rule.target == ANY_IPV6:
        return [Reason("egress-any-ipv6", f"{prefix} {ANY_IPV6} (anywhere on IPv6)")]
    if rule.target_kind in ("ipv4", "ipv6"):
        return [Reason("egress-cidr", f"{prefix} {rule.target}")]
    if rule.target_kind == "prefix-list":
        return check_prefix_list_egress(prefix, rule, network)
    return [Reason("egress-cidr", f"{prefix} {rule.target_kind} {rule.target}")]


def check_prefix_list_egress(prefix: str, rule: EgressRule, network: Network) -> list[Reason]:
    """A published gateway service's managed prefix list on TCP 443 is how functions reach
    S3 or DynamoDB through the gateway endpoint; any other prefix list is a set of CIDRs."""
    service = network.allowed_prefix_lists().get(rule.target)
    if service is None:
        gateway_services = [n for n, s in OFFERED.items() if s.endpoint == GATEWAY]
        name = network.prefix_lists.get(rule.target)
        what = f"prefix list {rule.target}" + (f" ({name})" if name else "")
        return [
            Reason(
                "egress-prefix-list",
                f"{prefix} {what}: only the managed prefix list of a published gateway service "
                f"({' or '.join(gateway_services)}) is allowed",
            )
        ]
    if not is_tcp_443(rule):
        return [
            Reason(
                "egress-port",
                f"{prefix} the {service} prefix list {rule.target}: only tcp 443 is allowed",
            )
        ]
    return []


def check_egress(version: FunctionVersion, network: Network) -> list[Reason]:
    reasons: list[Reason] = []
    for group_id in sorted(set(version.security_group_ids)):
        group = network.security_groups.get(group_id)
        if group is None:
            reasons.append(
                Reason(
                    "security-group-not-found",
                    f"security group {group_id} could not be described, so its egress "
                    "cannot be checked",
                )
            )
            continue
        for rule in group.egress:
            reasons.extend(check_egress_rule(group_id, rule, network))
    return reasons


def check_version(
    version: FunctionVersion, tags: Mapping[str, str], network: Network
) -> list[Reason]:
    return [
        *check_placement(version, network.published),
        *check_routes(version, network),
        *check_egress(version, network),
        *check_team(version.role_name, tags),
    ]


def check_urls(urls: Iterable[FunctionUrl]) -> list[Reason]:
    return [
        Reason(
            "function-url",
            f"function URL {url.url}"
            + (f" on {url.qualifier}" if url.qualifier else "")
            + f" (auth {url.auth_type}): it answers callers outside the VPC",
        )
        for url in sorted(urls, key=lambda u: (u.qualifier or "", u.url))
    ]


def _version_label(versions: list[str]) -> str:
    if len(versions) == 1:
        return f"version {versions[0]}"
    return "versions " + ", ".join(versions)


def _version_order(version: FunctionVersion) -> tuple[int, int]:
    if version.version == LATEST:
        return (0, 0)
    return (1, int(version.version)) if version.version.isdigit() else (2, 0)


def audit_function(function: LambdaFunction, network: Network) -> Verdict:
    """Checks every version (a published version keeps its own network configuration and can
    be invoked by number), reporting each reason once: plain when $LATEST has it, otherwise
    labelled with the versions that do."""
    versions_by_reason: dict[Reason, list[str]] = {}
    for version in sorted(function.versions, key=_version_order):
        for reason in check_version(version, function.tags, network):
            found = versions_by_reason.setdefault(reason, [])
            if version.version not in found:
                found.append(version.version)
    reasons = [
        reason
        if LATEST in versions
        else Reason(reason.code, f"{_version_label(versions)}: {reason.message}")
        for reason, versions in versions_by_reason.items()
    ]
    reasons.extend(check_urls(function.urls))
    return Verdict(function.name, function.arn, team_of(function), tuple(reasons))


def audit(functions: Iterable[LambdaFunction], network: Network) -> list[Verdict]:
    """Verdicts for the slackgate functions among `functions`, ordered by name."""
    members = [f for f in functions if is_slackgate(f)]
    return [audit_function(f, network) for f in sorted(members, key=lambda f: (f.name, f.arn))]


def summarize(verdicts: Iterable[Verdict]) -> dict[str, int]:
    verdicts = list(verdicts)
    escapes = sum(1 for v in verdicts if v.status == ESCAPES)
    return {"functions": len(verdicts), "confined": len(verdicts) - escapes, "escapes": escapes}
