"""The audit in a team account of an organisation, against moto.

A team account's functions run in the gateway's shared subnets with the account's own group
(the member stack's: egress TCP 443 to the gateway's VPC), and its `<prefix>/api/account`
copy names the hub. moto does not share a VPC across accounts, so the member account below
holds a stand-in with the shared VPC's range and no endpoints, routes or DNS firewall of its
own: as a participant sees it, those are the hub's. The audit then checks the functions and
their group, and leaves the network to the hub's own audit, which checks the published
subnets' routes even with no function of its own there.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import (
    ACCOUNT_ID,
    API_ID,
    PREFIX,
    REGION,
    RELAY_NAME,
    Account,
    assumed_session,
    revoke_all_egress,
)

HUB = ACCOUNT_ID
MEMBER = "444444444444"
SHARED_RANGE = "10.80.0.0/16"


class Member:
    """The member account's clients and the ids its member stack published."""

    def __init__(self) -> None:
        session = assumed_session(MEMBER)
        self.ec2, self.ssm = session.client("ec2"), session.client("ssm")
        self.lambda_, self.iam = session.client("lambda"), session.client("iam")
        self.vpc_id = self.ec2.create_vpc(CidrBlock=SHARED_RANGE)["Vpc"]["VpcId"]
        self.subnet_ids = [
            self.ec2.create_subnet(
                VpcId=self.vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}"
            )["Subnet"]["SubnetId"]
            for cidr, zone in (("10.80.1.0/24", "a"), ("10.80.2.0/24", "b"))
        ]
        self.group_id = self.ec2.create_security_group(
            GroupName="slackgate-functions", Description="member stack", VpcId=self.vpc_id
        )["GroupId"]
        revoke_all_egress(self.ec2, self.group_id)
        self.allow(SHARED_RANGE)
        values = {
            "network/vpc-id": self.vpc_id,
            "network/subnet-ids": ",".join(self.subnet_ids),
            "network/function-sg-id": self.group_id,
            "network/services": "execute-api,logs",
            "api/url": f"https://{RELAY_NAME}/prod",
            "api/id": API_ID,
            "api/account": HUB,
        }
        for suffix, value in values.items():
            self.ssm.put_parameter(Name=f"{PREFIX}/{suffix}", Type="String", Value=value)

    def allow(self, cidr: str, protocol: str = "tcp", port: int = 443) -> None:
        self.ec2.authorize_security_group_egress(
            GroupId=self.group_id,
            IpPermissions=[
                {
                    "IpProtocol": protocol,
                    "FromPort": port,
                    "ToPort": port,
                    "IpRanges": [{"CidrIp": cidr}],
                }
            ],
        )

    def add_function(self, name: str, groups: list[str] | None = None) -> None:
        role = self.iam.create_role(
            RoleName=f"slackgate-billing-{name}",
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
        )["Role"]["Arn"]
        self.lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            VpcConfig={"SubnetIds": self.subnet_ids, "SecurityGroupIds": groups or [self.group_id]},
        )


@pytest.fixture
def member(account: Account) -> Member:
    return Member()


def report(result: Any) -> dict[str, Any]:
    (entry,) = result.document["accounts"]
    assert entry["status"] == "audited", entry
    return entry["report"]


def test_a_confined_member_function_passes_and_the_network_is_left_to_the_hub(
    account: Account, member: Member, run_audit: Any
) -> None:
    member.add_function("digest")
    result = run_audit("--accounts", MEMBER, "--json")

    assert result.exit_code == 0, result.out + result.err
    document = report(result)
    assert [(f["name"], f["status"]) for f in document["functions"]] == [("digest", "confined")]
    network = document["network"]
    assert network["audited_in_account"] == HUB
    assert network["shared_vpc_cidrs"] == [SHARED_RANGE]
    assert network["findings"] == []
    assert "network_findings" not in document["summary"]
    # Nothing of the hub's network was read with the member's credentials.
    assert member.vpc_id not in account.firewall.asked_for


def test_the_text_report_points_to_the_hub(member: Member, run_audit: Any) -> None:
    member.add_function("digest")
    result = run_audit("--accounts", MEMBER)

    assert result.exit_code == 0, result.out
    assert f"shared by account {HUB}" in result.out
    assert "audited in that account (audit it too)" in result.out
    assert f"({SHARED_RANGE}) on tcp 443" in result.out
    # No count of network findings for a network that was not audited here.
    assert "1 function: 1 confined, 0 escapes (region" in result.out


@pytest.mark.parametrize(
    ("cidr", "protocol", "port", "code"),
    [
        ("10.0.0.0/8", "tcp", 443, "egress-cidr"),  # wider than the gateway's VPC
        ("0.0.0.0/0", "tcp", 443, "egress-any-ipv4"),
        (SHARED_RANGE, "tcp", 22, "egress-port"),  # the VPC, but not 443
    ],
)
def test_a_member_group_reaching_further_escapes(
    member: Member, run_audit: Any, cidr: str, protocol: str, port: int, code: str
) -> None:
    member.allow(cidr, protocol, port)
    member.add_function("digest")
    result = run_audit("--accounts", MEMBER, "--json")

    assert result.exit_code == 1
    (function,) = report(result)["functions"]
    assert function["status"] == "escapes"
    assert [r["code"] for r in function["reasons"]] == [code]


def test_a_member_function_with_another_group_escapes(member: Member, run_audit: Any) -> None:
    other = member.ec2.create_security_group(
        GroupName="own", Description="a team's own", VpcId=member.vpc_id
    )["GroupId"]
    revoke_all_egress(member.ec2, other)  # even with no egress at all, it is not the platform's
    member.add_function("digest", groups=[member.group_id, other])
    result = run_audit("--accounts", MEMBER, "--json")

    assert result.exit_code == 1
    (function,) = report(result)["functions"]
    assert [r["code"] for r in function["reasons"]] == ["extra-security-group"]


def test_the_hub_and_a_member_together(account: Account, member: Member, run_audit: Any) -> None:
    member.add_function("digest")
    result = run_audit("--accounts", f"{HUB},{MEMBER}", "--json")

    assert result.exit_code == 0, result.out
    hub, other = (e["report"]["network"] for e in result.document["accounts"])
    assert (hub["audited_in_account"], other["audited_in_account"]) == (HUB, HUB)
    assert hub["findings"] == [] and "endpoints" in hub and "endpoints" not in other
    assert result.document["hubs_not_audited"] == {}  # the hub's network was audited too


def test_a_run_without_the_hub_says_so(member: Member, run_audit: Any) -> None:
    member.add_function("digest")
    as_json = run_audit("--accounts", MEMBER, "--json")
    as_text = run_audit("--accounts", MEMBER)

    assert as_json.document["hubs_not_audited"] == {HUB: [MEMBER]}
    note = as_text.out.strip().splitlines()[-1]
    assert note.startswith(f"note: account {HUB} owns the shared VPC of {MEMBER}")
    assert f"add {HUB} to --accounts" in note
    # A note, not a failure: the member's own functions are confined.
    assert (as_json.exit_code, as_text.exit_code) == (0, 0)


def test_the_hub_checks_its_published_subnets_routes_with_no_function_there(
    account: Account, run_audit: Any
) -> None:
    """The member accounts' audits leave these routes to the hub's: a route out is a network
    finding even when no function of the hub's account runs in the subnets."""
    assert run_audit("--json").exit_code == 0
    gateway = account.internet_gateway()
    account.ec2.create_route(
        RouteTableId=account.route_table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway
    )
    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.document["functions"] == []
    (finding,) = result.document["network"]["findings"]
    assert finding["code"] == "published-subnet-route"
    assert finding["message"].startswith("route-internet-gateway: ")
    assert gateway in finding["message"]
