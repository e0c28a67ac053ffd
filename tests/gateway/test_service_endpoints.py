"""The services of `slackgate:services`: per service its endpoint, policy, security-group rule,
DNS names and published name; exactly those and nothing else; nothing of it when none is
enabled; the organisation switch. (The policies are proven by evaluation in
test_perimeter_proof.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared_gateway.iampolicy import resolve_cfn
from shared_gateway.perimeter import (
    LOGS,
    OFFERED,
    Perimeter,
    Service,
    endpoint_policy,
    published_names,
)
from shared_gateway.perimeter.services import GATEWAY

from .conftest import ACCOUNT, ORGANIZATION_ID, PSEUDO, REGION, Synthesized, resolve_join

pytestmark = pytest.mark.slow

SERVICES = list(OFFERED.values())
GATEWAY_SERVICES = [s for s in SERVICES if s.endpoint == GATEWAY]
PREFIX_LIST_ID = "PrefixLists.0.PrefixListId"


def _ids(services: list[Service]) -> list[str]:
    return [service.name for service in services]


def canonical(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """A policy's statements in one spelling: CDK sorts actions and unwraps one-item lists."""

    def spelled(statement: dict[str, Any]) -> dict[str, Any]:
        actions = statement["Action"]
        return {**statement, "Action": sorted([actions] if isinstance(actions, str) else actions)}

    return [spelled(statement) for statement in policy["Statement"]]


def _policy(gateway: Synthesized, service: str) -> dict[str, Any]:
    _, props = gateway.endpoints()[service]
    return resolve_cfn(props["PolicyDocument"], PSEUDO)


def _prefix_list_lookups(gateway: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """The deploy-time prefix-list lookups, by the prefix-list name they look for."""
    found = {}
    for name, resource in gateway.resources("Custom::AWS").items():
        call = json.loads(resolve_join(resource["Properties"]["Create"]))
        if call["action"] == "describeManagedPrefixLists":
            (wanted,) = call["parameters"]["Filters"][0]["Values"]
            found[wanted] = (name, resource["Properties"])
    return found


def _egress(gateway: Synthesized) -> list[dict[str, Any]]:
    return [r["Properties"] for r in gateway.resources("AWS::EC2::SecurityGroupEgress").values()]


def _allowed_domains(gateway: Synthesized) -> list[str]:
    lists = gateway.resources("AWS::Route53Resolver::FirewallDomainList").values()
    (allowed,) = [r["Properties"]["Domains"] for r in lists if r["Properties"]["Domains"] != ["*"]]
    return [resolve_join(domain) for domain in allowed]


def _parameters(gateway: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        p["Properties"]["Name"]: p["Properties"]
        for p in gateway.resources("AWS::SSM::Parameter").values()
    }


def _isolated_route_tables(gateway: Synthesized) -> list[dict[str, str]]:
    associations = gateway.resources("AWS::EC2::SubnetRouteTableAssociation").values()
    subnets = set(gateway.resources("AWS::EC2::Subnet"))  # all isolated (test_network.py)
    assert {a["Properties"]["SubnetId"]["Ref"] for a in associations} == subnets
    return sorted((a["Properties"]["RouteTableId"] for a in associations), key=str)


@pytest.mark.parametrize("service", SERVICES, ids=_ids(SERVICES))
def test_each_service_gets_its_endpoint(gateway_all: Synthesized, service: Service) -> None:
    name, props = gateway_all.endpoints()[service.name]
    assert resolve_cfn(props["ServiceName"], PSEUDO) == service.endpoint_service_name(REGION)
    if service.endpoint == GATEWAY:
        assert props["VpcEndpointType"] == "Gateway"
        assert sorted(props["RouteTableIds"], key=str) == _isolated_route_tables(gateway_all)
        assert "SubnetIds" not in props and "SecurityGroupIds" not in props
    else:
        endpoint_sg = gateway_all.group("slackgate interface endpoints")
        subnets = sorted(gateway_all.resources("AWS::EC2::Subnet"))
        assert props["VpcEndpointType"] == "Interface"
        assert props["PrivateDnsEnabled"] is True
        assert props["SecurityGroupIds"] == [{"Fn::GetAtt": [endpoint_sg, "GroupId"]}]
        assert sorted(s["Ref"] for s in props["SubnetIds"]) == subnets
    assert props["VpcId"] == {"Ref": gateway_all.one("AWS::EC2::VPC")[0]}, name


@pytest.mark.parametrize("service", [*SERVICES, LOGS], ids=_ids([*SERVICES, LOGS]))
def test_each_endpoint_policy_is_the_catalogues(
    gateway_all: Synthesized, gateway_org: Synthesized, service: Service
) -> None:
    for gateway, perimeter in (
        (gateway_all, Perimeter(ACCOUNT)),
        (gateway_org, Perimeter(ACCOUNT, ORGANIZATION_ID)),
    ):
        policy = _policy(gateway, service.name)
        assert canonical(policy) == canonical(endpoint_policy(service, perimeter))
    # Spelled out once for the account perimeter: both conditions, the outward actions denied.
    allow, *rest = _policy(gateway_all, service.name)["Statement"]
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"AWS": "*"}
    assert allow["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
    }
    denied = [a for s in rest if s["Effect"] == "Deny" for a in s["Action"]]
    assert sorted(denied) == sorted(service.outward_actions)


def test_s3_endpoint_denies_publishing_even_on_our_buckets(gateway_all: Synthesized) -> None:
    (deny,) = [s for s in _policy(gateway_all, "s3")["Statement"] if s["Effect"] == "Deny"]
    assert deny["Resource"] == "*" and "Condition" not in deny
    for action in (
        "s3:PutBucketPolicy",
        "s3:PutBucketAcl",
        "s3:PutObjectAcl",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutReplicationConfiguration",
        "s3:PutBucketWebsite",
    ):
        assert action in deny["Action"]


@pytest.mark.parametrize("service", GATEWAY_SERVICES, ids=_ids(GATEWAY_SERVICES))
def test_gateway_service_prefix_list_found_at_deploy_time(
    gateway_all: Synthesized, service: Service
) -> None:
    name, props = _prefix_list_lookups(gateway_all)[service.endpoint_service_name(REGION)]
    expected = {
        "service": "EC2",
        "action": "describeManagedPrefixLists",
        "parameters": {
            "Filters": [
                {"Name": "prefix-list-name", "Values": [service.endpoint_service_name(REGION)]}
            ]
        },
        "outputPaths": [PREFIX_LIST_ID],
        "physicalResourceId": {"responsePath": PREFIX_LIST_ID},
    }
    assert json.loads(props["Create"]) == json.loads(props["Update"]) == expected
    # Its permission: the one read-only call, which has no resource-level permissions.
    (policy_id,) = gateway_all.template["Resources"][name]["DependsOn"]
    policy = gateway_all.template["Resources"][policy_id]["Properties"]["PolicyDocument"]
    assert policy["Statement"] == [
        {"Action": "ec2:DescribeManagedPrefixLists", "Effect": "Allow", "Resource": "*"}
    ]


def test_function_group_egress_is_exactly_the_endpoints(gateway_all: Synthesized) -> None:
    function_sg = {"Fn::GetAtt": [gateway_all.group("slackgate team functions"), "GroupId"]}
    endpoint_sg = {"Fn::GetAtt": [gateway_all.group("slackgate interface endpoints"), "GroupId"]}
    lookups = _prefix_list_lookups(gateway_all)
    assert sorted(lookups) == sorted(s.endpoint_service_name(REGION) for s in GATEWAY_SERVICES)
    https = {"GroupId": function_sg, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    expected = [{**https, "DestinationSecurityGroupId": endpoint_sg}] + [
        {**https, "DestinationPrefixListId": {"Fn::GetAtt": [lookup, PREFIX_LIST_ID]}}
        for lookup, _ in lookups.values()
    ]
    found = [{k: v for k, v in rule.items() if k != "Description"} for rule in _egress(gateway_all)]
    assert sorted(found, key=json.dumps) == sorted(expected, key=json.dumps)
    # The function group still has no inline rule of any kind.
    function = gateway_all.template["Resources"][function_sg["Fn::GetAtt"][0]]["Properties"]
    assert "SecurityGroupEgress" not in function and "SecurityGroupIngress" not in function


def test_dns_firewall_allows_exactly_the_enabled_names(gateway_all: Synthesized) -> None:
    api_id, _ = gateway_all.one("AWS::ApiGateway::RestApi")
    expected = [f"${{{api_id}}}.execute-api.{REGION}.amazonaws.com"]
    for service in (LOGS, *SERVICES):
        expected += service.domains(REGION, ACCOUNT)
    allowed = _allowed_domains(gateway_all)
    assert allowed == expected
    assert f"s3.{REGION}.amazonaws.com" in allowed and f"ssm.{REGION}.amazonaws.com" in allowed
    for domain in allowed:  # regional names only: never *.amazonaws.com or a global name
        assert domain.endswith(f".{REGION}.amazonaws.com"), domain
        assert domain.count("*") <= 1 and domain.startswith("*.") == ("*" in domain), domain
        assert domain.removeprefix("*.").count(".") >= 3, domain
    _, group = gateway_all.one("AWS::Route53Resolver::FirewallRuleGroup")
    assert [r["Action"] for r in sorted(group["Properties"]["FirewallRules"], key=_priority)] == [
        "ALLOW",
        "BLOCK",
    ]


def _priority(rule: dict[str, Any]) -> int:
    return rule["Priority"]


def test_published_services_and_organisation(
    gateway_all: Synthesized, gateway_org: Synthesized
) -> None:
    params = _parameters(gateway_all)
    services = params["/slackgate/network/services"]
    assert services["Type"] == "StringList"
    assert services["Value"].split(",") == published_names(SERVICES)
    assert services["Value"].split(",")[:2] == ["execute-api", "logs"]
    assert "/slackgate/network/organization-id" not in params  # account mode: none
    organisation = _parameters(gateway_org)["/slackgate/network/organization-id"]
    assert (organisation["Type"], organisation["Value"]) == ("String", ORGANIZATION_ID)


def test_nothing_new_without_services(gateway: Synthesized) -> None:
    """cdk.json enables no service: the endpoints, egress and names of before, exactly."""
    assert set(gateway.endpoints()) == {"execute-api", "logs"}
    assert not _prefix_list_lookups(gateway)
    assert not gateway.resources("Custom::AWS")  # no lookup; the endpoint policy is no call
    assert [rule.get("DestinationSecurityGroupId") is not None for rule in _egress(gateway)] == [
        True
    ]
    assert _allowed_domains(gateway)[1:] == [f"logs.{REGION}.amazonaws.com"]
    params = _parameters(gateway)
    assert params["/slackgate/network/services"]["Value"] == "execute-api,logs"
    assert "/slackgate/network/organization-id" not in params


def test_organisation_mode_switches_every_condition(gateway_org: Synthesized) -> None:
    endpoints = gateway_org.endpoints()
    assert set(endpoints) == {"execute-api", "logs", *OFFERED}
    for service, (_, props) in endpoints.items():
        if service == "execute-api":  # the relay-only policy, applied after the API exists
            continue
        text = json.dumps(props["PolicyDocument"])
        assert "aws:PrincipalAccount" not in text and "aws:ResourceAccount" not in text, service
        for statement in props["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            condition = statement["Condition"]["StringEquals"]
            assert condition["aws:PrincipalOrgID"] == ORGANIZATION_ID, service
            assert set(condition) <= {"aws:PrincipalOrgID", "aws:ResourceOrgID"}, service
