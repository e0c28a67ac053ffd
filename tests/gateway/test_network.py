"""The confined network: isolated subnets, no way out but the endpoints."""

from __future__ import annotations

import pytest

from .conftest import Synthesized

pytestmark = pytest.mark.slow

NO_TRAFFIC = {
    "CidrIp": "255.255.255.255/32",
    "Description": "Disallow all traffic",
    "FromPort": 252,
    "IpProtocol": "icmp",
    "ToPort": 86,
}


def test_no_internet_gateway_nat_or_elastic_ip(gateway: Synthesized) -> None:
    types = {r["Type"] for r in gateway.template["Resources"].values()}
    forbidden = {
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::EgressOnlyInternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::TransitGatewayAttachment",
        "AWS::EC2::VPCPeeringConnection",
        "AWS::EC2::VPNGateway",
    }
    assert not types & forbidden


def test_no_default_route(gateway: Synthesized) -> None:
    for name, route in gateway.resources("AWS::EC2::Route").items():
        props = route["Properties"]
        assert props.get("DestinationCidrBlock") != "0.0.0.0/0", name
        assert props.get("DestinationIpv6CidrBlock") != "::/0", name


def test_vpc_has_dns_and_isolated_subnets_in_two_zones(gateway: Synthesized) -> None:
    _, vpc = gateway.one("AWS::EC2::VPC")
    assert vpc["Properties"]["EnableDnsSupport"] is True
    assert vpc["Properties"]["EnableDnsHostnames"] is True
    subnets = gateway.resources("AWS::EC2::Subnet").values()
    zones = {s["Properties"]["AvailabilityZone"] for s in subnets}
    assert zones == {"eu-west-1a", "eu-west-1b"}  # from cdk.json, never dummy zones
    for subnet in subnets:
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
        tags = {t["Key"]: t["Value"] for t in subnet["Properties"]["Tags"]}
        assert tags["aws-cdk:subnet-type"] == "Isolated"


def test_default_security_group_is_stripped(gateway: Synthesized) -> None:
    _, restrict = gateway.one("Custom::VpcRestrictDefaultSG")
    assert restrict["Properties"]["DefaultSecurityGroupId"]["Fn::GetAtt"][1] == (
        "DefaultSecurityGroup"
    )


def _group(gateway: Synthesized, description_start: str) -> tuple[str, dict]:
    name = gateway.group(description_start)
    return name, gateway.template["Resources"][name]


def test_security_group_rules_are_exact(gateway: Synthesized) -> None:
    function_sg, function = _group(gateway, "slackgate team functions")
    endpoint_sg, endpoint = _group(gateway, "slackgate interface endpoints")
    assert len(gateway.resources("AWS::EC2::SecurityGroup")) == 2

    # Function group: no inline rules at all; the one egress rule below replaces the
    # default allow-all (CloudFormation drops the default once an egress rule exists).
    assert "SecurityGroupEgress" not in function["Properties"]
    assert "SecurityGroupIngress" not in function["Properties"]
    # Endpoint group: no ingress inline, egress only CDK's match-nothing placeholder.
    assert endpoint["Properties"]["SecurityGroupEgress"] == [NO_TRAFFIC]
    assert "SecurityGroupIngress" not in endpoint["Properties"]

    egress = [r["Properties"] for r in gateway.resources("AWS::EC2::SecurityGroupEgress").values()]
    assert egress == [
        {
            "Description": "HTTPS to the interface endpoints only",
            "DestinationSecurityGroupId": {"Fn::GetAtt": [endpoint_sg, "GroupId"]},
            "FromPort": 443,
            "GroupId": {"Fn::GetAtt": [function_sg, "GroupId"]},
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    ingress = [
        r["Properties"] for r in gateway.resources("AWS::EC2::SecurityGroupIngress").values()
    ]
    assert ingress == [
        {
            "Description": "HTTPS from slackgate team functions",
            "FromPort": 443,
            "GroupId": {"Fn::GetAtt": [endpoint_sg, "GroupId"]},
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {"Fn::GetAtt": [function_sg, "GroupId"]},
            "ToPort": 443,
        }
    ]


def test_interface_endpoints_execute_api_and_logs(gateway: Synthesized) -> None:
    endpoints = gateway.endpoints()
    assert set(endpoints) == {"execute-api", "logs"}  # no service enabled in cdk.json
    endpoint_sg, _ = _group(gateway, "slackgate interface endpoints")
    for _name, props in endpoints.values():
        assert props["VpcEndpointType"] == "Interface"
        assert props["PrivateDnsEnabled"] is True
        assert props["SecurityGroupIds"] == [{"Fn::GetAtt": [endpoint_sg, "GroupId"]}]
        assert len(props["SubnetIds"]) == 2


def test_logs_endpoint_admits_this_account_only(gateway: Synthesized) -> None:
    _, props = gateway.endpoints()["logs"]
    (statement,) = props["PolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:PrincipalAccount": "123456789012",
        "aws:ResourceAccount": "123456789012",
    }


def test_flow_logs_record_all_traffic(gateway: Synthesized) -> None:
    _, flow_log = gateway.one("AWS::EC2::FlowLog")
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["ResourceType"] == "VPC"
