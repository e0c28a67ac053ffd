"""Builds the CDK app: config from context, registry validated first, then the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App

from .bundling import load_deployable_registry
from .config import PACKAGE_DIR, GatewayConfig
from .nag import add_nag_checks
from .stack import GatewayStack

STACK_ID = "SlackgateGateway"


def build_app(
    context: dict[str, Any] | None = None,
    outdir: str | None = None,
    base_dir: Path = PACKAGE_DIR,
    builtin_validation: bool = False,
) -> tuple[App, GatewayStack]:
    """The app and its one stack. Raises RegistryError / DeploymentRegistryError /
    ConfigError before any construct is created when the inputs cannot be deployed.

    CDK's built-in template validator is off by default: it reports warnings only, costs
    seconds per synthesis (most of it loading its engine), and cfn-lint checks the same
    template with errors that fail (tests/gateway, `make gateway-synth`).
    """
    app = App(context=context, outdir=outdir, builtin_cloud_formation_validation=builtin_validation)
    config = GatewayConfig.from_context(app.node.try_get_context, base_dir)
    registry = load_deployable_registry(config.registry_path)
    stack = GatewayStack(app, STACK_ID, config=config, registry=registry)
    if config.nag:
        add_nag_checks(app)
    return app, stack
