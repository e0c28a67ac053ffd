"""Inputs that must stop synthesis early with a clear message; context parsing; credentials."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared_gateway.infra.bundling import (
    DeploymentRegistryError,
    load_deployable_registry,
    stage_relay_code,
)
from shared_gateway.infra.config import ConfigError, GatewayConfig
from shared_gateway.infra.credentials import credential_sources
from shared_gateway.perimeter import Perimeter
from shared_gateway.relay.registry import RegistryError

from .conftest import cdk_json_context

REPO = Path(__file__).resolve().parents[2]
URL_REGISTRY = """\
[teams.payments]
channels = ["payments-alerts"]

[channels.payments-alerts]
url = "http://127.0.0.1:9000/hook"
"""
BAD_REGISTRY = """\
[teams.Payments]
channels = ["nowhere"]
"""


def _build(tmp_path: Path, registry_text: str) -> None:
    from shared_gateway.infra import build_app

    registry = tmp_path / "registry.toml"
    registry.write_text(registry_text)
    context = cdk_json_context(**{"slackgate:registryPath": str(registry)})
    build_app(context, outdir=str(tmp_path / "out"))


@pytest.mark.slow
def test_invalid_registry_fails_synthesis_with_the_validators_message(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as caught:
        _build(tmp_path, BAD_REGISTRY)
    message = str(caught.value)
    assert message.startswith(f"invalid registry {tmp_path / 'registry.toml'}")
    assert "teams.Payments: bad team slug" in message
    assert not (tmp_path / "out" / "SlackgateGateway.template.json").exists()


@pytest.mark.slow
def test_url_channel_is_refused_for_deployment(tmp_path: Path) -> None:
    with pytest.raises(DeploymentRegistryError) as caught:
        _build(tmp_path, URL_REGISTRY)
    message = str(caught.value)
    assert "channels.payments-alerts: has `url`" in message
    assert 'secret = "slackgate/channels/payments-alerts"' in message


def test_example_registry_is_deployable() -> None:
    registry = load_deployable_registry(REPO / "shared_gateway" / "registry.toml")
    assert set(registry.channels) == {"payments-alerts", "search-reports"}


def test_staging_copies_modules_their_bytecode_and_registry_only(tmp_path: Path) -> None:
    registry = REPO / "shared_gateway" / "registry.toml"
    (REPO / "shared_gateway" / "relay" / "__pycache__").mkdir(exist_ok=True)  # a local cache
    staged = stage_relay_code(registry, tmp_path)
    assert (staged / "registry.toml").read_bytes() == registry.read_bytes()
    assert (staged / "relay" / "handler.py").is_file()
    # Only the bytecode staging writes (tests/gateway/test_relay_bytecode.py checks it).
    assert {p.suffix for p in (staged / "relay").rglob("*") if p.is_file()} == {".py", ".pyc"}
    assert {p.parent.name for p in staged.rglob("*.pyc")} == {"__pycache__"}


def test_context_from_cdk_json_and_from_command_line_strings() -> None:
    context = cdk_json_context()
    config = GatewayConfig.from_context(context.get)
    assert config.availability_zones == ("eu-west-1a", "eu-west-1b")
    assert config.prefix == "/slackgate"
    assert config.registry_path == REPO / "shared_gateway" / "registry.toml"
    assert config.nag is False
    # `-c key=value` gives strings.
    context.update(
        {
            "slackgate:availabilityZones": "eu-west-1a,eu-west-1c",
            "slackgate:prefix": "/platform/slackgate/",
            "slackgate:nag": "true",
        }
    )
    config = GatewayConfig.from_context(context.get)
    assert config.availability_zones == ("eu-west-1a", "eu-west-1c")
    assert config.prefix == "/platform/slackgate"
    assert config.nag is True


def test_services_and_organisation_from_context() -> None:
    default = GatewayConfig.from_context(cdk_json_context().get)
    assert default.enabled_services == () and default.organization_id == ""
    assert default.perimeter == Perimeter("123456789012")
    for given in (["ssm", "S3"], "ssm, s3", '["s3", "ssm"]', "s3,ssm,s3,logs,execute-api"):
        config = GatewayConfig.from_context(cdk_json_context(**{"slackgate:services": given}).get)
        assert [s.name for s in config.enabled_services] == ["s3", "ssm"], given  # catalogue order
    context = cdk_json_context(**{"slackgate:organizationId": "o-a1b2c3d4e5"})
    assert GatewayConfig.from_context(context.get).perimeter == Perimeter(
        "123456789012", "o-a1b2c3d4e5"
    )


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("slackgate:account", "12345", "12-digit"),
        ("slackgate:account", "١٢٣٤٥٦٧٨٩٠١٢", "12-digit"),  # Arabic-Indic digits
        ("slackgate:availabilityZones", ["eu-west-1a"], "at least two"),
        ("slackgate:availabilityZones", ["us-east-1a", "us-east-1b"], "not in eu-west-1"),
        ("slackgate:prefix", "slackgate", "path like /slackgate"),
        ("slackgate:functionTimeoutSeconds", 5, "must exceed deadlineSeconds"),
        (
            "slackgate:services",
            ["s3", "sns"],
            "slackgate:services: 'sns' is refused: SNS delivers to subscribers outside the "
            "organisation",
        ),
        ("slackgate:services", "ses", "'ses' is refused: SES sends e-mail to any address"),
        (
            "slackgate:services",
            ["lambda"],
            "'lambda' is refused: Lambda invoke reaches functions that may run outside",
        ),
        (
            "slackgate:services",
            "s3,dynamo",
            "'dynamo' is not a service slackgate offers; offered: s3, dynamodb, secretsmanager",
        ),
        ("slackgate:services", '["s3"', "is not a JSON list"),
        ("slackgate:services", {"s3": True}, "is not a list of names"),
        ("slackgate:organizationId", "o-short", "is not an organization id like o-"),
        ("slackgate:organizationId", "123456789012", "leave it empty to keep the perimeter"),
    ],
)
def test_bad_context_is_refused(key: str, value: object, complaint: str) -> None:
    context = cdk_json_context(**{key: value})
    with pytest.raises(ConfigError, match=re.escape(complaint)):
        GatewayConfig.from_context(context.get)


def test_refused_and_unknown_services_fail_synthesis_together(tmp_path: Path) -> None:
    from shared_gateway.infra import build_app

    context = cdk_json_context(**{"slackgate:services": ["s3", "firehose", "s4"]})
    with pytest.raises(ConfigError) as caught:
        build_app(context, outdir=str(tmp_path / "out"))
    message = str(caught.value)
    assert message.startswith("invalid gateway context:\n  slackgate:services: ")
    assert "'firehose' is refused: Firehose delivers records to HTTP endpoints" in message
    assert "'s4' is not a service slackgate offers" in message
    assert message.endswith("Remove it from slackgate:services (cdk.json or -c).")
    assert not (tmp_path / "out" / "SlackgateGateway.template.json").exists()


def test_credentials_check_finds_the_usual_sources(tmp_path: Path) -> None:
    assert credential_sources({}, tmp_path) == []
    assert credential_sources({"AWS_PROFILE": "platform"}, tmp_path) == ["AWS_PROFILE"]
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("[default]\n")
    assert credential_sources({}, tmp_path) == [str(tmp_path / ".aws" / "config")]


def test_credentials_check_fails_fast_saying_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "shared_gateway.infra.credentials"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "AWS_PROFILE" in result.stderr and "AWS_ACCESS_KEY_ID" in result.stderr


@pytest.mark.slow
def test_cdk_app_reports_a_refused_service_without_a_traceback(tmp_path: Path) -> None:
    """What `cdk synth -c slackgate:services=s3,sns` shows: the message, exit status 1."""
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(cdk_json_context(**{"slackgate:services": "s3,sns"})),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [sys.executable, str(REPO / "shared_gateway" / "app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("slackgate: invalid gateway context:\n  slackgate:services:")
    assert "'sns' is refused" in result.stderr and "Traceback" not in result.stderr
