"""The infrastructure of this function, in AWS CDK (Python)."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_cdk import App, Environment

from .compliance import add_compliance_checks
from .settings import REPO_ROOT, SETTINGS, Settings
from .stack import FunctionStack

__all__ = ["FunctionStack", "build_app", "cdk_json_context"]

# `make synth`, `make deploy` and the tests turn the cdk-nag packs on; a bare `python app.py`
# leaves them off, since they add about a second to every synthesis.
CHECKS_VARIABLE = "SLACKGATE_COMPLIANCE_CHECKS"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, which the CDK CLI passes in but `python app.py` would not see."""
    return json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8")).get("context", {})


def build_app(
    *, settings: Settings = SETTINGS, checks: bool | None = None, outdir: str | None = None
) -> App:
    if checks is None:
        checks = os.environ.get(CHECKS_VARIABLE, "") not in ("", "0")
    app = App(context=cdk_json_context(), outdir=outdir)
    # Deploys use the account of the credentials (the CLI sets CDK_DEFAULT_ACCOUNT); offline
    # synthesis uses the placeholder account from cdk.json, with its zones in the context.
    account = os.environ.get("CDK_DEFAULT_ACCOUNT") or app.node.try_get_context(
        "slackgate:synth-account"
    )
    FunctionStack(
        app,
        settings.stack_name,
        settings=settings,
        env=Environment(account=account, region=settings.aws_region),
    )
    if checks:
        add_compliance_checks(app)
    return app
