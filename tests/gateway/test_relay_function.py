"""The relay function: outside the VPC, bundled with its registry, reading only its secrets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shared_gateway.relay.keywords import LAYOUT_MODULE
from shared_gateway.relay.registry import load_registry, parse_registry

from .conftest import Synthesized

pytestmark = pytest.mark.slow

RELAY_SOURCE = Path(__file__).resolve().parents[2] / "shared_gateway" / "relay"


def _relay(gateway: Synthesized) -> tuple[str, dict]:
    functions = gateway.resources("AWS::Lambda::Function")
    (found,) = [
        (k, f)
        for k, f in functions.items()
        if f["Properties"].get("Handler") == "relay.handler.handler"
    ]
    return found


def test_runtime_handler_environment_and_timeout(gateway: Synthesized) -> None:
    _, function = _relay(gateway)
    props = function["Properties"]
    # The Python that synthesizes compiles the shipped bytecode (test_relay_bytecode.py).
    assert props["Runtime"] == "python{}.{}".format(*sys.version_info[:2])
    env = props["Environment"]["Variables"]
    assert env == {
        "SLACKGATE_CONFIG": "/var/task/registry.json",
        "SLACKGATE_DEADLINE_SECONDS": "8",
        "SLACKGATE_ACCOUNT_ID": "123456789012",
        "SLACKGATE_RATE_TABLE": {"Ref": gateway.one("AWS::DynamoDB::Table")[0]},
    }
    assert props["Timeout"] > int(env["SLACKGATE_DEADLINE_SECONDS"])
    assert props["ReservedConcurrentExecutions"] > 0


def test_relay_is_not_in_the_vpc(gateway: Synthesized) -> None:
    _, function = _relay(gateway)
    assert "VpcConfig" not in function["Properties"]


def test_log_group_with_retention(gateway: Synthesized) -> None:
    _, function = _relay(gateway)
    group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert gateway.template["Resources"][group]["Properties"]["RetentionInDays"] == 365


def test_asset_holds_relay_package_and_registry(gateway: Synthesized) -> None:
    _, function = _relay(gateway)
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    asset_dir = gateway.outdir / f"asset.{asset_hash}"
    staged = sorted(
        p.relative_to(asset_dir).as_posix()
        for p in asset_dir.rglob("*")
        if p.is_file() and p.suffix != ".pyc"
    )
    modules = sorted(
        p.relative_to(RELAY_SOURCE.parent).as_posix() for p in RELAY_SOURCE.rglob("*.py")
    )
    layout = f"relay/{LAYOUT_MODULE}.py"  # the scanner's keyword layout, made when bundling
    assert staged == sorted(["registry.json", "registry.toml", layout, *modules])
    registry = (RELAY_SOURCE.parent / "registry.toml").read_text()
    assert (asset_dir / "registry.toml").read_text() == registry
    # What the relay reads: the same registry, as JSON.
    bundled = load_registry(asset_dir / "registry.json")
    assert bundled.teams == parse_registry(registry).teams
    assert bundled.channels == parse_registry(registry).channels


def test_secret_read_is_scoped_to_the_channel_secrets(gateway: Synthesized) -> None:
    secrets = sorted(gateway.resources("AWS::SecretsManager::Secret"))
    grants = []
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"):
        for resource in gateway.resources(kind).values():
            documents = [resource["Properties"].get("PolicyDocument")]
            documents += [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
            for document in filter(None, documents):
                for statement in document["Statement"]:
                    actions = statement["Action"]
                    actions = [actions] if isinstance(actions, str) else actions
                    if any(a.startswith("secretsmanager:") for a in actions):
                        grants.append(statement)
    (grant,) = grants  # exactly one statement in the stack touches Secrets Manager
    assert grant["Action"] == "secretsmanager:GetSecretValue"
    assert grant["Effect"] == "Allow"
    assert sorted(r["Ref"] for r in grant["Resource"]) == secrets


def test_relay_role_has_only_its_own_policy(gateway: Synthesized) -> None:
    _, function = _relay(gateway)
    role = gateway.template["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
    (policy_ref,) = role["Properties"]["ManagedPolicyArns"]
    assert gateway.template["Resources"][policy_ref["Ref"]]["Type"] == "AWS::IAM::ManagedPolicy"
    assert "Policies" not in role["Properties"]
    assert (
        json.dumps(role["Properties"]["AssumeRolePolicyDocument"]).count("lambda.amazonaws.com")
        == 1
    )
