"""The infrastructure of this function, in AWS CDK (Python)."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam

from .compliance import add_compliance_checks
from .settings import REPO_ROOT, SETTINGS, Settings
from .stack import FunctionStack

__all__ = [
    "PERMISSIONS_BOUNDARY_CONTEXT",
    "FunctionStack",
    "apply_permissions_boundary",
    "build_app",
    "cdk_json",
    "cdk_json_context",
]

# `make synth`, `make deploy` and the tests turn the cdk-nag packs on; a bare `python app.py`
# leaves them off, since they add about a second to every synthesis.
CHECKS_VARIABLE = "SLACKGATE_COMPLIANCE_CHECKS"
# The managed policy every role of the stack carries as its permissions boundary; "" for none.
# Where this repository's CDK bootstrap has a boundary (the guard rails' single-account
# slackgate-team-deploy-boundary), the boundary lets it create only roles that carry it too.
PERMISSIONS_BOUNDARY_CONTEXT = "slackgate:permissionsBoundary"
# An IAM managed policy name (IAM's pattern), after its path if it has one: what follows
# ":policy/" in its ARN. An ARN, with its colons, is not one.
POLICY_NAME = re.compile(r"([\w+=,.@-]+/)*[\w+=,.@-]{1,128}")


def cdk_json() -> dict[str, Any]:
    """This repository's cdk.json."""
    return json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, which the CDK CLI passes in but `python app.py` would not see."""
    return cdk_json().get("context", {})


def apply_permissions_boundary(stack: Stack) -> str | None:
    """Puts the managed policy named by the context's slackgate:permissionsBoundary on every
    role of the stack, including those constructs make for themselves; returns its name."""
    name = stack.node.try_get_context(PERMISSIONS_BOUNDARY_CONTEXT)
    if name in (None, ""):
        return None
    if not isinstance(name, str) or not POLICY_NAME.fullmatch(name):
        raise ValueError(
            f"cdk.json: {PERMISSIONS_BOUNDARY_CONTEXT} = {name!r} is not a managed policy "
            'name — write the name only, e.g. "slackgate-team-deploy-boundary" (not its '
            'ARN), or "" for no permissions boundary'
        )
    policy = iam.ManagedPolicy.from_managed_policy_name(stack, "PermissionsBoundary", name)
    iam.PermissionsBoundary.of(stack).apply(policy)
    return name


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
    stack = FunctionStack(
        app,
        settings.stack_name,
        settings=settings,
        env=Environment(account=account, region=settings.aws_region),
    )
    apply_permissions_boundary(stack)
    if checks:
        add_compliance_checks(app)
    return app
