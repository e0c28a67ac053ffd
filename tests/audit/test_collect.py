"""The AWS adapter: paging, batching and turning API answers into the checks' plain data.

moto answers ListFunctions and the EC2 describes in a single page, so paging is exercised here
with botocore's Stubber feeding several pages.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from shared_gateway.audit import checks, collect
from shared_gateway.audit.network import GatewayFacts, VpcEndpoint

REGION = "eu-west-1"
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:"


def config(name: str, version: str = "$LATEST", **extra: Any) -> dict[str, Any]:
    return {
        "FunctionName": name,
        "FunctionArn": ARN + name + ("" if version == "$LATEST" else f":{version}"),
        "Role": f"arn:aws:iam::123456789012:role/slackgate-payments-{name}",
        "Version": version,
        **extra,
    }


def test_list_functions_follows_every_page() -> None:
    client = boto3.client("lambda", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response(
            "list_functions",
            {"Functions": [config("a"), config("a", "1")], "NextMarker": "page2"},
            {"FunctionVersion": "ALL"},
        )
        stub.add_response(
            "list_functions",
            {"Functions": [config("b")], "NextMarker": "page3"},
            {"FunctionVersion": "ALL", "Marker": "page2"},
        )
        stub.add_response(
            "list_functions",
            {"Functions": [config("c")]},
            {"FunctionVersion": "ALL", "Marker": "page3"},
        )
        grouped = collect.list_function_configurations(client)
        stub.assert_no_pending_responses()
    assert {name: [c["Version"] for c in cfgs] for name, cfgs in grouped.items()} == {
        "a": ["$LATEST", "1"],
        "b": ["$LATEST"],
        "c": ["$LATEST"],
    }


def test_describes_are_batched_by_id_and_paged() -> None:
    client = boto3.client("ec2", region_name=REGION)
    group_ids = [f"sg-{index:04d}" for index in range(collect.FILTER_BATCH + 20)]
    first_batch = sorted(group_ids)[: collect.FILTER_BATCH]
    second_batch = sorted(group_ids)[collect.FILTER_BATCH :]

    def group(group_id: str) -> dict[str, Any]:
        return {"GroupId": group_id, "VpcId": "vpc-1", "IpPermissionsEgress": []}

    with Stubber(client) as stub:
        stub.add_response(
            "describe_security_groups",
            {"SecurityGroups": [group(first_batch[0])], "NextToken": "more"},
            {"Filters": [{"Name": "group-id", "Values": first_batch}]},
        )
        stub.add_response(
            "describe_security_groups",
            {"SecurityGroups": [group(first_batch[1])]},
            {"Filters": [{"Name": "group-id", "Values": first_batch}], "NextToken": "more"},
        )
        stub.add_response(
            "describe_security_groups",
            {"SecurityGroups": [group(second_batch[0])]},
            {"Filters": [{"Name": "group-id", "Values": second_batch}]},
        )
        found = collect.describe_security_groups(client, group_ids)
        stub.assert_no_pending_responses()
    assert sorted(found) == [first_batch[0], first_batch[1], second_batch[0]]


def test_route_tables_are_parsed_with_associations_and_targets() -> None:
    client = boto3.client("ec2", region_name=REGION)
    raw = {
        "RouteTableId": "rtb-1",
        "VpcId": "vpc-1",
        "Associations": [
            {"Main": True, "RouteTableAssociationId": "a-0"},
            {"Main": False, "SubnetId": "subnet-1", "RouteTableAssociationId": "a-1"},
        ],
        "Routes": [
            {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "InstanceId": "i-1",
                "InstanceOwnerId": "123456789012",
                "NetworkInterfaceId": "eni-1",
                "State": "active",
            },
            {"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1", "State": "active"},
        ],
    }
    with Stubber(client) as stub:
        stub.add_response(
            "describe_route_tables",
            {"RouteTables": [raw]},
            {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]},
        )
        [table] = collect.describe_route_tables(client, ["vpc-1", "vpc-1"])
    assert table.is_main and table.subnet_ids == frozenset({"subnet-1"})
    assert table.routes == (
        checks.Route("10.0.0.0/16", "GatewayId", "local"),
        checks.Route("0.0.0.0/0", "InstanceId", "i-1"),  # the instance, not its interface
        checks.Route("pl-1", "GatewayId", "vpce-1"),
    )


def test_a_route_target_newer_than_the_code_is_kept() -> None:
    route = collect.to_route({"DestinationCidrBlock": "0.0.0.0/0", "OdbNetworkArn": "arn:x"})
    assert (route.target_field, route.target_id) == ("OdbNetworkArn", "arn:x")
    assert checks.check_route(route) == ("route-unknown-target", "an unknown target")


def test_one_permission_becomes_one_rule_per_target() -> None:
    permission = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        "PrefixListIds": [{"PrefixListId": "pl-1"}],
        "UserIdGroupPairs": [{"GroupId": "sg-ep", "UserId": "123456789012"}],
    }
    rules = list(collect.to_egress_rules(permission))
    assert [(r.target_kind, r.target) for r in rules] == [
        ("ipv4", "0.0.0.0/0"),
        ("ipv6", "::/0"),
        ("prefix-list", "pl-1"),
        ("security-group", "sg-ep"),
    ]
    assert all((r.protocol, r.from_port, r.to_port) == ("tcp", 443, 443) for r in rules)


def test_the_subnets_decide_the_vpc() -> None:
    cfg = config(
        "a",
        VpcConfig={
            "SubnetIds": ["subnet-2", "subnet-1"],
            "SecurityGroupIds": ["sg-1"],
            "VpcId": "vpc-x",
        },
    )
    version = collect.to_version(cfg, {"subnet-1": "vpc-1", "subnet-2": "vpc-1"})
    assert (version.vpc_id, version.subnet_ids) == ("vpc-1", ("subnet-1", "subnet-2"))
    assert collect.to_version(cfg, {}).vpc_id == "vpc-x"  # subnets unknown: Lambda's word
    empty = config("b", VpcConfig={"SubnetIds": [], "SecurityGroupIds": [], "VpcId": ""})
    assert collect.to_version(empty, {}).vpc_id is None


def test_unqualified_arn() -> None:
    assert collect.unqualified_arn(ARN + "a:7") == ARN + "a"
    assert collect.unqualified_arn(ARN + "a") == ARN + "a"


def test_published_network_parameters() -> None:
    client = boto3.client("ssm", region_name=REGION)
    names = [f"/team/slackgate/{suffix}" for suffix in collect.NETWORK_PARAMETERS]
    values = ["vpc-1", "subnet-1, subnet-2", "sg-fn"]
    parameters = [
        {"Name": name, "Value": value, "Type": "String"}
        for name, value in zip(names, values, strict=True)
    ]
    with Stubber(client) as stub:
        stub.add_response("get_parameters", {"Parameters": parameters}, {"Names": names})
        stub.add_response(
            "get_parameters",
            {"Parameters": parameters[:1], "InvalidParameters": names[1:]},
            {"Names": names},
        )
        published = collect.load_published_network(client, "team/slackgate/")
        with pytest.raises(collect.GatewayNotDeployed) as missing:
            collect.load_published_network(client, "/team/slackgate")
    assert published == checks.PublishedNetwork(
        "vpc-1", frozenset({"subnet-1", "subnet-2"}), "sg-fn"
    )
    assert str(missing.value) == ", ".join(names[1:])


FACT_NAMES = [
    "/slackgate/api/id",
    "/slackgate/api/url",
    "/slackgate/network/services",
    "/slackgate/network/organization-id",
    "/slackgate/api/account",
]
CALLER = {
    "UserId": "AROAEXAMPLE:audit",
    "Account": "123456789012",
    "Arn": "arn:aws:sts::123456789012:assumed-role/platform-audit/audit",
}


def gateway_facts(parameters: dict[str, str], caller: dict[str, str] = CALLER, **kwargs: Any):
    ssm = boto3.client("ssm", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    answer: dict[str, Any] = {
        "Parameters": [
            {"Name": name, "Value": value, "Type": "String"} for name, value in parameters.items()
        ]
    }
    missing = [name for name in FACT_NAMES if name not in parameters]
    if missing:
        answer["InvalidParameters"] = missing
    with Stubber(ssm) as ssm_stub, Stubber(sts) as sts_stub:
        ssm_stub.add_response("get_parameters", answer, {"Names": FACT_NAMES})
        sts_stub.add_response("get_caller_identity", caller, {})
        return collect.load_gateway_facts(ssm, sts, "slackgate", REGION, **kwargs)


def test_gateway_facts_with_services_and_an_organisation() -> None:
    facts = gateway_facts(
        {
            FACT_NAMES[0]: "abc123",
            FACT_NAMES[1]: "https://abc123.execute-api.eu-west-1.amazonaws.com/live/",
            FACT_NAMES[2]: "execute-api,logs, S3 ,dynamodb",
            FACT_NAMES[3]: "o-a1b2c3d4e5",
        }
    )
    assert facts == GatewayFacts(
        region=REGION,
        account="123456789012",
        api_id="abc123",
        services=("execute-api", "logs", "s3", "dynamodb"),
        services_published=True,
        organization_id="o-a1b2c3d4e5",
        partition="aws",
        relay_stage="live",
    )


def test_an_older_gateway_publishes_no_services() -> None:
    caller = {**CALLER, "Arn": "arn:aws-cn:sts::123456789012:assumed-role/audit/a"}
    facts = gateway_facts({FACT_NAMES[0]: "abc123"}, caller, organization_id="o-zzzzzzzzzz")
    assert (facts.services, facts.services_published) == (("execute-api", "logs"), False)
    # The option names the organisation when the gateway published none; the caller's ARN
    # gives the partition.
    assert (facts.organization_id, facts.partition) == ("o-zzzzzzzzzz", "aws-cn")
    assert facts.relay_stage == "prod"  # no URL: the gateway's stage name


def test_the_gateway_account_tells_a_team_account_from_the_hub() -> None:
    hub = gateway_facts({FACT_NAMES[0]: "abc123", FACT_NAMES[4]: "123456789012"})
    member = gateway_facts({FACT_NAMES[0]: "abc123", FACT_NAMES[4]: "210987654321"})
    older = gateway_facts({FACT_NAMES[0]: "abc123"})  # before api/account was published
    assert (hub.gateway_account, member.gateway_account) == ("123456789012", "210987654321")
    assert [f.in_member_account for f in (hub, member, older)] == [False, True, False]


def test_the_option_wins_over_the_published_organisation() -> None:
    facts = gateway_facts(
        {FACT_NAMES[0]: "abc123", FACT_NAMES[3]: "o-a1b2c3d4e5"}, organization_id="o-zzzzzzzzzz"
    )
    assert facts.organization_id == "o-zzzzzzzzzz"


def test_no_api_id_means_no_gateway() -> None:
    with pytest.raises(collect.GatewayNotDeployed) as missing:
        gateway_facts({FACT_NAMES[2]: "execute-api,logs"})
    assert str(missing.value) == "/slackgate/api/id"


def test_vpc_endpoints_keep_their_policy_text() -> None:
    client = boto3.client("ec2", region_name=REGION)
    policy = '{"Statement": []}'
    raw = [
        {
            "VpcEndpointId": "vpce-2",
            "VpcEndpointType": "Gateway",
            "VpcId": "vpc-1",
            "ServiceName": "com.amazonaws.eu-west-1.s3",
            "State": "available",
            "PolicyDocument": policy,
            "RouteTableIds": ["rtb-1"],
        },
        {
            "VpcEndpointId": "vpce-1",
            "VpcEndpointType": "Interface",
            "VpcId": "vpc-1",
            "ServiceName": "com.amazonaws.eu-west-1.logs",
            "State": "available",
            "Groups": [{"GroupId": "sg-ep", "GroupName": "endpoints"}],
            "NetworkInterfaceIds": ["eni-1", "eni-2"],
        },
    ]
    with Stubber(client) as stub:
        stub.add_response(
            "describe_vpc_endpoints",
            {"VpcEndpoints": raw[:1], "NextToken": "p2"},
            {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]},
        )
        stub.add_response(
            "describe_vpc_endpoints",
            {"VpcEndpoints": raw[1:]},
            {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}], "NextToken": "p2"},
        )
        endpoints = collect.describe_vpc_endpoints(client, ["vpc-1"])
    assert endpoints == (
        VpcEndpoint(
            "vpce-1",
            "com.amazonaws.eu-west-1.logs",
            "Interface",
            "vpc-1",
            "available",
            None,
            ("sg-ep",),
            ("eni-1", "eni-2"),
        ),
        VpcEndpoint(
            "vpce-2", "com.amazonaws.eu-west-1.s3", "Gateway", "vpc-1", "available", policy
        ),
    )


def test_only_aws_managed_prefix_lists_are_named() -> None:
    client = boto3.client("ec2", region_name=REGION)
    lists = [
        {
            "PrefixListId": "pl-aws",
            "PrefixListName": "com.amazonaws.eu-west-1.s3",
            "OwnerId": "AWS",
        },
        {"PrefixListId": "pl-mine", "PrefixListName": "office", "OwnerId": "123456789012"},
    ]
    with Stubber(client) as stub:
        stub.add_response(
            "describe_managed_prefix_lists",
            {"PrefixLists": lists},
            {"Filters": [{"Name": "prefix-list-id", "Values": ["pl-aws", "pl-mine"]}]},
        )
        named = collect.describe_managed_prefix_lists(client, ["pl-mine", "pl-aws"])
    assert named == {"pl-aws": "com.amazonaws.eu-west-1.s3"}
    assert collect.describe_managed_prefix_lists(client, []) == {}  # no call at all
