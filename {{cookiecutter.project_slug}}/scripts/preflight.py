"""Before `make deploy`: will the deploy go through, and will the function work once deployed?

1. Does the gateway offer every AWS service this function uses? The slackgate gateway
   publishes the services team functions may reach (its VPC endpoints) as the StringList
   parameter <ssm_prefix>/network/services, e.g. "execute-api,logs,s3". A function that reads
   DynamoDB in a VPC without a DynamoDB endpoint would deploy fine and then time out on its
   first call; this says so before anything is deployed.
2. Is this repository's own CDK bootstrap in the account, and does cdk.json match it? The
   team deploys through a bootstrap of its own (cdk.json: the qualifier, the first 10
   characters of the team slug, and toolkitStackName) whose roles carry the tag
   slackgate:team=<team>: the gateway's guard rails let only a principal with that tag create
   the team's role. Where the guard rails' boundary (slackgate-team-deploy-boundary) is on the
   bootstrap's CloudFormation execution role, every role this stack creates must carry it too
   (cdk.json's slackgate:permissionsBoundary), or the first CreateRole is denied.

Exit status 0 when everything is in place (warnings are printed), 1 otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra import PERMISSIONS_BOUNDARY_CONTEXT, cdk_json
from infra.resources import DataAccess, unoffered_services
from infra.settings import SETTINGS, Settings
from infra.stack import TEAM_TAG

SERVICES_PARAMETER = "network/services"
QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"
# What the CDK uses when cdk.json names no bootstrap of its own.
DEFAULT_QUALIFIER, DEFAULT_TOOLKIT_STACK = "hnb659fds", "CDKToolkit"
# The managed policy the guard rails create in an account without Organizations.
DEPLOY_BOUNDARY = "slackgate-team-deploy-boundary"


def offered_services(ssm: Any, name: str) -> list[str] | None:
    """The published services, or None when the gateway publishes none."""
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    return [service.strip() for service in value.split(",") if service.strip()]


def problems(access: DataAccess, offered: list[str] | None, name: str) -> list[str]:
    if offered is None:
        return [
            f"the gateway publishes no {name}, so it offers no AWS service beyond the relay "
            f"and logs: ask the platform team to deploy a gateway that offers "
            f"{', '.join(access.services)} (slackgate:services)"
        ]
    return unoffered_services(access, offered)


def check(settings: Settings, ssm: Any) -> list[str]:
    access = settings.data_access
    if not access:
        return []
    name = f"{settings.ssm_prefix}/{SERVICES_PARAMETER}"
    return problems(access, offered_services(ssm, name), name)


@dataclass(frozen=True)
class Bootstrap:
    """The CDK bootstrap this repository deploys through, and the boundary of its roles."""

    qualifier: str
    toolkit_stack_name: str
    permissions_boundary: str  # a managed policy name; "" for none

    @property
    def version_parameter(self) -> str:
        return f"/cdk-bootstrap/{self.qualifier}/version"

    def execution_role(self, account: str, region: str) -> str:
        return f"cdk-{self.qualifier}-cfn-exec-role-{account}-{region}"


def bootstrap_settings(settings: Mapping[str, Any] | None = None) -> Bootstrap:
    """The bootstrap and boundary as cdk.json (or `settings`, its content) names them."""
    settings = cdk_json() if settings is None else settings
    context = settings.get("context", {})
    return Bootstrap(
        qualifier=context.get(QUALIFIER_CONTEXT, DEFAULT_QUALIFIER),
        toolkit_stack_name=settings.get("toolkitStackName", DEFAULT_TOOLKIT_STACK),
        permissions_boundary=context.get(PERMISSIONS_BOUNDARY_CONTEXT) or "",
    )


@dataclass(frozen=True)
class Target:
    """Where the deploy goes: the credentials' account, the function's region."""

    account: str
    region: str
    partition: str = "aws"

    def policy_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:policy/{name}"


@dataclass
class Findings:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)


def has_policy(iam: Any, target: Target, name: str) -> bool | None:
    """Whether the account has the managed policy; None when the credentials may not ask."""
    from botocore.exceptions import ClientError

    try:
        iam.get_policy(PolicyArn=target.policy_arn(name))
    except ClientError as error:
        return False if _code(error) == "NoSuchEntity" else None
    return True


def bootstrap_command(bootstrap: Bootstrap, team: str, target: Target, boundary: bool) -> str:
    command = (
        f"npx cdk bootstrap aws://{target.account}/{target.region} "
        f"--qualifier {bootstrap.qualifier} --toolkit-stack-name {bootstrap.toolkit_stack_name} "
        f"--tags {TEAM_TAG}={team}"
    )
    return command + (f" --custom-permissions-boundary {DEPLOY_BOUNDARY}" if boundary else "")


def set_boundary(name: str) -> str:
    return f'set "{PERMISSIONS_BOUNDARY_CONTEXT}": "{name}" in the context of cdk.json'


WHO_BOOTSTRAPS = (
    "It needs administrator credentials, once per account and region; where the slackgate "
    "guard rails are attached only the platform team may set a team's tag, so ask them to run it."
)


def not_bootstrapped(bootstrap: Bootstrap, team: str, target: Target, iam: Any) -> str:
    boundary = has_policy(iam, target, DEPLOY_BOUNDARY)
    command = bootstrap_command(bootstrap, team, target, boundary is True)
    lines = [
        f"this repository deploys through a CDK bootstrap of its own (qualifier "
        f"{bootstrap.qualifier!r} in cdk.json), and account {target.account} has none in "
        f"{target.region} (no {bootstrap.version_parameter}). Bootstrap it:",
        f"    {command}",
        f"  {WHO_BOOTSTRAPS}",
    ]
    if boundary is True:
        lines.append(
            f"  The account has the guard rails' boundary {DEPLOY_BOUNDARY}, so the bootstrap "
            "carries it"
            + (
                ""
                if bootstrap.permissions_boundary == DEPLOY_BOUNDARY
                else f", and so must this stack's roles: {set_boundary(DEPLOY_BOUNDARY)}"
            )
            + "."
        )
    elif boundary is None:
        lines.append(
            f"  (Could not tell whether the account has the guard rails' boundary "
            f"{DEPLOY_BOUNDARY}: if it does, add --custom-permissions-boundary "
            f"{DEPLOY_BOUNDARY} and {set_boundary(DEPLOY_BOUNDARY)}.)"
        )
    return "\n".join(lines)


def check_bootstrap(
    bootstrap: Bootstrap, team: str, target: Target, ssm: Any, iam: Any
) -> Findings:
    """This repository's bootstrap: there, with the boundary cdk.json expects, for this team.
    Raises botocore's errors when the bootstrap's version parameter cannot be read."""
    from botocore.exceptions import ClientError

    findings = Findings()
    try:
        ssm.get_parameter(Name=bootstrap.version_parameter)
    except ssm.exceptions.ParameterNotFound:
        findings.failures.append(not_bootstrapped(bootstrap, team, target, iam))
        return findings
    role_name = bootstrap.execution_role(target.account, target.region)
    try:
        role = iam.get_role(RoleName=role_name)["Role"]
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            findings.warnings.append(
                f"could not read the bootstrap's CloudFormation execution role {role_name} "
                f"({_code(error)}), so its permissions boundary and team tag are not checked; "
                "your credentials need iam:GetRole on it"
            )
            return findings
        bounded = has_policy(iam, target, DEPLOY_BOUNDARY) is True
        findings.failures.append(
            f"the CDK bootstrap {bootstrap.qualifier!r} has no CloudFormation execution role "
            f"{role_name} in account {target.account}: bootstrap it again:\n"
            f"    {bootstrap_command(bootstrap, team, target, bounded)}\n"
            f"  {WHO_BOOTSTRAPS}"
        )
        return findings

    boundary_arn = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", "")
    # What follows ":policy/" is what cdk.json names (a path too, if the policy has one).
    boundary = boundary_arn.split(":policy/", 1)[-1] if boundary_arn else ""
    if boundary and bootstrap.permissions_boundary != boundary:
        setting = bootstrap.permissions_boundary or "empty"
        findings.failures.append(
            f"the bootstrap's CloudFormation execution role {role_name} has the permissions "
            f"boundary {boundary}, which lets it create only roles that carry it too, and "
            f"cdk.json's {PERMISSIONS_BOUNDARY_CONTEXT} is {setting}: {set_boundary(boundary)}"
        )
    elif (
        not boundary
        and bootstrap.permissions_boundary
        and has_policy(iam, target, bootstrap.permissions_boundary) is False
    ):
        findings.failures.append(
            f"cdk.json's {PERMISSIONS_BOUNDARY_CONTEXT} names the managed policy "
            f"{bootstrap.permissions_boundary}, which account {target.account} does not "
            f"have: correct the name, or {set_boundary('')} (the bootstrap's roles have "
            "no boundary)"
        )

    tags = {tag["Key"]: tag["Value"] for tag in role.get("Tags", [])}
    if tags.get(TEAM_TAG) != team:
        found = f"tagged {TEAM_TAG}={tags[TEAM_TAG]}" if TEAM_TAG in tags else "untagged"
        findings.warnings.append(
            f"the bootstrap's CloudFormation execution role {role_name} is {found}, not "
            f"{TEAM_TAG}={team}: where the slackgate guard rails are attached they refuse this "
            "deploy (only a principal tagged with your team may create its role). Fix: "
            "bootstrap again with the tag (where the guard rails are attached, the platform "
            "team does this):\n"
            f"    {bootstrap_command(bootstrap, team, target, bool(boundary))}"
        )
    return findings


def target_of(session: Any, region: str) -> Target:
    identity = session.client("sts").get_caller_identity()
    partition = identity["Arn"].split(":")[1]  # aws, aws-cn, aws-us-gov
    return Target(account=identity["Account"], region=region, partition=partition)


def main(settings: Settings = SETTINGS, bootstrap: Bootstrap | None = None) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bootstrap = bootstrap_settings() if bootstrap is None else bootstrap
    session = boto3.session.Session(region_name=settings.aws_region)
    failures: list[str] = []
    if not settings.data_access:
        print("preflight: no resources declared in infra/settings.py; no AWS service to check")
    else:
        try:
            failures += check(settings, session.client("ssm"))
        except (BotoCoreError, ClientError) as error:
            print(
                f"preflight: could not read {settings.ssm_prefix}/{SERVICES_PARAMETER} in "
                f"{settings.aws_region}: {error}\n  Your deploy credentials need "
                "ssm:GetParameter on it; is the slackgate gateway deployed in this region?",
                file=sys.stderr,
            )
            return 1
    try:
        target = target_of(session, settings.aws_region)
        findings = check_bootstrap(
            bootstrap, settings.team, target, session.client("ssm"), session.client("iam")
        )
    except (BotoCoreError, ClientError) as error:
        print(
            f"preflight: could not check this repository's CDK bootstrap in "
            f"{settings.aws_region}: {error}\n  Your deploy credentials need "
            f"sts:GetCallerIdentity and ssm:GetParameter on {bootstrap.version_parameter}.",
            file=sys.stderr,
        )
        return 1
    for warning in findings.warnings:
        print(f"preflight: warning: {warning}", file=sys.stderr)
    failures += findings.failures
    for problem in failures:
        print(f"preflight: {problem}", file=sys.stderr)
    if failures:
        print("preflight: nothing was deployed.", file=sys.stderr)
        return 1
    if settings.data_access:
        print(f"preflight: the gateway offers {', '.join(settings.data_access.services)}")
    boundary = bootstrap.permissions_boundary
    print(
        f"preflight: deploying through the CDK bootstrap {bootstrap.qualifier!r} "
        f"({bootstrap.toolkit_stack_name}) in {target.account}/{target.region}"
        + (f", every role bounded by {boundary}" if boundary else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
