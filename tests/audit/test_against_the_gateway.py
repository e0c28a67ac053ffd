"""The audit passes what the gateway deploys: the synthesized stack, read as the audit reads AWS.

The gateway stack is synthesized with every offered service (in account and organisation mode);
its endpoints with their policies (each as its template writes it, the execute-api one
included), its DNS firewall and its published parameters become the audit's plain data, and the
network checks must find nothing. A change on either side that the other does not follow (a
DNS name, a policy statement CDK renders differently, a parameter) fails here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from shared_gateway.audit import network_checks
from shared_gateway.audit.network import (
    DnsFirewall,
    FirewallAssociation,
    FirewallRule,
    GatewayFacts,
    VpcEndpoint,
)
from shared_gateway.iampolicy import resolve_cfn
from shared_gateway.perimeter import OFFERED

REPO = Path(__file__).resolve().parents[2]
STACK_FILE = "SlackgateGateway.template.json"
ACCOUNT, REGION, VPC = "123456789012", "eu-west-1", "vpc-gateway"
API_ID = "relayapi01"
ORGANIZATION = "o-a1b2c3d4e5"


class Deployed(Mapping[str, Any]):
    """What CloudFormation would substitute: the pseudo parameters, the relay API's id, and
    for any other logical id (or attribute) its own name, which stands in for the real id."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.known: dict[str, Any] = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        for name, resource in template["Resources"].items():
            if resource["Type"] == "AWS::ApiGateway::RestApi":
                self.known[name] = API_ID

    def __getitem__(self, key: str) -> Any:
        return self.known.get(key, key.split(".")[0])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


def synthesize(tmp_path: Path, **context: Any) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from shared_gateway.infra import build_app

    cdk_context = json.loads((REPO / "shared_gateway" / "cdk.json").read_text())["context"]
    cdk_context.update({"slackgate:nag": False, "slackgate:services": list(OFFERED), **context})
    app, _ = build_app(cdk_context, outdir=str(tmp_path))
    app.synth()
    return json.loads((tmp_path / STACK_FILE).read_text())


def resources(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == type_name
    }


def endpoints(template: dict[str, Any], refs: Deployed) -> list[VpcEndpoint]:
    return [
        VpcEndpoint(
            id=name,
            service_name=resolve_cfn(props["ServiceName"], refs),
            endpoint_type=props.get("VpcEndpointType", "Gateway"),
            vpc_id=VPC,
            policy=json.dumps(resolve_cfn(props["PolicyDocument"], refs)),
        )
        for name, props in resources(template, "AWS::EC2::VPCEndpoint").items()
    ]


def dns_firewall(template: dict[str, Any], refs: Deployed) -> DnsFirewall:
    lists = {
        name: tuple(resolve_cfn(props["Domains"], refs))
        for name, props in resources(template, "AWS::Route53Resolver::FirewallDomainList").items()
    }
    groups = resources(template, "AWS::Route53Resolver::FirewallRuleGroup")
    associations = tuple(
        FirewallAssociation(
            id=name,
            rule_group_id=(group := resolve_cfn(props["FirewallRuleGroupId"], refs)),
            priority=props["Priority"],
            rules=tuple(
                FirewallRule(
                    rule["Priority"],
                    rule["Action"],
                    resolve_cfn(rule["FirewallDomainListId"], refs),
                )
                for rule in groups[group]["FirewallRules"]
            ),
        )
        for name, props in resources(
            template, "AWS::Route53Resolver::FirewallRuleGroupAssociation"
        ).items()
    )
    return DnsFirewall(associations, lists)


def published(template: dict[str, Any], refs: Deployed) -> dict[str, str]:
    return {
        props["Name"]: resolve_cfn(props["Value"], refs)
        for props in resources(template, "AWS::SSM::Parameter").values()
    }


@pytest.fixture(scope="module", params=["account", "organisation"])
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    context = {"slackgate:organizationId": ORGANIZATION} if request.param != "account" else {}
    template = synthesize(tmp_path_factory.mktemp("cdk.out"), **context)
    return template, Deployed(template)


def gateway_facts(template: dict[str, Any], refs: Deployed) -> GatewayFacts:
    """What the audit reads from the published parameters (collect.load_gateway_facts)."""
    parameters = published(template, refs)
    assert parameters["/slackgate/api/id"] == API_ID
    return GatewayFacts(
        region=REGION,
        account=ACCOUNT,
        api_id=API_ID,
        services=tuple(parameters["/slackgate/network/services"].split(",")),
        organization_id=parameters.get("/slackgate/network/organization-id", ""),
        relay_stage=parameters["/slackgate/api/url"].rstrip("/").rsplit("/", 1)[-1],
    )


def test_the_deployed_gateway_has_no_network_finding(gateway: Any) -> None:
    template, refs = gateway
    facts = gateway_facts(template, refs)
    assert set(facts.services) == {"execute-api", "logs", *OFFERED}
    found = endpoints(template, refs)
    assert len(found) == 2 + len(OFFERED)

    assert network_checks.check_network(found, dns_firewall(template, refs), facts, VPC) == []


def test_the_audit_would_catch_the_gateway_losing_a_denial(gateway: Any) -> None:
    # The same data with one outward action dropped from S3's policy: the probe names it.
    template, refs = gateway
    found = endpoints(template, refs)
    [s3] = [e for e in found if e.service_name.endswith(".s3")]
    policy = json.loads(s3.policy or "{}")
    for statement in policy["Statement"]:
        if statement["Effect"] == "Deny":
            statement["Action"].remove("s3:PutBucketPolicy")
    changed = VpcEndpoint(s3.id, s3.service_name, s3.endpoint_type, VPC, policy=json.dumps(policy))
    facts = gateway_facts(template, refs)
    [finding] = network_checks.check_endpoint_policy(changed, facts)
    assert "admits s3:PutBucketPolicy by our principal on our resource" in finding.message
