"""The gateway's own roles are outside the teams' names: the platform path and a
`SlackgatePlatform-...` name on every role, so the relay, the API's policy and the audit never
take one of them for a team's role."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.audit import checks
from shared_gateway.iampolicy import RoleSession, evaluate, resolve_cfn
from shared_gateway.infra.platform_roles import PLATFORM_ROLE_PATH
from shared_gateway.relay.identity import CallerRejected, team_of_caller
from shared_gateway.relay.registry import parse_registry

from .conftest import ACCOUNT, PSEUDO, Synthesized
from .test_relay_api import RELAY_ROUTE, deployed_resource_policy

pytestmark = pytest.mark.slow

STACK_ID = f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/slackgate-gateway/1a2b3c4d-aaaa-bbbb"
CONFIGURATIONS = ["gateway", "gateway_all", "gateway_org"]


def deployed_roles(gateway: Synthesized) -> dict[str, tuple[str, str]]:
    """Every role's (path, name) as CloudFormation would create it."""
    refs = {**PSEUDO, "AWS::StackId": STACK_ID}
    return {
        logical_id: (role["Properties"]["Path"], resolve_cfn(role["Properties"]["RoleName"], refs))
        for logical_id, role in gateway.resources("AWS::IAM::Role").items()
    }


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_every_role_has_the_platform_path_and_name(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    roles = deployed_roles(request.getfixturevalue(configuration))
    assert len(roles) >= 3  # the relay, flow logs, the default-SG provider (and more with S3)
    for logical_id, (path, name) in roles.items():
        assert path == PLATFORM_ROLE_PATH, logical_id
        assert name.startswith("SlackgatePlatform-") and name.endswith("-1a2b3c4d"), name
        assert len(name) <= 64, name
    names = [name for _, name in roles.values()]
    assert len(set(names)) == len(names)


def test_no_gateway_role_passes_for_a_team(gateway_all: Synthesized) -> None:
    registry = parse_registry(
        '[teams.payments]\nchannels=["a"]\n[channels.a]\nurl="http://127.0.0.1:1/h"'
    )
    policy = deployed_resource_policy(gateway_all)
    for path, name in deployed_roles(gateway_all).values():
        session = RoleSession(ACCOUNT, name, path=path)
        # The API refuses it (in the VPC or not), ...
        request = session.request(
            "execute-api:Invoke", RELAY_ROUTE, **{"aws:SourceVpc": "vpc-gateway"}
        )
        assert not evaluate(policy, request, principal_required=True).allowed, name
        # ... the relay would not map it to a team, ...
        event: dict[str, Any] = {"requestContext": {"identity": {"userArn": session.principal}}}
        with pytest.raises(CallerRejected):
            team_of_caller(event, registry)
        # ... and the audit does not count a function running with it as a team function.
        version = checks.FunctionVersion("$LATEST", session.role_arn)
        assert not checks.is_slackgate(checks.LambdaFunction("relay", "arn:relay", (version,)))


def test_a_role_without_a_platform_name_fails_synthesis() -> None:
    from aws_cdk import App, Aspects, Stack
    from aws_cdk import aws_iam as iam

    from shared_gateway.infra.platform_roles import PlatformRoles

    app = App(builtin_cloud_formation_validation=False)
    stack = Stack(app, "Gateway")
    iam.Role(stack, "Surprise", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    Aspects.of(stack).add(PlatformRoles())
    with pytest.raises(
        Exception, match="Surprise/Resource has no platform name: add its construct"
    ):
        app.synth()
