"""Inputs that must stop synthesis early with a clear message; context parsing; credentials."""

from __future__ import annotations

import os
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


def test_staging_copies_modules_and_registry_only(tmp_path: Path) -> None:
    registry = REPO / "shared_gateway" / "registry.toml"
    staged = stage_relay_code(registry, tmp_path)
    assert (staged / "registry.toml").read_bytes() == registry.read_bytes()
    assert (staged / "relay" / "handler.py").is_file()
    assert not list(staged.rglob("__pycache__"))
    assert {p.suffix for p in (staged / "relay").iterdir()} == {".py"}


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


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("slackgate:account", "12345", "12-digit"),
        ("slackgate:availabilityZones", ["eu-west-1a"], "at least two"),
        ("slackgate:availabilityZones", ["us-east-1a", "us-east-1b"], "not in eu-west-1"),
        ("slackgate:prefix", "slackgate", "path like /slackgate"),
        ("slackgate:functionTimeoutSeconds", 5, "must exceed deadlineSeconds"),
    ],
)
def test_bad_context_is_refused(key: str, value: object, complaint: str) -> None:
    context = cdk_json_context(**{key: value})
    with pytest.raises(ConfigError, match=complaint):
        GatewayConfig.from_context(context.get)


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
