"""The SCP that confines team functions: `slackgate-*` runs only in the gateway's network.

Lambda's condition keys for VPC settings (`lambda:VpcIds`, `lambda:SubnetIds`,
`lambda:SecurityGroupIds`) are sent with CreateFunction and UpdateFunctionConfiguration;
Lambda derives the VPC id from the subnets. `lambda:VpcIds` is single-valued, so a negated
operator denies both another VPC and no VPC at all (a negated operator is true when its key
is absent). The subnet and security-group keys are multivalued: `ForAnyValue:StringNotEquals`
denies as soon as one value is not the gateway's (one of ours and one foreign: denied).
"""

from __future__ import annotations

from typing import Any

from .settings import TEAM_TAG, GuardrailSettings

TEAM_FUNCTIONS = "arn:aws:lambda:*:*:function:slackgate-*"
PLACEMENT_ACTIONS = ["lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"]
# The one service principal the team template grants invoke to: its EventBridge schedule
# (schedule_trigger.py). An SQS trigger is an event source mapping and needs no permission.
TRIGGER_PRINCIPALS = ["events.amazonaws.com"]
# What a team principal may do only to its own functions (slackgate-<its team>-*).
FUNCTION_WRITES = [
    "lambda:CreateFunction",
    "lambda:UpdateFunction*",
    "lambda:DeleteFunction*",
    "lambda:PublishVersion",
    "lambda:*Alias",
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "lambda:PutFunction*",
    "lambda:TagResource",
    "lambda:UntagResource",
]


def _deny(sid: str, actions: list[str], condition: dict[str, Any], **where: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": actions}
    statement.update(where or {"Resource": TEAM_FUNCTIONS})
    if condition:
        statement["Condition"] = condition
    return statement


def placement_statements(
    settings: GuardrailSettings, functions: str = TEAM_FUNCTIONS, exempt: bool = True
) -> list[dict[str, Any]]:
    """VPC, subnets, security group and layers of `functions` (the boundary passes `*`)."""
    platform = settings.not_platform(member_stacks=False) if exempt else {}
    return [
        _deny(
            "TeamFunctionsInGatewayVpc",
            PLACEMENT_ACTIONS,
            {"StringNotEquals": {"lambda:VpcIds": settings.vpc_id}, **platform},
            Resource=functions,
        ),
        _deny(
            "TeamFunctionsInGatewaySubnets",
            PLACEMENT_ACTIONS,
            {
                "ForAnyValue:StringNotEquals": {"lambda:SubnetIds": list(settings.subnet_ids)},
                **platform,
            },
            Resource=functions,
        ),
        # In the gateway's account, the gateway's group. A team account in organisation mode
        # has its own group in the shared VPC, made by its member stack (docs/organisation.md);
        # there the group is held by the network SCP instead, which leaves the platform alone
        # able to create or change a group in the gateway's VPC, and Lambda refuses a group
        # outside the subnets' VPC.
        _deny(
            "TeamFunctionsWithGatewaySg",
            PLACEMENT_ACTIONS,
            {
                "ForAnyValue:StringNotEquals": {
                    "lambda:SecurityGroupIds": settings.security_group_id
                },
                # (A boundary binds only roles of the gateway's account: no condition needed.)
                **({"StringEquals": {"aws:PrincipalAccount": settings.account}} if exempt else {}),
                **platform,
            },
            Resource=functions,
        ),
        _deny(
            "TeamFunctionsNeedTheSg",
            PLACEMENT_ACTIONS,
            {"Null": {"lambda:SecurityGroupIds": "true"}, **platform},
            Resource=functions,
        ),
        _deny(
            "TeamFunctionsOwnLayersOnly",
            PLACEMENT_ACTIONS,
            {
                # The function's own account: a team account's layers are its own.
                "ForAnyValue:StringNotLike": {
                    "lambda:Layer": "arn:aws:lambda:*:${aws:PrincipalAccount}:layer:*"
                },
                **platform,
            },
            Resource=functions,
        ),
    ]


def exposure_statements(
    settings: GuardrailSettings, functions: str = TEAM_FUNCTIONS, exempt: bool = True
) -> list[dict[str, Any]]:
    """No function URL, no other invoker, no async destination on `functions`."""
    platform = settings.not_platform(member_stacks=False) if exempt else {}
    return [
        # No exemption: no function of the namespace needs a URL or an async destination.
        _deny(
            "NoTeamFunctionUrlsOrAsyncDestinations",
            [
                "lambda:CreateFunctionUrlConfig",
                "lambda:UpdateFunctionUrlConfig",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:UpdateFunctionEventInvokeConfig",
            ],
            {},
            Resource=functions,
        ),
        _deny(
            "TeamFunctionsInvokedByTriggersOnly",
            ["lambda:AddPermission"],
            {"StringNotEquals": {"lambda:Principal": TRIGGER_PRINCIPALS}, **platform},
            Resource=functions,
        ),
    ]


def team_scope_statement(exempt_condition: dict[str, Any] | None = None) -> dict[str, Any]:
    """A team principal creates and changes only slackgate-<its team>-* functions.

    So every function a team deploys is in the confined namespace, and no team can replace the
    code or configuration of another team's function (which would post as that team).
    """
    condition: dict[str, Any] = {"Null": {f"aws:PrincipalTag/{TEAM_TAG}": "false"}}
    if exempt_condition:
        condition.update(exempt_condition)
    return _deny(
        "TeamsChangeOwnFunctionsOnly",
        FUNCTION_WRITES,
        condition,
        NotResource=f"arn:aws:lambda:*:*:function:slackgate-${{aws:PrincipalTag/{TEAM_TAG}}}-*",
    )


def functions_scp(settings: GuardrailSettings) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            *placement_statements(settings),
            *exposure_statements(settings),
            team_scope_statement(settings.not_platform(member_stacks=False)),
        ],
    }
