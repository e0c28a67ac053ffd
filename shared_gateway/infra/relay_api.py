"""The relay's PRIVATE REST API: `POST /v1/messages`, IAM-authorised, through our endpoint only.

The resource policy denies every request that did not come from the gateway's VPC (so
through its execute-api endpoint, the only one there), denies every principal that is not a
`slackgate-*` role of this account, denies a role whose IAM tag `slackgate:team` is missing or
names another team than its name does, and allows the rest (`resource_policy`, below, says why
the tag). It names the VPC (`aws:SourceVpc`),
not the endpoint (`aws:SourceVpce`), and the API is not associated with the endpoint, so that
the endpoint's own policy can name this API in the template (endpoint_policy.py).

The stage `prod` is redeployed whenever the policy or the routes change: API Gateway serves
the last *deployment*, not the current definition, so a policy change without a new
deployment would silently not apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .log_groups import encrypted_log_group

STAGE = "prod"
ROUTE = ("v1", "messages")
ROUTE_PATH = "/" + "/".join(ROUTE)
METHOD = "POST"
INVOKE = "execute-api:Invoke"


ROLE_PREFIX = "slackgate-"
TEAM_TAG = "slackgate:team"  # on every team function role: the team slug, set by the platform
TAG_VARIABLE = "${aws:PrincipalTag/" + TEAM_TAG + "}"


def resource_policy(
    vpc_id: str, account: str, team_accounts: Sequence[str] = ()
) -> iam.PolicyDocument:
    """Who may call: a role of this account, in the gateway's VPC, named for the team its tag says.

    A role's name is chosen by whoever creates it, so the name alone (what the relay reads)
    lets anyone who can create `slackgate-payments-x` post as payments. The IAM tag
    `slackgate:team` is what binds a role to a team: the guard rails (SCP) let only a team's
    own deploy principal, itself tagged by the platform, set it, to its own value. The relay
    cannot see tags, so this policy is where the binding is enforced: one generic statement
    denies a role whose ARN is not `role/slackgate-<its tag>-*`, and a `Null` statement denies
    a role without the tag, because a Deny whose variable has no value is an invalid statement
    that denies nothing (IAM User Guide, "Policy variables"). A role with an IAM path does not
    match either (`aws:PrincipalArn` includes the path): team roles have the path `/`.
    """
    accounts = sorted({account, *team_accounts})
    # Teams registered in other accounts (the registry's `accounts`): their roles carry their
    # own account in the ARN, and the accounts are named once, in a statement of their own.
    in_arn = account if len(accounts) == 1 else "*"
    callers = f"arn:aws:iam::{in_arn}:role/{ROLE_PREFIX}*"
    tagged_team = f"arn:aws:iam::{in_arn}:role/{ROLE_PREFIX}{TAG_VARIABLE}-*"
    anyone = [iam.AnyPrincipal()]
    only_our_accounts = []
    if len(accounts) > 1:
        only_our_accounts.append(
            iam.PolicyStatement(
                sid="OnlyTheTeamsAccounts",
                effect=iam.Effect.DENY,
                principals=anyone,
                actions=[INVOKE],
                resources=["execute-api:/*"],
                conditions={"StringNotEquals": {"aws:PrincipalAccount": accounts}},
            )
        )
    return iam.PolicyDocument(
        statements=[
            *only_our_accounts,
            iam.PolicyStatement(
                sid="OnlyFromTheGatewayVpc",
                effect=iam.Effect.DENY,
                principals=anyone,
                actions=[INVOKE],
                resources=["execute-api:/*"],
                # Missing (not through a VPC endpoint) or another VPC: denied. The VPC has one
                # execute-api endpoint, the gateway's; the guard rails forbid adding another.
                conditions={"StringNotEquals": {"aws:SourceVpc": vpc_id}},
            ),
            iam.PolicyStatement(
                sid="OnlySlackgateRoles",
                effect=iam.Effect.DENY,
                principals=anyone,
                actions=[INVOKE],
                resources=["execute-api:/*"],
                conditions={"ArnNotLike": {"aws:PrincipalArn": callers}},
            ),
            iam.PolicyStatement(
                sid="OnlyRolesTaggedWithATeam",
                effect=iam.Effect.DENY,
                principals=anyone,
                actions=[INVOKE],
                resources=["execute-api:/*"],
                conditions={"Null": {f"aws:PrincipalTag/{TEAM_TAG}": "true"}},
            ),
            iam.PolicyStatement(
                sid="OnlyTheTeamOfTheTag",
                effect=iam.Effect.DENY,
                principals=anyone,
                actions=[INVOKE],
                resources=["execute-api:/*"],
                conditions={"ArnNotLike": {"aws:PrincipalArn": tagged_team}},
            ),
            iam.PolicyStatement(
                sid="InvokeTheRelay",
                principals=anyone,
                actions=[INVOKE],
                resources=[f"execute-api:/{STAGE}/{METHOD}{ROUTE_PATH}"],
            ),
        ]
    )


class RelayApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        vpc_id: str,
        account: str,
        team_accounts: Sequence[str] = (),
        key: kms.IKey,
        retention: logs.RetentionDays,
        throttle_rate: int,
        throttle_burst: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.access_logs = encrypted_log_group(self, "AccessLogs", key=key, retention=retention)
        self.policy = resource_policy(vpc_id, account, team_accounts)
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{stack.stack_name}-relay",
            description="slackgate relay (private): POST /v1/messages",
            # No vpc_endpoints: an association only serves the `<api>-<vpce>` Route 53 alias
            # names, which nobody uses (callers use private DNS), and would name the endpoint.
            endpoint_configuration=apigw.EndpointConfiguration(types=[apigw.EndpointType.PRIVATE]),
            policy=self.policy,
            default_method_options=apigw.MethodOptions(
                authorization_type=apigw.AuthorizationType.IAM
            ),
            # Access logging needs the account's API Gateway CloudWatch role, an account-wide
            # setting: `make gateway-preflight` checks it is set, or
            # slackgate:apiGatewayAccountRole makes stack.py create it (api_gateway_account.py).
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=throttle_rate,
                throttling_burst_limit=throttle_burst,
                tracing_enabled=True,
                metrics_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        resource = self.api.root
        for part in ROUTE:
            resource = resource.add_resource(part)
        self.method = resource.add_method(
            METHOD,
            apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False),
            authorization_type=apigw.AuthorizationType.IAM,
        )
        # CDK hashes methods and resources into the deployment's logical id; the resource
        # policy is added explicitly so that a policy change also yields a new deployment.
        self.api.latest_deployment.add_to_logical_id(
            {"policy": self.policy.to_json(), "routes": [f"{METHOD} {ROUTE_PATH}"]}
        )
        self.base_url = (
            f"https://{self.api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}/{STAGE}"
        )
