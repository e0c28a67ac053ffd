"""`make deploy` first checks that the gateway offers the services the function uses, and that
this repository's own CDK bootstrap is in the account, as cdk.json expects it (moto)."""

from __future__ import annotations

import dataclasses
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.settings import SETTINGS
from scripts import preflight
from slackgate_local.relay.registry import bootstrap_qualifier

SERVICES = f"{SETTINGS.ssm_prefix}/network/services"
READS_DYNAMODB = dataclasses.replace(
    SETTINGS, reads=("s3://example-reports/daily/", "dynamodb:example-settlements"), writes=()
)
NOTHING = dataclasses.replace(SETTINGS, reads=(), writes=())
TEAM, REGION = SETTINGS.team, SETTINGS.aws_region
ACCOUNT = "123456789012"  # moto's
BOOTSTRAP = preflight.bootstrap_settings()  # this repository's cdk.json
EXECUTION_ROLE = f"cdk-{BOOTSTRAP.qualifier}-cfn-exec-role-{ACCOUNT}-{REGION}"
BOUNDARY = preflight.DEPLOY_BOUNDARY
BOUNDED = dataclasses.replace(BOOTSTRAP, permissions_boundary=BOUNDARY)
COMMAND = (
    f"npx cdk bootstrap aws://{ACCOUNT}/{REGION} --qualifier {BOOTSTRAP.qualifier} "
    f"--toolkit-stack-name SlackgateToolkit-{TEAM} --tags slackgate:team={TEAM}"
)
WITH_BOUNDARY = f"{COMMAND} --custom-permissions-boundary {BOUNDARY}"


def publish(services: str) -> None:
    boto3.client("ssm").put_parameter(Name=SERVICES, Value=services, Type="StringList")


def create_boundary_policy(name: str = BOUNDARY) -> str:
    """The guard rails' single-account boundary (its content does not matter here)."""
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    iam = boto3.client("iam")
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]


def bootstrap(*, boundary: bool = False, team: str | None = TEAM, role: bool = True) -> None:
    """What `cdk bootstrap` leaves that the preflight reads: the version parameter and the
    CloudFormation execution role, with the tag and the boundary it was given."""
    boto3.client("ssm").put_parameter(Name=BOOTSTRAP.version_parameter, Value="28", Type="String")
    if not role:
        return
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudformation.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    options: dict[str, object] = {}
    if boundary:
        options["PermissionsBoundary"] = create_boundary_policy()
    if team is not None:
        options["Tags"] = [{"Key": "slackgate:team", "Value": team}]
    boto3.client("iam").create_role(
        RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(trust), **options
    )


@pytest.fixture
def bootstrapped(aws) -> None:
    bootstrap()


def test_cdk_json_names_the_teams_own_bootstrap() -> None:
    expected = preflight.Bootstrap(
        qualifier=bootstrap_qualifier(TEAM),  # the first 10 characters, as the registry says
        toolkit_stack_name=f"SlackgateToolkit-{TEAM}",
        permissions_boundary="",
    )
    assert expected == BOOTSTRAP
    assert len(BOOTSTRAP.qualifier) <= 10 and TEAM.startswith(BOOTSTRAP.qualifier)


def test_the_bootstrap_settings_are_read_from_cdk_json() -> None:
    assert preflight.bootstrap_settings(
        {
            "toolkitStackName": "SlackgateToolkit-x",
            "context": {
                "@aws-cdk/core:bootstrapQualifier": "x",
                "slackgate:permissionsBoundary": "b",
            },
        }
    ) == preflight.Bootstrap("x", "SlackgateToolkit-x", "b")
    # Without them, the CDK's defaults: the default bootstrap, no boundary.
    assert preflight.bootstrap_settings({}) == preflight.Bootstrap("hnb659fds", "CDKToolkit", "")


def test_with_nothing_declared_only_the_bootstrap_is_checked(bootstrapped, capsys) -> None:
    assert preflight.main(NOTHING) == 0
    out = capsys.readouterr().out
    assert "no resources declared in infra/settings.py; no AWS service to check" in out
    assert (
        f"preflight: deploying through the CDK bootstrap {BOOTSTRAP.qualifier!r} "
        f"(SlackgateToolkit-{TEAM}) in {ACCOUNT}/{REGION}"
    ) in out


def test_passes_when_the_gateway_offers_every_service(bootstrapped, capsys) -> None:
    publish("execute-api,logs,s3,dynamodb")
    assert preflight.main(READS_DYNAMODB) == 0
    assert "the gateway offers dynamodb, s3" in capsys.readouterr().out


def test_fails_naming_the_missing_service_and_who_adds_it(bootstrapped, capsys) -> None:
    publish("execute-api,logs,s3")
    assert preflight.main(READS_DYNAMODB) == 1
    err = capsys.readouterr().err
    assert (
        "this function reads DynamoDB but the gateway does not offer dynamodb: ask the "
        "platform team to add it to slackgate:services"
    ) in err
    assert err.count("does not offer") == 1  # S3 is offered: not reported


def test_reads_and_writes_are_both_named(aws) -> None:
    publish("execute-api,logs")
    both = dataclasses.replace(
        SETTINGS, reads=("s3://example-reports/daily/",), writes=("s3://example-reports/out/",)
    )
    assert preflight.check(both, boto3.client("ssm")) == [
        "this function reads and writes to S3 but the gateway does not offer s3: ask the "
        "platform team to add it to slackgate:services"
    ]


def test_an_older_gateway_without_the_parameter_is_explained(bootstrapped, capsys) -> None:
    assert preflight.main(READS_DYNAMODB) == 1
    err = capsys.readouterr().err
    assert f"the gateway publishes no {SERVICES}" in err and "dynamodb, s3" in err


@pytest.mark.parametrize("services", ["s3, dynamodb ", "dynamodb,s3,sqs"])
def test_the_list_is_read_as_the_gateway_writes_it(aws, services) -> None:
    publish(services)
    assert preflight.check(READS_DYNAMODB, boto3.client("ssm")) == []


def test_without_the_bootstrap_it_prints_the_command_to_run(aws, capsys) -> None:
    assert preflight.main(NOTHING) == 1
    err = capsys.readouterr().err
    assert f"no {BOOTSTRAP.version_parameter}" in err
    assert f"\n    {COMMAND}\n" in err  # on a line of its own, to paste
    assert "--custom-permissions-boundary" not in err
    assert "administrator credentials" in err and "ask them to run it" in err
    assert "preflight: nothing was deployed." in err


def test_with_the_guard_rails_boundary_the_command_carries_it(aws, capsys) -> None:
    create_boundary_policy()
    assert preflight.main(NOTHING) == 1
    err = capsys.readouterr().err
    assert f"\n    {WITH_BOUNDARY}\n" in err
    # and says what cdk.json needs, so that the next preflight passes
    assert f'set "slackgate:permissionsBoundary": "{BOUNDARY}" in the context of cdk.json' in err


def test_the_services_and_the_bootstrap_are_reported_together(aws, capsys) -> None:
    publish("execute-api,logs,s3")
    assert preflight.main(READS_DYNAMODB) == 1
    err = capsys.readouterr().err
    assert "does not offer dynamodb" in err and COMMAND in err


def test_a_bounded_bootstrap_needs_the_boundary_in_cdk_json(aws, capsys) -> None:
    bootstrap(boundary=True)
    assert preflight.main(NOTHING, BOOTSTRAP) == 1
    err = capsys.readouterr().err
    assert (
        f"the bootstrap's CloudFormation execution role {EXECUTION_ROLE} has the permissions "
        f"boundary {BOUNDARY}, which lets it create only roles that carry it too, and "
        "cdk.json's slackgate:permissionsBoundary is empty: set "
        f'"slackgate:permissionsBoundary": "{BOUNDARY}" in the context of cdk.json'
    ) in err


def test_a_bounded_bootstrap_with_another_boundary_in_cdk_json_fails(aws, capsys) -> None:
    bootstrap(boundary=True)
    other = dataclasses.replace(BOOTSTRAP, permissions_boundary="my-boundary")
    assert preflight.main(NOTHING, other) == 1
    err = capsys.readouterr().err
    assert "slackgate:permissionsBoundary is my-boundary" in err
    assert f'"slackgate:permissionsBoundary": "{BOUNDARY}"' in err


def test_a_bounded_bootstrap_with_the_boundary_in_cdk_json_passes(aws, capsys) -> None:
    bootstrap(boundary=True)
    assert preflight.main(NOTHING, BOUNDED) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert f"every role bounded by {BOUNDARY}" in captured.out


def test_a_boundary_in_cdk_json_that_the_account_lacks_fails(aws, capsys) -> None:
    bootstrap()  # no boundary on the bootstrap, none in the account
    assert preflight.main(NOTHING, BOUNDED) == 1
    err = capsys.readouterr().err
    assert f"names the managed policy {BOUNDARY}, which account {ACCOUNT} does not have" in err


def test_a_boundary_in_cdk_json_on_an_unbounded_bootstrap_passes(aws) -> None:
    """Bounding the stack's roles more than the bootstrap requires is allowed."""
    bootstrap()
    create_boundary_policy()
    assert preflight.main(NOTHING, BOUNDED) == 0


@pytest.mark.parametrize(
    ("team", "found"), [(None, "untagged"), ("search", "tagged slackgate:team=search")]
)
def test_a_bootstrap_without_the_teams_tag_is_a_warning_with_the_fix(
    aws, capsys, team, found
) -> None:
    bootstrap(team=team)
    assert preflight.main(NOTHING) == 0  # the account may have no guard rails
    err = capsys.readouterr().err
    assert (
        f"preflight: warning: the bootstrap's CloudFormation execution role {EXECUTION_ROLE} "
        f"is {found}, not slackgate:team={TEAM}: where the slackgate guard rails are "
        "attached they refuse this deploy"
    ) in err
    assert f"\n    {COMMAND}" in err


def test_the_fix_for_a_bounded_untagged_bootstrap_keeps_the_boundary(aws, capsys) -> None:
    bootstrap(boundary=True, team=None)
    assert preflight.main(NOTHING, BOUNDED) == 0
    assert f"\n    {WITH_BOUNDARY}" in capsys.readouterr().err


def test_a_bootstrap_without_its_execution_role_fails(aws, capsys) -> None:
    bootstrap(role=False)
    assert preflight.main(NOTHING) == 1
    err = capsys.readouterr().err
    assert f"has no CloudFormation execution role {EXECUTION_ROLE}" in err and COMMAND in err


class DeniesGetRole:
    """An IAM client whose credentials may not read roles."""

    def __init__(self, iam) -> None:
        self._iam = iam

    def __getattr__(self, name: str):
        return getattr(self._iam, name)

    def get_role(self, **_: object):
        error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}
        raise ClientError(error, "GetRole")


def test_a_role_the_credentials_may_not_read_is_a_warning(aws) -> None:
    bootstrap()
    target = preflight.Target(ACCOUNT, REGION)
    ssm, iam = boto3.client("ssm"), DeniesGetRole(boto3.client("iam"))
    findings = preflight.check_bootstrap(BOOTSTRAP, TEAM, target, ssm, iam)
    assert findings.failures == []
    assert findings.warnings == [
        f"could not read the bootstrap's CloudFormation execution role {EXECUTION_ROLE} "
        "(AccessDenied), so its permissions boundary and team tag are not checked; your "
        "credentials need iam:GetRole on it"
    ]


def test_the_partition_comes_from_the_credentials(aws) -> None:
    target = preflight.target_of(boto3.session.Session(region_name=REGION), REGION)
    assert target == preflight.Target(ACCOUNT, REGION, "aws")
    assert target.policy_arn(BOUNDARY) == f"arn:aws:iam::{ACCOUNT}:policy/{BOUNDARY}"
