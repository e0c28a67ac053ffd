"""The gateway's own IAM roles are named and placed outside the teams' `slackgate-<team>-*` names.

CloudFormation names a role it is not given a name for after the stack: `slackgate-gateway-
<logical id>-<random>`. Such a name is a team role's name for a team called `gateway`: the relay
would map it to that team, the caller pattern of the API's resource policy would match it, and
the audit would count the relay and CDK's custom-resource functions as team functions that
escape. So every role of the stack gets, from this aspect:

- the path `PLATFORM_ROLE_PATH` (`/slackgate-platform/`), which only `iam:CreateRole` sets and
  never changes afterwards, so the guard rails can reserve it for the platform;
- the name `SlackgatePlatform-<purpose>-<first 8 hex digits of the stack's id>`: no team pattern
  (`slackgate-...`, case-sensitive in IAM patterns and in the relay) matches it, and the stack
  id keeps it unique per region and per stack instance (a retained role of a deleted stack does
  not collide with the next deployment's), as IAM names are global to the account.

A role this module does not know fails synthesis with the fix: name it in `PURPOSES`.
"""

from __future__ import annotations

import jsii
from aws_cdk import Aws, CfnResource, Fn, IAspect, Stack
from constructs import IConstruct

PLATFORM_ROLE_PATH = "/slackgate-platform/"
ROLE_NAME_PREFIX = "SlackgatePlatform"
# Role construct path below the stack -> the purpose in its name.
PURPOSES = {
    "Relay/Role/Resource": "Relay",
    "Network/FlowLogRole/Resource": "FlowLogs",
    "Custom::VpcRestrictDefaultSGCustomResourceProvider/Role": "RestrictDefaultSg",
    "AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource": "CustomResources",
    "ApiGatewayAccount/Role/Resource": "ApiGatewayLogs",
}


class PlatformRoleError(ValueError):
    """A role of the gateway stack has no platform name."""


def stack_id_suffix() -> str:
    """The first group of the stack id's UUID (`arn:...:stack/<name>/<uuid>`), as a token."""
    uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    return Fn.select(0, Fn.split("-", uuid))


@jsii.implements(IAspect)
class PlatformRoles:
    """Gives every AWS::IAM::Role of the stack the platform path and a platform name."""

    def visit(self, node: IConstruct) -> None:
        if not (isinstance(node, CfnResource) and node.cfn_resource_type == "AWS::IAM::Role"):
            return
        stack = Stack.of(node)
        relative = node.node.path.removeprefix(stack.node.path + "/")
        purpose = PURPOSES.get(relative)
        if purpose is None:
            raise PlatformRoleError(
                f"the gateway role {relative} has no platform name: add its construct path to "
                "PURPOSES in shared_gateway/infra/platform_roles.py (a role CloudFormation "
                "names itself would be named slackgate-gateway-..., a team role's name)"
            )
        node.add_property_override("Path", PLATFORM_ROLE_PATH)
        node.add_property_override(
            "RoleName", Fn.join("-", [ROLE_NAME_PREFIX, purpose, stack_id_suffix()])
        )
