"""Channel secrets (empty), the published SSM parameters, the relay's alarms."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from .conftest import Synthesized, resolve_join

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
    assert resolve_join(params["/slackgate/api/url"]["Value"]).endswith("/prod")
    for name in params:
        assert params[name]["Type"] in ("String", "StringList")


def test_alarms_on_relay_metrics_to_an_encrypted_ssl_only_topic(gateway: Synthesized) -> None:
    topic_id, topic = gateway.one("AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    _, topic_policy = gateway.one("AWS::SNS::TopicPolicy")
    (statement,) = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
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
    # No e-mail in cdk.json: no subscription.
    assert not gateway.resources("AWS::SNS::Subscription")
