"""Channel secrets (empty), the published SSM parameters, the relay's alarms (and who may publish
to their topic, proven by evaluating the synthesized topic and key policies)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from shared_gateway.iampolicy import Decision, Request, evaluate, resolve_cfn
from shared_gateway.perimeter.probes import OUTSIDE_ACCOUNT

from .conftest import ACCOUNT, PSEUDO, REGION, Synthesized, resolve_join

pytestmark = pytest.mark.slow

REGISTRY = Path(__file__).resolve().parents[2] / "shared_gateway" / "registry.toml"


def test_one_secret_per_channel_created_without_a_value(gateway: Synthesized) -> None:
    channels = tomllib.loads(REGISTRY.read_text())["channels"]
    secrets = gateway.resources("AWS::SecretsManager::Secret").values()
    assert sorted(s["Properties"]["Name"] for s in secrets) == sorted(
        c["secret"] for c in channels.values()
    )
    for secret in secrets:
        assert "SecretString" not in secret["Properties"]
        assert "GenerateSecretString" not in secret["Properties"]
        assert "KmsKeyId" in secret["Properties"]
    assert "hooks.slack.com" not in str(gateway.template)


def test_published_parameters(gateway: Synthesized) -> None:
    params = {
        p["Properties"]["Name"]: p["Properties"]
        for p in gateway.resources("AWS::SSM::Parameter").values()
    }
    vpc_id, _ = gateway.one("AWS::EC2::VPC")
    api_id, _ = gateway.one("AWS::ApiGateway::RestApi")
    subnets = sorted(gateway.resources("AWS::EC2::Subnet"))
    function_sg = next(
        k
        for k, g in gateway.resources("AWS::EC2::SecurityGroup").items()
        if g["Properties"]["GroupDescription"].startswith("slackgate team functions")
    )
    assert set(params) == {
        "/slackgate/network/vpc-id",
        "/slackgate/network/subnet-ids",
        "/slackgate/network/function-sg-id",
        "/slackgate/api/url",
        "/slackgate/api/id",
        "/slackgate/api/account",
        "/slackgate/network/services",
    }
    assert params["/slackgate/network/vpc-id"]["Value"] == {"Ref": vpc_id}
    assert params["/slackgate/network/subnet-ids"]["Type"] == "StringList"
    assert resolve_join(params["/slackgate/network/subnet-ids"]["Value"]) == ",".join(
        "${" + s + "}" for s in subnets
    )
    assert params["/slackgate/network/function-sg-id"]["Value"] == {
        "Fn::GetAtt": [function_sg, "GroupId"]
    }
    # No service enabled in cdk.json: the always-on endpoints only.
    assert params["/slackgate/network/services"]["Type"] == "StringList"
    assert params["/slackgate/network/services"]["Value"] == "execute-api,logs"
    assert params["/slackgate/api/id"]["Value"] == {"Ref": api_id}
    # The API's account is the deploying one (a team stack elsewhere builds its ARN from it).
    assert params["/slackgate/api/account"]["Value"] == {"Ref": "AWS::AccountId"}
    assert params["/slackgate/api/account"]["Type"] == "String"
    assert resolve_join(params["/slackgate/api/url"]["Value"]).endswith("/prod")
    for name in params:
        assert params[name]["Type"] in ("String", "StringList")


def test_alarms_on_relay_metrics_to_an_encrypted_ssl_only_topic(gateway: Synthesized) -> None:
    topic_id, topic = gateway.one("AWS::SNS::Topic")
    key_id, _ = gateway.one("AWS::KMS::Key")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    alarms = {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in gateway.resources("AWS::CloudWatch::Alarm").values()
    }
    assert set(alarms) == {"MessagesBlocked", "UpstreamErrors"}
    for alarm in alarms.values():
        assert alarm["Namespace"] == "Slackgate"
        assert alarm["Dimensions"] == [{"Name": "Service", "Value": "relay"}]
        assert alarm["Statistic"] == "Sum"
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
    # No e-mail in cdk.json: no subscription.
    assert not gateway.resources("AWS::SNS::Subscription")


# Who may publish to the alarm topic, as AWS would decide it from the synthesized topic policy and
# key policy. A topic policy replaces SNS's default one, so CloudWatch publishes only if the topic
# policy allows it, and, the topic being encrypted, only if the key policy lets it use the key.
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:slackgate-alarms"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CLOUDWATCH = "cloudwatch.amazonaws.com"
OUR_ALARM = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:SlackgateGateway-MessagesBlocked"
THEIR_ALARM = f"arn:aws:cloudwatch:{REGION}:{OUTSIDE_ACCOUNT}:alarm:anything"
OTHER_REGION_ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:anything"
OUR_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-payments-nightly/fn"
OUTSIDE_ROLE = f"arn:aws:sts::{OUTSIDE_ACCOUNT}:assumed-role/anything/stolen"


def _alarm_source(account: str, alarm: str, tls: bool = True) -> dict[str, Any]:
    return {"aws:SourceAccount": account, "aws:SourceArn": alarm, "aws:SecureTransport": tls}


# (case, principal, context, allowed by the topic policy)
PUBLISHERS = [
    (
        "CloudWatch, an alarm of this account, over TLS",
        CLOUDWATCH,
        _alarm_source(ACCOUNT, OUR_ALARM),
        True,
    ),
    (
        "CloudWatch for another account's alarm",
        CLOUDWATCH,
        _alarm_source(OUTSIDE_ACCOUNT, THEIR_ALARM),
        False,
    ),
    (
        "CloudWatch naming our account but another account's alarm",
        CLOUDWATCH,
        _alarm_source(ACCOUNT, THEIR_ALARM),
        False,
    ),
    (
        "CloudWatch for an alarm of another region",
        CLOUDWATCH,
        _alarm_source(ACCOUNT, OTHER_REGION_ALARM),
        False,
    ),
    ("CloudWatch with no source at all", CLOUDWATCH, {"aws:SecureTransport": True}, False),
    ("CloudWatch over plain HTTP", CLOUDWATCH, _alarm_source(ACCOUNT, OUR_ALARM, tls=False), False),
    ("another service principal", "events.amazonaws.com", _alarm_source(ACCOUNT, OUR_ALARM), False),
    ("a random principal of another account", OUTSIDE_ROLE, {"aws:SecureTransport": True}, False),
    ("an anonymous caller", "", {"aws:SecureTransport": True}, False),
]


def _policies(gateway: Synthesized) -> tuple[dict[str, Any], dict[str, Any]]:
    topic_id, _ = gateway.one("AWS::SNS::Topic")
    key_id, key = gateway.one("AWS::KMS::Key")
    _, topic_policy = gateway.one("AWS::SNS::TopicPolicy")
    assert topic_policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    refs = {**PSEUDO, topic_id: TOPIC_ARN, f"{key_id}.Arn": KEY_ARN}
    return (
        resolve_cfn(topic_policy["Properties"]["PolicyDocument"], refs),
        resolve_cfn(key["Properties"]["KeyPolicy"], refs),
    )


def _publish_decision(topic_policy: dict[str, Any], principal: str, context: dict[str, Any]) -> Any:
    return evaluate(
        topic_policy, Request("sns:Publish", TOPIC_ARN, principal, context), principal_required=True
    )


@pytest.mark.parametrize(
    ("case", "principal", "context", "expected"),
    [pytest.param(*row, id=row[0]) for row in PUBLISHERS],
)
def test_who_may_publish_to_the_alarm_topic(
    gateway: Synthesized, case: str, principal: str, context: dict[str, Any], expected: bool
) -> None:
    topic_policy, _ = _policies(gateway)
    assert _publish_decision(topic_policy, principal, context).allowed is expected, case


def test_plain_http_is_refused_explicitly_even_to_our_own_principals(gateway: Synthesized) -> None:
    topic_policy, _ = _policies(gateway)
    for principal, context in [
        (CLOUDWATCH, _alarm_source(ACCOUNT, OUR_ALARM, tls=False)),
        (OUR_ROLE, {"aws:SecureTransport": False}),
    ]:
        result = _publish_decision(topic_policy, principal, context)
        assert result.decision is Decision.EXPLICIT_DENY, principal


@pytest.mark.parametrize("action", ["kms:GenerateDataKey", "kms:Decrypt"])
@pytest.mark.parametrize(
    ("case", "principal", "context", "expected"),
    [pytest.param(*row, id=row[0]) for row in PUBLISHERS if "HTTP" not in row[0]],
)
def test_who_may_use_the_topic_key_for_alarms(
    gateway: Synthesized,
    action: str,
    case: str,
    principal: str,
    context: dict[str, Any],
    expected: bool,
) -> None:
    """The key policy alone (service principals have no identity policy to add a grant)."""
    _, key_policy = _policies(gateway)
    request = Request(action, KEY_ARN, principal, context)
    assert evaluate(key_policy, request, principal_required=True).allowed is expected, case


def test_the_proof_catches_the_deny_only_topic_policy(gateway: Synthesized) -> None:
    """Negative control: the topic policy as it was (the TLS deny alone) stops every alarm."""
    topic_policy, _ = _policies(gateway)
    deny_only = {
        **topic_policy,
        "Statement": [s for s in topic_policy["Statement"] if s["Effect"] == "Deny"],
    }
    assert len(deny_only["Statement"]) == 1
    case, principal, context, _ = PUBLISHERS[0]
    assert _publish_decision(topic_policy, principal, context).allowed, case
    assert not _publish_decision(deny_only, principal, context).allowed
