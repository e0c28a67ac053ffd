"""AWS adapter for the audit: reads Lambda, EC2, SSM, STS, CloudFormation and Route 53
Resolver and returns the plain data of `checks` and `network`.

Network data is fetched once for all functions, in batches of ids; only tags and function URLs
need a call per function (Lambda has no account-wide listing of them), made concurrently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from shared_gateway.audit import checks
from shared_gateway.audit.function_checks import FunctionExposure
from shared_gateway.audit.network import DEFAULT_STAGE, DnsFirewall, GatewayFacts, VpcEndpoint
from shared_gateway.audit.resolver import describe_dns_firewall
from shared_gateway.perimeter import ALWAYS_ON

if TYPE_CHECKING:
    import boto3

T = TypeVar("T")
R = TypeVar("R")

# EC2 accepts up to 200 values per filter; staying well under keeps requests small.
FILTER_BATCH = 100
WORKERS = 8
NETWORK_PARAMETERS = ("network/vpc-id", "network/subnet-ids", "network/function-sg-id")
API_ID_PARAMETER = "api/id"
API_URL_PARAMETER = "api/url"  # https://<id>.execute-api.<region>.amazonaws.com/<stage>
API_ACCOUNT_PARAMETER = "api/account"  # the gateway's account; the hub's in a team account
SERVICES_PARAMETER = "network/services"  # absent on gateways older than the data perimeter
ORGANIZATION_PARAMETER = "network/organization-id"  # published in organisation mode only
AWS_OWNER = "AWS"  # the owner id DescribeManagedPrefixLists reports for AWS-managed lists
# Route fields that say where traffic goes, most specific first (an instance route also
# names the instance's network interface).
ROUTE_TARGET_FIELDS = (
    "InstanceId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
    "NetworkInterfaceId",
    "GatewayId",
)
ROUTE_NON_TARGET_FIELDS = frozenset(
    {
        "DestinationCidrBlock",
        "DestinationIpv6CidrBlock",
        "DestinationPrefixListId",
        "InstanceOwnerId",
        "Origin",
        "State",
    }
)


# The gateway's stack (shared_gateway/infra/stack.py STACK_NAME; a test keeps them equal).
GATEWAY_STACK = "slackgate-gateway"


class GatewayNotDeployed(Exception):
    """The shared gateway's SSM parameters are missing under the prefix."""


@dataclass(frozen=True, slots=True)
class AuditInput:
    region: str
    network: checks.Network
    functions: tuple[checks.LambdaFunction, ...]
    prefix: str = "/slackgate"
    # The gateway stack's own functions (its relay, CDK's providers), left out of the audit.
    platform_functions: frozenset[str] = frozenset()
    # What the guard rails cover, per audited function (function_checks.py).
    exposures: Mapping[str, FunctionExposure] = field(default_factory=dict)


def normalize_prefix(prefix: str) -> str:
    return "/" + prefix.strip("/")


def collect(
    session: boto3.Session, prefix: str = "/slackgate", organization_id: str = ""
) -> AuditInput:
    """Everything the checks need, for the session's account and region.

    The perimeter the endpoint policies must keep is the caller's account, or the
    organisation: `organization_id` when given, else the one the gateway published."""
    from botocore.config import Config

    # Standard retries back off on throttling, which hundreds of per-function calls can hit.
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    ssm = session.client("ssm", config=config)
    lambda_client = session.client("lambda", config=config)
    ec2 = session.client("ec2", config=config)

    published = load_published_network(ssm, prefix)
    facts = load_gateway_facts(
        ssm,
        session.client("sts", config=config),
        prefix,
        session.region_name or "",
        organization_id,
    )
    configs_by_name = list_function_configurations(lambda_client)
    unqualified = {
        name: unqualified_arn(cfgs[0]["FunctionArn"]) for name, cfgs in configs_by_name.items()
    }
    tags = dict(
        zip(
            configs_by_name,
            concurrently(lambda name: list_tags(lambda_client, unqualified[name]), configs_by_name),
            strict=True,
        )
    )
    candidates = [
        checks.LambdaFunction(
            name=name,
            arn=unqualified[name],
            versions=tuple(to_version(cfg, {}) for cfg in configs),
            tags=tags[name],
        )
        for name, configs in configs_by_name.items()
    ]
    platform = gateway_function_names(session.client("cloudformation", config=config))
    member_names = [f.name for f in candidates if checks.is_audited(f, platform)]
    urls = dict(
        zip(
            member_names,
            concurrently(lambda name: list_function_urls(lambda_client, name), member_names),
            strict=True,
        )
    )

    subnet_ids = set(published.subnet_ids)
    for name in member_names:
        for cfg in configs_by_name[name]:
            subnet_ids.update(cfg.get("VpcConfig", {}).get("SubnetIds") or [])
    vpc_of_subnet = describe_subnet_vpcs(ec2, subnet_ids)

    functions = tuple(
        checks.LambdaFunction(
            name=name,
            arn=unqualified[name],
            versions=tuple(to_version(cfg, vpc_of_subnet) for cfg in configs_by_name[name]),
            tags=tags[name],
            urls=urls[name],
        )
        for name in member_names
    )
    # In a team account the VPC and its DNS firewall are the hub's, audited there.
    firewall = (
        None
        if facts.in_member_account
        else describe_dns_firewall(
            session.client("route53resolver", config=config), published.vpc_id
        )
    )
    network = collect_network(ec2, published, functions, facts, firewall)
    from shared_gateway.audit.function_collect import collect_exposures  # it imports this

    exposures = collect_exposures(
        lambda_client,
        session.client("iam", config=config),
        {name: configs_by_name[name] for name in member_names},
        unqualified,
        tags,
    )
    return AuditInput(
        region=session.region_name or "",
        network=network,
        functions=functions,
        prefix=normalize_prefix(prefix),
        platform_functions=platform,
        exposures=exposures,
    )


def gateway_function_names(cloudformation: Any, stack_name: str = GATEWAY_STACK) -> frozenset[str]:
    """The names of the Lambda functions the gateway's own CloudFormation stack created.

    These are the relay and CDK's custom-resource providers: outside the VPC by design, and not
    team functions. They are told apart by something no team can forge: the resource list of
    the gateway's stack, which only CloudFormation writes, for that stack (whose updates the
    guard rails reserve for the platform). Not by a tag (anyone who may tag a function can copy
    it), nor by the role's path or name (a team could run its function with a role created at
    that path, or pass the relay's own role to it). No stack of that name in the region: no
    function is left out.
    """
    from botocore.exceptions import ClientError

    names = set()
    try:
        paginator = cloudformation.get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=stack_name):
            for resource in page.get("StackResourceSummaries", []):
                if resource.get("ResourceType") == "AWS::Lambda::Function":
                    names.add(resource.get("PhysicalResourceId") or "")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            return frozenset()  # "Stack with id ... does not exist"
        raise
    return frozenset(names - {""})


def collect_network(
    ec2: Any,
    published: checks.PublishedNetwork,
    functions: Iterable[checks.LambdaFunction],
    facts: GatewayFacts | None = None,
    dns_firewall: DnsFirewall | None = None,
) -> checks.Network:
    """The network from EC2, with what the gateway published and the VPC's DNS firewall."""
    versions = [v for f in functions for v in f.versions]
    vpc_ids = {published.vpc_id} | {v.vpc_id for v in versions if v.vpc_id}
    group_ids = {published.function_sg_id} | {g for v in versions for g in v.security_group_ids}
    member = facts is not None and facts.in_member_account
    shared_vpc_cidrs: frozenset[str] = frozenset()
    if member:
        # The shared VPC's endpoints and routes are the hub's; the account's function group
        # reaches them by the VPC's range (the member stack's egress rule).
        vpc_ids.discard(published.vpc_id)
        shared_vpc_cidrs = describe_vpc_cidrs(ec2, published.vpc_id)
    endpoints = describe_vpc_endpoints(ec2, vpc_ids)
    # Egress to the endpoints' group reaches every interface endpoint carrying it: those of
    # enabled services are fine (the network checks judge their policies); any other
    # interface carrying the group is reported on the functions.
    enabled = [
        e
        for e in endpoints
        if e.vpc_id == published.vpc_id
        and e.endpoint_type.lower() == "interface"
        and e.live
        and (
            facts.allows(e.short_name(facts.region))
            if facts
            else e.service_name.endswith(".execute-api")
        )
    ]
    endpoint_sg_ids = frozenset(g for e in enabled for g in e.group_ids)
    endpoint_enis = frozenset(eni for e in enabled for eni in e.network_interface_ids)
    security_groups = describe_security_groups(ec2, group_ids)
    prefix_list_ids = {
        rule.target
        for group in security_groups.values()
        for rule in group.egress
        if rule.target_kind == "prefix-list"
    }
    return checks.Network(
        published=published,
        endpoint_sg_ids=endpoint_sg_ids,
        route_tables=describe_route_tables(ec2, vpc_ids),
        security_groups=security_groups,
        endpoint_sg_other_enis=describe_other_enis(ec2, endpoint_sg_ids, endpoint_enis),
        endpoints=endpoints,
        prefix_lists=describe_managed_prefix_lists(ec2, prefix_list_ids),
        facts=facts,
        dns_firewall=dns_firewall,
        shared_vpc_cidrs=shared_vpc_cidrs,
    )


def describe_vpc_cidrs(ec2: Any, vpc_id: str) -> frozenset[str]:
    """The IPv4 ranges of the VPC (a participant sees a VPC shared with it); none when it
    cannot be described, so egress to it is then reported, not allowed."""
    return frozenset(
        block["CidrBlock"]
        for vpc in _describe(ec2, "describe_vpcs", "Vpcs", "vpc-id", [vpc_id])
        for block in vpc.get("CidrBlockAssociationSet", [])
        if block.get("CidrBlockState", {}).get("State", "associated") == "associated"
    )


def load_gateway_facts(
    ssm: Any, sts: Any, prefix: str, region: str, organization_id: str = ""
) -> GatewayFacts:
    """The relay API (id and stage), the published services and the perimeter's owner.

    A gateway older than `network/services` published only the always-on endpoints."""
    prefix = normalize_prefix(prefix)
    suffixes = (
        API_ID_PARAMETER,
        API_URL_PARAMETER,
        SERVICES_PARAMETER,
        ORGANIZATION_PARAMETER,
        API_ACCOUNT_PARAMETER,
    )
    names = [f"{prefix}/{suffix}" for suffix in suffixes]
    answer = ssm.get_parameters(Names=names)
    values = {p["Name"]: p["Value"].strip() for p in answer.get("Parameters", [])}
    api_id, api_url, services, published_organization, gateway_account = (
        values.get(n, "") for n in names
    )
    if not api_id:
        raise GatewayNotDeployed(names[0])
    stage = urlsplit(api_url).path.strip("/").split("/")[0]
    identity = sts.get_caller_identity()
    return GatewayFacts(
        region=region,
        account=identity["Account"],
        api_id=api_id,
        services=tuple(s.strip().lower() for s in services.split(",") if s.strip())
        if services
        else ALWAYS_ON,
        services_published=bool(services),
        organization_id=organization_id or published_organization,
        partition=identity.get("Arn", "arn:aws:").split(":")[1] or "aws",
        relay_stage=stage or DEFAULT_STAGE,
        gateway_account=gateway_account,
    )


def load_published_network(ssm: Any, prefix: str) -> checks.PublishedNetwork:
    prefix = normalize_prefix(prefix)
    names = [f"{prefix}/{suffix}" for suffix in NETWORK_PARAMETERS]
    answer = ssm.get_parameters(Names=names)
    values = {p["Name"]: p["Value"] for p in answer.get("Parameters", [])}
    missing = [name for name in names if not values.get(name)]
    if missing:
        raise GatewayNotDeployed(", ".join(missing))
    vpc_id, subnets, function_sg_id = (values[name].strip() for name in names)
    return checks.PublishedNetwork(
        vpc_id=vpc_id,
        subnet_ids=frozenset(s.strip() for s in subnets.split(",") if s.strip()),
        function_sg_id=function_sg_id,
    )


def list_function_configurations(lambda_client: Any) -> dict[str, list[dict[str, Any]]]:
    """Every version of every function ($LATEST and published), grouped by function name."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    paginator = lambda_client.get_paginator("list_functions")
    for page in paginator.paginate(FunctionVersion="ALL"):
        for cfg in page.get("Functions", []):
            by_name.setdefault(cfg["FunctionName"], []).append(cfg)
    return by_name


def unqualified_arn(arn: str) -> str:
    """`arn:aws:lambda:r:1:function:name:3` -> `arn:aws:lambda:r:1:function:name`."""
    return ":".join(arn.split(":")[:7])


def to_version(cfg: dict[str, Any], vpc_of_subnet: dict[str, str]) -> checks.FunctionVersion:
    vpc_config = cfg.get("VpcConfig") or {}
    subnet_ids = tuple(sorted(vpc_config.get("SubnetIds") or []))
    # The subnets decide where the function's network interfaces live, so their VPC is the
    # one that counts; Lambda's own VpcId is the fallback when they cannot be described.
    subnet_vpcs = sorted({vpc_of_subnet[s] for s in subnet_ids if s in vpc_of_subnet})
    vpc_id = subnet_vpcs[0] if len(subnet_vpcs) == 1 else (vpc_config.get("VpcId") or None)
    return checks.FunctionVersion(
        version=cfg.get("Version", checks.LATEST),
        role_arn=cfg.get("Role", ""),
        vpc_id=vpc_id if subnet_ids else None,
        subnet_ids=subnet_ids,
        security_group_ids=tuple(sorted(vpc_config.get("SecurityGroupIds") or [])),
    )


def list_tags(lambda_client: Any, arn: str) -> dict[str, str]:
    try:
        return dict(lambda_client.list_tags(Resource=arn).get("Tags") or {})
    except lambda_client.exceptions.ResourceNotFoundException:
        return {}  # deleted since it was listed


def list_function_urls(lambda_client: Any, name: str) -> tuple[checks.FunctionUrl, ...]:
    """URLs of the function and of its aliases."""
    urls = []
    try:
        paginator = lambda_client.get_paginator("list_function_url_configs")
        for page in paginator.paginate(FunctionName=name):
            for cfg in page.get("FunctionUrlConfigs", []):
                arn = cfg.get("FunctionArn", "")
                qualifier = arn.split(":")[7] if arn.count(":") >= 7 else None
                urls.append(
                    checks.FunctionUrl(
                        url=cfg.get("FunctionUrl", ""),
                        auth_type=cfg.get("AuthType", "unknown"),
                        qualifier=qualifier,
                    )
                )
    except lambda_client.exceptions.ResourceNotFoundException:
        return ()
    return tuple(urls)


def describe_subnet_vpcs(ec2: Any, subnet_ids: Iterable[str]) -> dict[str, str]:
    # A filter, unlike SubnetIds=, does not fail the whole call on one deleted subnet.
    return {
        subnet["SubnetId"]: subnet["VpcId"]
        for subnet in _describe(ec2, "describe_subnets", "Subnets", "subnet-id", subnet_ids)
    }


def describe_route_tables(ec2: Any, vpc_ids: Iterable[str]) -> tuple[checks.RouteTable, ...]:
    tables = []
    for raw in _describe(ec2, "describe_route_tables", "RouteTables", "vpc-id", vpc_ids):
        associations = raw.get("Associations", [])
        tables.append(
            checks.RouteTable(
                id=raw["RouteTableId"],
                vpc_id=raw.get("VpcId", ""),
                is_main=any(a.get("Main") for a in associations),
                subnet_ids=frozenset(a["SubnetId"] for a in associations if a.get("SubnetId")),
                routes=tuple(to_route(r) for r in raw.get("Routes", [])),
            )
        )
    return tuple(sorted(tables, key=lambda t: t.id))


def to_route(raw: dict[str, Any]) -> checks.Route:
    destination = (
        raw.get("DestinationCidrBlock")
        or raw.get("DestinationIpv6CidrBlock")
        or raw.get("DestinationPrefixListId")
        or "?"
    )
    targets = {k: v for k, v in raw.items() if k not in ROUTE_NON_TARGET_FIELDS and v}
    field = next((f for f in ROUTE_TARGET_FIELDS if f in targets), None)
    if field is None:
        # A target type newer than this code: report it under its own field name.
        field = min(targets, default="")
    return checks.Route(
        destination=destination,
        target_field=field,
        target_id=str(targets.get(field, "")),
        state=raw.get("State", "active"),
    )


def describe_security_groups(ec2: Any, group_ids: Iterable[str]) -> dict[str, checks.SecurityGroup]:
    return {
        raw["GroupId"]: checks.SecurityGroup(
            id=raw["GroupId"],
            vpc_id=raw.get("VpcId", ""),
            egress=tuple(
                rule
                for perm in raw.get("IpPermissionsEgress", [])
                for rule in to_egress_rules(perm)
            ),
        )
        for raw in _describe(
            ec2, "describe_security_groups", "SecurityGroups", "group-id", group_ids
        )
    }


def to_egress_rules(permission: dict[str, Any]) -> Iterator[checks.EgressRule]:
    """One EC2 permission names several targets; the checks judge each target on its own."""

    def rule(kind: str, target: str) -> checks.EgressRule:
        return checks.EgressRule(
            protocol=str(permission.get("IpProtocol", "-1")),
            from_port=permission.get("FromPort"),
            to_port=permission.get("ToPort"),
            target_kind=kind,
            target=target,
        )

    for item in permission.get("IpRanges", []):
        yield rule("ipv4", item["CidrIp"])
    for item in permission.get("Ipv6Ranges", []):
        yield rule("ipv6", item["CidrIpv6"])
    for item in permission.get("PrefixListIds", []):
        yield rule("prefix-list", item["PrefixListId"])
    for item in permission.get("UserIdGroupPairs", []):
        yield rule("security-group", item.get("GroupId") or item.get("GroupName", "?"))


def describe_vpc_endpoints(ec2: Any, vpc_ids: Iterable[str]) -> tuple[VpcEndpoint, ...]:
    """Every endpoint of the VPCs, with its deployed policy document as AWS reports it."""
    return tuple(
        sorted(
            (
                VpcEndpoint(
                    id=raw["VpcEndpointId"],
                    service_name=raw.get("ServiceName", ""),
                    endpoint_type=raw.get("VpcEndpointType", ""),
                    vpc_id=raw.get("VpcId", ""),
                    state=raw.get("State", ""),
                    policy=raw.get("PolicyDocument"),
                    group_ids=tuple(g["GroupId"] for g in raw.get("Groups", [])),
                    network_interface_ids=tuple(raw.get("NetworkInterfaceIds", [])),
                )
                for raw in _describe(
                    ec2, "describe_vpc_endpoints", "VpcEndpoints", "vpc-id", vpc_ids
                )
            ),
            key=lambda e: e.id,
        )
    )


def describe_managed_prefix_lists(ec2: Any, list_ids: Iterable[str]) -> dict[str, str]:
    """Names of the AWS-managed prefix lists among `list_ids` (customer lists are left out:
    whatever they are named, they are sets of CIDRs their owner chose)."""
    return {
        raw["PrefixListId"]: raw.get("PrefixListName", "")
        for raw in _describe(
            ec2, "describe_managed_prefix_lists", "PrefixLists", "prefix-list-id", list_ids
        )
        if raw.get("OwnerId") == AWS_OWNER
    }


def describe_other_enis(
    ec2: Any, group_ids: Iterable[str], endpoint_enis: frozenset[str]
) -> dict[str, tuple[str, ...]]:
    """Network interfaces carrying an endpoint group that are not execute-api endpoint ones:
    egress allowed to the group reaches them as well."""
    others: dict[str, list[str]] = {}
    group_ids = set(group_ids)
    for eni in _describe(
        ec2, "describe_network_interfaces", "NetworkInterfaces", "group-id", group_ids
    ):
        if eni["NetworkInterfaceId"] in endpoint_enis:
            continue
        description = eni.get("Description") or eni.get("InterfaceType") or ""
        label = eni["NetworkInterfaceId"] + (f" ({description})" if description else "")
        for group in eni.get("Groups", []):
            if group.get("GroupId") in group_ids:
                others.setdefault(group["GroupId"], []).append(label)
    return {group: tuple(sorted(labels)) for group, labels in others.items()}


def _describe(
    ec2: Any, operation: str, key: str, filter_name: str, values: Iterable[str]
) -> Iterator[dict[str, Any]]:
    """Paginated describe calls filtered by `values`, in batches."""
    paginator = ec2.get_paginator(operation)
    for batch in _batches(sorted(set(values)), FILTER_BATCH):
        filters = [{"Name": filter_name, "Values": batch}]
        for page in paginator.paginate(Filters=filters):
            yield from page.get(key, [])


def _batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def concurrently(call: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`call` over `items` in a small thread pool, results in order (boto3 clients are
    thread-safe; the per-function Lambda calls are latency-bound)."""
    items = list(items)
    if len(items) <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(call, items))
