"""The execute-api endpoint's policy: this account's principals may invoke the relay's one route
(`POST /v1/messages` on stage `prod` of the relay API), and nothing else, on no other API.

It is written in the template, on the endpoint resource itself. The API's resource policy
admits requests from the gateway's VPC (`aws:SourceVpc`) rather than from this endpoint
(`aws:SourceVpce`), and the PRIVATE API is not associated with the endpoint (callers use the
endpoint's private DNS name, `<api-id>.execute-api.<region>.amazonaws.com`, which needs no
association), so the API never names the endpoint and the endpoint can name the API: no
dependency cycle, and no custom resource that a re-sent endpoint property would silently undo.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

INVOKE = "execute-api:Invoke"


def relay_route_arn(api: apigw.IRestApi, stage: str, method: str, path: str) -> str:
    """`arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<method><path>`."""
    return api.arn_for_execute_api(method, path, stage)


def relay_only_statement(
    api: apigw.IRestApi, accounts: Sequence[str], stage: str, method: str, path: str
) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="RelayRouteOnly",
        principals=[iam.AnyPrincipal()],
        actions=[INVOKE],
        resources=[relay_route_arn(api, stage, method, path)],
        # Team functions run in this account (and in the teams' registered accounts); a
        # stolen credential of any other account gets nothing through the gateway's endpoint,
        # not even the relay.
        conditions={"StringEquals": {"aws:PrincipalAccount": _one_or_list(accounts)}},
    )


def _one_or_list(accounts: Sequence[str]) -> str | list[str]:
    return accounts[0] if len(accounts) == 1 else list(accounts)


def restrict_to_relay(
    endpoint: ec2.InterfaceVpcEndpoint,
    api: apigw.IRestApi,
    *,
    account: str,
    team_accounts: Sequence[str] = (),
    stage: str,
    method: str,
    path: str,
) -> None:
    """Sets the endpoint's policy to the relay-only statement (its only statement)."""
    accounts = sorted({account, *team_accounts})
    endpoint.add_to_policy(relay_only_statement(api, accounts, stage, method, path))
