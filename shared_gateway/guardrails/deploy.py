"""Create or update a guard-rail stack with boto3 (the CDK CLI is not needed for two resources)."""

from __future__ import annotations

import json
from typing import Any

ORGANIZATION_STACK = "slackgate-guardrails"
BOUNDARY_STACK = "slackgate-deploy-boundary"
NO_UPDATES = "No updates are to be performed"


def deploy_stack(
    cloudformation: Any,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, str] | None = None,
) -> str:
    """Creates the stack, or updates it if it exists; waits; returns its final status."""
    from botocore.exceptions import ClientError

    arguments: dict[str, Any] = {
        "StackName": name,
        "TemplateBody": json.dumps(template),
        "Parameters": [
            {"ParameterKey": key, "ParameterValue": value}
            for key, value in (parameters or {}).items()
        ],
        # The boundary is a named IAM policy.
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
    }
    if _exists(cloudformation, name):
        try:
            cloudformation.update_stack(**arguments)
        except ClientError as error:
            if NO_UPDATES in str(error):
                return "UNCHANGED"
            raise
        cloudformation.get_waiter("stack_update_complete").wait(StackName=name)
    else:
        cloudformation.create_stack(**arguments)
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name)
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def _exists(cloudformation: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return any(s["StackStatus"] != "DELETE_COMPLETE" for s in stacks)
