"""The audit trail: DNS query logging on the gateway's VPC, and a notification on every change to
its network, delivered to the alarm topic only by this rule (policies evaluated)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared_gateway.iampolicy import Request, evaluate, resolve_cfn
from shared_gateway.infra.audit_trail import API_CALL, NETWORK_CHANGES, network_change_pattern
from shared_gateway.perimeter.probes import OUTSIDE_ACCOUNT

from .conftest import ACCOUNT, PSEUDO, REGION, Synthesized
from .test_secrets_parameters_alarms import KEY_ARN, TOPIC_ARN, _policies

EVENTS = "events.amazonaws.com"
OUR_RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/slackgate-gateway-network-changes"
OTHER_RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/someone-elses-rule"
THEIR_RULE = f"arn:aws:events:{REGION}:{OUTSIDE_ACCOUNT}:rule/slackgate-gateway-network-changes"


def test_query_logging_goes_to_an_encrypted_retained_log_group_for_the_vpc(
    gateway: Synthesized,
) -> None:
    (vpc,) = gateway.resources("AWS::EC2::VPC")
    _, config = gateway.one("AWS::Route53Resolver::ResolverQueryLoggingConfig")
    _, association = gateway.one("AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation")
    assert association["Properties"]["ResourceId"] == {"Ref": vpc}
    group_id = config["Properties"]["DestinationArn"]["Fn::GetAtt"][0]
    group = gateway.resources("AWS::Logs::LogGroup")[group_id]
    assert "KmsKeyId" in group["Properties"] and group["Properties"]["RetentionInDays"] == 365
    assert group["DeletionPolicy"] == "Retain"


def _delivery_policy(gateway: Synthesized) -> dict[str, Any]:
    _, policy = gateway.one("AWS::Logs::ResourcePolicy")
    (group,) = [
        name
        for name, g in gateway.resources("AWS::Logs::LogGroup").items()
        if name.startswith("AuditTrailQueryLogs")
    ]
    refs = {**PSEUDO, f"{group}.Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:queries"}
    return resolve_cfn(policy["Properties"]["PolicyDocument"], refs)


@pytest.mark.parametrize(
    ("principal", "account", "expected"),
    [
        ("delivery.logs.amazonaws.com", ACCOUNT, True),
        ("delivery.logs.amazonaws.com", OUTSIDE_ACCOUNT, False),
        (EVENTS, ACCOUNT, False),
    ],
)
def test_only_log_delivery_for_this_account_writes_the_query_logs(
    gateway: Synthesized, principal: str, account: str, expected: bool
) -> None:
    policy = _delivery_policy(gateway)
    if isinstance(policy, str):
        policy = json.loads(policy)
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:queries:log-stream:x"
    context = {
        "aws:SourceAccount": account,
        "aws:SourceArn": f"arn:aws:logs:{REGION}:{account}:*",
    }
    request = Request("logs:PutLogEvents", stream, principal, context)
    assert evaluate(policy, request, principal_required=True).allowed is expected


def _matches(pattern: Any, event: Any) -> bool:
    """EventBridge matching for what this rule uses: lists of exact values, nested keys."""
    if isinstance(pattern, list):
        return event in pattern
    return isinstance(event, dict) and all(
        key in event and _matches(value, event[key]) for key, value in pattern.items()
    )


def _api_call(source: str, name: str) -> dict[str, Any]:
    return {
        "source": f"aws.{source.split('.')[0]}",
        "detail-type": API_CALL,
        "detail": {"eventSource": source, "eventName": name, "awsRegion": REGION},
    }


def test_the_rule_is_the_pattern_and_notifies_the_alarm_topic(gateway: Synthesized) -> None:
    _, rule = gateway.one("AWS::Events::Rule")
    topic, _ = gateway.one("AWS::SNS::Topic")
    assert rule["Properties"]["EventPattern"] == network_change_pattern()
    assert rule["Properties"]["State"] == "ENABLED"
    assert [t["Arn"] for t in rule["Properties"]["Targets"]] == [{"Ref": topic}]


@pytest.mark.parametrize(
    ("source", "name"),
    [(source, name) for source, names in NETWORK_CHANGES.items() for name in names],
)
def test_every_listed_network_change_matches(source: str, name: str) -> None:
    assert _matches(network_change_pattern(), _api_call(source, name))


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("ec2.amazonaws.com", "DescribeVpcs"),
        ("ec2.amazonaws.com", "RunInstances"),
        ("s3.amazonaws.com", "PutObject"),
        ("route53resolver.amazonaws.com", "ListFirewallRules"),
        ("lambda.amazonaws.com", "CreateRoute"),  # a name of the list, from another service
    ],
)
def test_other_calls_do_not_match(source: str, name: str) -> None:
    assert not _matches(network_change_pattern(), _api_call(source, name))


@pytest.mark.parametrize(
    ("source_arn", "expected"),
    [(OUR_RULE, True), (OTHER_RULE, False), (THEIR_RULE, False), (None, False)],
)
def test_only_this_rule_publishes_to_the_topic_and_uses_its_key(
    gateway: Synthesized, source_arn: str | None, expected: bool
) -> None:
    topic_policy, key_policy = _policies(gateway)
    context: dict[str, Any] = {"aws:SecureTransport": True}
    if source_arn:
        context["aws:SourceArn"] = source_arn
    publish = Request("sns:Publish", TOPIC_ARN, EVENTS, context)
    assert evaluate(topic_policy, publish, principal_required=True).allowed is expected
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        use = Request(action, KEY_ARN, EVENTS, context)
        assert evaluate(key_policy, use, principal_required=True).allowed is expected, action
