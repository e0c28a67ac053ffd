"""The audit command end to end against a moto account.

Each escape test starts from the confined account of conftest.py and changes exactly one thing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.handlers import BUILTIN_HANDLERS

# The conftest's account: ids of the confined network and helpers (see conftest.py).
Account = Any
REGION = "eu-west-1"
PREFIX = "/slackgate"

CONFINED_STATUS = "confined"
ESCAPES_STATUS = "escapes"


def route(account: Account, **target: str) -> None:
    account.ec2.create_route(
        RouteTableId=account.route_table_id, DestinationCidrBlock="0.0.0.0/0", **target
    )


def test_confined_account_exits_0_with_a_table(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.add_function("digest", team="billing")

    result = run_audit()

    assert result.exit_code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["FUNCTION", "TEAM", "STATUS", "REASONS"]
    assert lines[1].split() == ["digest", "billing", "confined", "-"]
    assert lines[2].split() == ["nightly", "payments", "confined", "-"]
    # The columns line up: STATUS starts at the same offset on every row.
    assert len({line.index("confined") for line in lines[1:3]}) == 1
    assert "2 functions: 2 confined, 0 escapes" in result.out


def test_json_document_shape(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.add_function("leaky", in_vpc=False)

    result = run_audit("--json")

    assert result.exit_code == 1
    document = result.document
    assert document["region"] == REGION
    assert document["summary"] == {
        "functions": 2,
        "confined": 1,
        "escapes": 1,
        "network_findings": 0,
    }
    assert [f["name"] for f in document["functions"]] == ["leaky", "nightly"]
    leaky = document["functions"][0]
    assert set(leaky) == {"name", "arn", "team", "status", "reasons"}
    assert leaky["arn"].endswith(":function:leaky")
    assert leaky["team"] == "payments"
    assert leaky["status"] == ESCAPES_STATUS
    assert leaky["reasons"][0]["code"] == "not-in-vpc"
    assert set(leaky["reasons"][0]) == {"code", "message"}
    endpoints = sorted(
        [
            (account.endpoint_id, f"com.amazonaws.{REGION}.execute-api"),
            (account.logs_endpoint_id, f"com.amazonaws.{REGION}.logs"),
        ]
    )
    assert document["network"] == {
        "vpc_id": account.vpc_id,
        "subnet_ids": sorted(account.subnet_ids),
        "function_sg_id": account.function_sg_id,
        "endpoint_sg_ids": [account.endpoint_sg_id],
        "audited_in_account": "123456789012",
        "services": ["execute-api", "logs"],
        "services_published": True,
        "notes": [],
        "perimeter": {"account": "123456789012", "organization_id": None},
        "endpoints": [
            {"id": id_, "service_name": name, "type": "Interface", "state": "available"}
            for id_, name in endpoints
        ],
        "findings": [],
    }
    # Same account, same bytes: ordering is deterministic.
    assert run_audit("--json").out == result.out


def test_table_lists_every_reason_of_an_escaping_function(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.ec2.authorize_security_group_egress(
        GroupId=account.function_sg_id,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    account.lambda_.create_function_url_config(FunctionName="nightly", AuthType="NONE")

    result = run_audit()

    assert result.exit_code == 1
    lines = result.out.splitlines()
    assert lines[1].split()[:4] == ["nightly", "payments", "escapes", "egress-any-ipv4:"]
    # Further reasons continue under REASONS.
    assert lines[2].startswith(" " * lines[1].index("egress-any-ipv4"))
    assert lines[2].strip().startswith("function-url: function URL https://")
    assert "1 function: 0 confined, 1 escapes" in result.out


def test_not_in_a_vpc(account: Account, run_audit: Any) -> None:
    account.add_function("nightly", in_vpc=False)
    result = run_audit("--json")
    assert result.exit_code == 1
    assert result.codes("nightly") == ["not-in-vpc"]


def test_other_vpc(account: Account, run_audit: Any) -> None:
    other_vpc = account.new_vpc()
    subnet = account.new_subnet(other_vpc, "10.1.1.0/24")
    group = account.new_security_group("other-functions", other_vpc)
    account.add_function("nightly", subnet_ids=[subnet], security_group_ids=[group])

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["wrong-vpc"]
    assert other_vpc in result.verdict("nightly")["reasons"][0]["message"]


def test_extra_subnet_outside_the_published_ones(account: Account, run_audit: Any) -> None:
    extra = account.new_subnet()  # same VPC, main route table (local only), not published
    account.add_function("nightly", subnet_ids=[*account.subnet_ids, extra])

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["subnet-not-published"]
    assert extra in result.verdict("nightly")["reasons"][0]["message"]


def test_extra_security_group(account: Account, run_audit: Any) -> None:
    extra = account.new_security_group("extra")  # no egress at all: only its presence counts
    account.add_function("nightly", security_group_ids=[account.function_sg_id, extra])

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["extra-security-group"]


def test_egress_to_anywhere(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.ec2.authorize_security_group_egress(
        GroupId=account.function_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["egress-any-ipv4"]
    assert "tcp 443 to 0.0.0.0/0" in result.verdict("nightly")["reasons"][0]["message"]


def test_egress_on_another_port(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.ec2.authorize_security_group_egress(
        GroupId=account.function_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "UserIdGroupPairs": [{"GroupId": account.endpoint_sg_id}],
            }
        ],
    )

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["egress-port"]
    assert "tcp 80" in result.verdict("nightly")["reasons"][0]["message"]


def test_route_to_an_internet_gateway(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    route(account, GatewayId=account.internet_gateway())

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["route-internet-gateway"]
    message = result.verdict("nightly")["reasons"][0]["message"]
    assert account.route_table_id in message and "0.0.0.0/0" in message


def test_route_to_a_nat_gateway(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    public_subnet = account.new_subnet(cidr="10.0.100.0/24")
    allocation = account.ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = account.ec2.create_nat_gateway(SubnetId=public_subnet, AllocationId=allocation)
    route(account, NatGatewayId=nat["NatGateway"]["NatGatewayId"])

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["route-nat-gateway"]


def test_route_to_a_peering_connection(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    peer_vpc = account.new_vpc("10.2.0.0/16")
    peering = account.ec2.create_vpc_peering_connection(VpcId=account.vpc_id, PeerVpcId=peer_vpc)
    peering_id = peering["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    account.ec2.create_route(
        RouteTableId=account.route_table_id,
        DestinationCidrBlock="10.2.0.0/16",
        VpcPeeringConnectionId=peering_id,
    )

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["route-vpc-peering"]
    assert peering_id in result.verdict("nightly")["reasons"][0]["message"]


def test_route_to_a_transit_gateway(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    tgw = account.ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    route(account, TransitGatewayId=tgw)

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["route-transit-gateway"]


def test_main_route_table_fallback_with_a_bad_route(account: Account, run_audit: Any) -> None:
    # A published subnet without an explicit association uses the VPC's main table.
    unassociated = account.new_subnet(cidr="10.0.3.0/24")
    account.publish(subnet_ids=[*account.subnet_ids, unassociated])
    account.add_function("nightly", subnet_ids=[unassociated])
    assert run_audit("--json").exit_code == 0  # the main table has only the local route

    main_table = account.main_route_table_id()
    account.ec2.create_route(
        RouteTableId=main_table,
        DestinationCidrBlock="0.0.0.0/0",
        GatewayId=account.internet_gateway(),
    )
    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["route-internet-gateway"]
    message = result.verdict("nightly")["reasons"][0]["message"]
    assert main_table in message and f"main table of {account.vpc_id}" in message


def test_explicit_route_table_wins_over_a_bad_main_table(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.ec2.create_route(
        RouteTableId=account.main_route_table_id(),
        DestinationCidrBlock="0.0.0.0/0",
        GatewayId=account.internet_gateway(),
    )
    assert run_audit("--json").exit_code == 0


def test_function_url(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.lambda_.create_function_url_config(FunctionName="nightly", AuthType="AWS_IAM")

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["function-url"]
    assert "auth AWS_IAM" in result.verdict("nightly")["reasons"][0]["message"]


def test_tag_only_membership_is_detected(account: Account, run_audit: Any) -> None:
    account.add_function("reporter", role="reporting-lambda", tags={"slackgate:team": "billing"})

    result = run_audit("--json")

    assert result.exit_code == 0
    verdict = result.verdict("reporter")
    assert (verdict["team"], verdict["status"]) == ("billing", CONFINED_STATUS)


def test_non_slackgate_function_is_ignored(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    account.add_function("etl", role="data-platform-etl", in_vpc=False, tags={"team": "data"})

    result = run_audit("--json")

    assert result.exit_code == 0
    assert [f["name"] for f in result.document["functions"]] == ["nightly"]


def test_team_mismatch_between_tag_and_role(account: Account, run_audit: Any) -> None:
    account.add_function("nightly", team="payments", tags={"slackgate:team": "billing"})

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["team-mismatch"]
    # The role decides the team, as it does for the relay.
    assert result.verdict("nightly")["team"] == "payments"


def test_published_version_keeps_its_old_network(account: Account, run_audit: Any) -> None:
    account.add_function("nightly", in_vpc=False, publish=True)  # version 1: no VPC
    account.lambda_.update_function_configuration(
        FunctionName="nightly",
        VpcConfig={"SubnetIds": account.subnet_ids, "SecurityGroupIds": [account.function_sg_id]},
    )

    result = run_audit("--json")

    assert result.exit_code == 1
    [reason] = result.verdict("nightly")["reasons"]
    assert reason["code"] == "not-in-vpc"
    assert reason["message"].startswith("version 1: ")


def test_endpoint_group_shared_with_another_interface(account: Account, run_audit: Any) -> None:
    account.add_function("nightly")
    eni = account.ec2.create_network_interface(
        SubnetId=account.subnet_ids[0], Groups=[account.endpoint_sg_id], Description="proxy"
    )["NetworkInterface"]["NetworkInterfaceId"]

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["endpoint-security-group-shared"]
    assert f"{eni} (proxy)" in result.verdict("nightly")["reasons"][0]["message"]


def test_no_slackgate_functions(account: Account, run_audit: Any) -> None:
    result = run_audit()
    assert result.exit_code == 0
    assert result.out.startswith(f"no slackgate functions found in {REGION}")
    assert run_audit("--json").document["summary"] == {
        "functions": 0,
        "confined": 0,
        "escapes": 0,
        "network_findings": 0,
    }


def test_custom_prefix(account: Account, run_audit: Any) -> None:
    account.publish(prefix="/platform/slackgate")
    account.add_function("nightly")
    assert run_audit("--prefix", "platform/slackgate/", "--json").exit_code == 0


def test_missing_parameters_exit_2(moto_aws: None, run_audit: Any) -> None:
    result = run_audit()
    assert result.exit_code == 2
    assert "not deployed" in result.err and f"{PREFIX}/network/vpc-id" in result.err
    assert "--prefix" in result.err
    assert result.out == ""


def test_wrong_prefix_exit_2(account: Account, run_audit: Any) -> None:
    result = run_audit("--prefix", "/elsewhere")
    assert result.exit_code == 2
    assert "/elsewhere/network/vpc-id" in result.err


def test_no_region_exit_2(monkeypatch: pytest.MonkeyPatch, run_audit: Any) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = run_audit()
    assert result.exit_code == 2
    assert "AWS_REGION" in result.err and "--region" in result.err


def test_aws_region_is_honoured(
    account: Account, monkeypatch: pytest.MonkeyPatch, run_audit: Any
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", REGION)
    assert run_audit("--json").document["region"] == REGION


def test_no_credentials_exit_2(monkeypatch: pytest.MonkeyPatch, run_audit: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    result = run_audit()
    assert result.exit_code == 2
    assert "AWS_PROFILE" in result.err and "credentials" in result.err


def test_unknown_profile_exit_2(monkeypatch: pytest.MonkeyPatch, run_audit: Any) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    result = run_audit()
    assert result.exit_code == 2
    assert "nope" in result.err and "AWS_PROFILE" in result.err


def test_empty_prefix_is_a_usage_error(run_audit: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        run_audit("--prefix", "/")
    assert exc.value.code == 2


def test_many_functions(account: Account, run_audit: Any) -> None:
    # moto answers ListFunctions in one page; test_collect.py covers paging with a stub.
    role = account.role("slackgate-payments-bulk")
    for index in range(150):
        account.lambda_.create_function(
            FunctionName=f"fn{index:03d}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            VpcConfig={
                "SubnetIds": account.subnet_ids,
                "SecurityGroupIds": [account.function_sg_id],
            },
        )
    account.add_function("leaky", in_vpc=False)
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.removeprefix("before-call.")] += 1

    BUILTIN_HANDLERS.append(("before-call", count))
    try:
        result = run_audit("--json")
    finally:
        BUILTIN_HANDLERS.remove(("before-call", count))

    assert result.exit_code == 1
    names = [f["name"] for f in result.document["functions"]]
    assert names == sorted(names) and len(names) == 151
    assert result.document["summary"] == {
        "functions": 151,
        "confined": 150,
        "escapes": 1,
        "network_findings": 0,
    }
    # The network is read once for all functions; only tags and URLs are per function.
    ec2_calls = {op: n for op, n in calls.items() if op.startswith("ec2.")}
    assert ec2_calls == {
        "ec2.DescribeSubnets": 1,
        "ec2.DescribeRouteTables": 1,
        "ec2.DescribeVpcEndpoints": 1,
        "ec2.DescribeSecurityGroups": 1,
        "ec2.DescribeNetworkInterfaces": 1,
    }
    assert calls["lambda.ListFunctions"] == 1
    assert calls["lambda.ListTags"] == calls["lambda.ListFunctionUrlConfigs"] == 151
