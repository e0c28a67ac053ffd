"""Makefile.gateway: the pinned CDK CLI, offline-friendly flags, and credentials checked first."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _dry_run(tmp_path: Path, target: str) -> str:
    makefile = REPO / "Makefile"
    if "include Makefile.gateway" not in makefile.read_text():
        makefile = tmp_path / "Makefile"  # the root Makefile does not include it (yet)
        makefile.write_text(f"include {REPO / 'Makefile'}\ninclude {REPO / 'Makefile.gateway'}\n")
    result = subprocess.run(
        ["make", "-n", "-f", str(makefile), target],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("target", ["gateway-synth", "gateway-diff", "gateway-deploy"])
def test_targets_use_the_pinned_cli_quietly(tmp_path: Path, target: str) -> None:
    commands = _dry_run(tmp_path, target)
    (cdk_line,) = [line for line in commands.splitlines() if "npx --no cdk" in line]
    assert cdk_line.startswith("cd shared_gateway && ")
    for setting in (
        "CDK_DISABLE_VERSION_CHECK=1",
        "CDK_DISABLE_CLI_TELEMETRY=1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
        "--no-notices",
    ):
        assert setting in cdk_line
    checks_credentials = "shared_gateway.infra.credentials" in commands
    assert checks_credentials == (target != "gateway-synth")
    if checks_credentials:
        assert commands.index("shared_gateway.infra.credentials") < commands.index("npx")


def test_cli_is_pinned_exactly_in_package_and_lock() -> None:
    package = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert package["devDependencies"]["aws-cdk"] == "2.1148.1"
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == "2.1148.1"
    assert lock["packages"]["node_modules/aws-cdk"]["integrity"].startswith("sha512-")


def test_cdk_json_runs_the_app_with_the_venv_and_pins_zones() -> None:
    cdk = json.loads((REPO / "shared_gateway" / "cdk.json").read_text())
    assert cdk["app"] == "../.venv/bin/python app.py"
    assert cdk["context"]["slackgate:availabilityZones"] == ["eu-west-1a", "eu-west-1b"]


def test_the_preflight_target_checks_credentials_then_asks_aws(tmp_path: Path) -> None:
    commands = _dry_run(tmp_path, "gateway-preflight").splitlines()
    preflight = [i for i, c in enumerate(commands) if "-m shared_gateway preflight" in c]
    credentials = [i for i, c in enumerate(commands) if "shared_gateway.infra.credentials" in c]
    assert len(preflight) == 1 and credentials and credentials[0] < preflight[0]
    assert not any("npx" in c for c in commands)  # no CDK CLI needed to check an account


def test_deploy_runs_the_preflight_before_the_cdk_cli(tmp_path: Path) -> None:
    commands = _dry_run(tmp_path, "gateway-deploy")
    assert "-m shared_gateway preflight" in commands
    assert commands.index("-m shared_gateway preflight") < commands.index("npx --no cdk")
    diff = _dry_run(tmp_path, "gateway-diff")
    assert "-m shared_gateway preflight" not in diff  # a diff reads; it can fail on its own
