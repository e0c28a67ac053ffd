"""The preflight's checks: each asks AWS one question and returns a Result with the fix.

Every check reads only (STS, EC2, SSM, Lambda, CloudFormation, API Gateway, IAM, Secrets
Manager) and runs in `slackgate:region`, where CDK deploys the stack whatever the caller's
default region is.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..audit.collect import GATEWAY_STACK
from ..audit.command import CREDENTIAL_ERROR_CODES, PERMISSION_ERROR_CODES
from ..infra.config import CONTEXT_PREFIX, GatewayConfig
from ..relay.registry import Registry

CHECK_IDS = (
    "credentials",
    "account",
    "region",
    "cdk-bootstrap",
    "lambda-concurrency",
    "apigateway-cloudwatch-role",
    "channel-secrets",
)
# The template's CheckBootstrapVersion rule refuses versions 1 to 5 (a test keeps them equal).
MIN_BOOTSTRAP_VERSION = 6
DEFAULT_QUALIFIER = "hnb659fds"  # CDK's, unless cdk.json sets @aws-cdk/core:bootstrapQualifier
# Lambda keeps this much of the account's concurrency unreserved, or all of it when the quota is
# smaller ("You can reserve up to the Unreserved account concurrency value minus 100").
MIN_UNRESERVED = 100
LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384"  # Service Quotas code of "Concurrent executions"
RELAY_LOGICAL_ID = "RelayFunction"  # the relay's logical id starts so (construct Relay/Function)
PUSH_TO_LOGS = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
LOGS_ROLE = "apigateway-cloudwatch-logs"  # the name the fix suggests (docs/gateway.md too)
TRUST_API_GATEWAY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
    '"Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)


class Status(enum.Enum):
    PASS = "ok"
    WARN = "warn"  # worth knowing; does not stop the deployment
    FAIL = "FAIL"
    SKIP = "skip"  # not checked, because an earlier check failed


@dataclass(frozen=True)
class Result:
    check: str
    status: Status
    message: str
    fix: str = ""


class Clients:
    """boto3 clients of one session in one region, made once each; tests may put stubs in."""

    def __init__(self, session: Any, region: str) -> None:
        self.session, self.region = session, region
        self._made: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            self._made[service] = self.session.client(service, region_name=self.region)
        return self._made[service]


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def guarded(check: str, run: Callable[[], Result]) -> Result:
    """A check whose AWS call is refused or fails is a failed check that says so, not a crash.

    Credential errors are left to propagate: then no check can run (command.py reports them).
    """
    from botocore.exceptions import ClientError

    try:
        return run()
    except ClientError as error:
        code = _error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        if code in PERMISSION_ERROR_CODES:
            return Result(
                check,
                Status.FAIL,
                f"cannot check: {error.operation_name} was refused ({code}: {message})",
                "run the preflight with the credentials you deploy with (an administrator "
                "of the account, or a role that may deploy the stack)",
            )
        if code in CREDENTIAL_ERROR_CODES:
            raise
        return Result(check, Status.FAIL, f"cannot check: {error.operation_name}: {code} {message}")


def check_account(identity: dict[str, Any], config: GatewayConfig) -> Result:
    account = identity["Account"]
    if account == config.account:
        return Result("account", Status.PASS, f"the credentials are for {account}")
    return Result(
        "account",
        Status.FAIL,
        f"the credentials are for account {account} ({identity.get('Arn', '?')}), "
        f"but {CONTEXT_PREFIX}account is {config.account}",
        f"set {CONTEXT_PREFIX}account to {account} in shared_gateway/cdk.json if that is "
        f"the account to deploy to, or use credentials for {config.account} (AWS_PROFILE=...)",
    )


def check_region(clients: Clients, config: GatewayConfig) -> Result:
    ec2 = clients("ec2")
    regions = ec2.describe_regions(RegionNames=[config.region], AllRegions=True)["Regions"]
    status = regions[0].get("OptInStatus", "opt-in-not-required") if regions else "unknown"
    if status not in ("opt-in-not-required", "opted-in"):
        return Result(
            "region",
            Status.FAIL,
            f"{config.region} is not enabled for this account ({status})",
            f"enable it (`aws account enable-region --region-name {config.region}`) or set "
            f"{CONTEXT_PREFIX}region and {CONTEXT_PREFIX}availabilityZones to an enabled region",
        )
    zones = ec2.describe_availability_zones(AllAvailabilityZones=True)["AvailabilityZones"]
    available = {z["ZoneName"] for z in zones if z.get("State") == "available"}
    missing = [z for z in config.availability_zones if z not in available]
    if missing:
        return Result(
            "region",
            Status.FAIL,
            f"zone(s) {', '.join(missing)} of {CONTEXT_PREFIX}availabilityZones are not "
            f"available in {config.region}",
            f"list at least two of {', '.join(sorted(available)) or '(none)'} in "
            f"{CONTEXT_PREFIX}availabilityZones (shared_gateway/cdk.json)",
        )
    return Result(
        "region",
        Status.PASS,
        f"{config.region} is enabled, zones {', '.join(config.availability_zones)} available",
    )


def check_bootstrap(clients: Clients, config: GatewayConfig, qualifier: str) -> Result:
    name = f"/cdk-bootstrap/{qualifier}/version"
    # The gateway's own bootstrap (qualifier and toolkit stack in cdk.json): the guard rails
    # exempt its roles, so no team deployment may share it (docs/guardrails.md).
    bootstrap = (
        f"`cd shared_gateway && npx --no cdk bootstrap aws://{config.account}/{config.region}"
        f" --qualifier {qualifier}`"
    )
    try:
        version = clients("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except Exception as error:
        if _error_code(error) != "ParameterNotFound":
            raise
        return Result(
            "cdk-bootstrap",
            Status.FAIL,
            f"{config.account}/{config.region} is not bootstrapped for CDK (no SSM parameter "
            f"{name})",
            f"bootstrap it once: {bootstrap}",
        )
    if not version.isdigit() or int(version) < MIN_BOOTSTRAP_VERSION:
        return Result(
            "cdk-bootstrap",
            Status.FAIL,
            f"the CDK bootstrap is version {version}; the stack needs {MIN_BOOTSTRAP_VERSION} "
            "or later",
            f"bootstrap again with the pinned CLI: {bootstrap}",
        )
    return Result("cdk-bootstrap", Status.PASS, f"CDK bootstrap version {version} ({name})")


def _relay_reservation(clients: Clients) -> int:
    """What the deployed relay reserves now (0 when the stack or its reservation is absent):
    replacing it frees that much, so an update is not refused for its own reservation."""
    try:
        resources = clients("cloudformation").describe_stack_resources(StackName=GATEWAY_STACK)
    except Exception as error:
        if _error_code(error) == "ValidationError":  # "Stack ... does not exist"
            return 0
        raise
    for resource in resources["StackResources"]:
        if resource["ResourceType"] == "AWS::Lambda::Function" and resource[
            "LogicalResourceId"
        ].startswith(RELAY_LOGICAL_ID):
            concurrency = clients("lambda").get_function_concurrency(
                FunctionName=resource["PhysicalResourceId"]
            )
            return int(concurrency.get("ReservedConcurrentExecutions") or 0)
    return 0


def check_lambda_concurrency(clients: Clients, config: GatewayConfig) -> Result:
    limit = clients("lambda").get_account_settings()["AccountLimit"]
    quota = int(limit["ConcurrentExecutions"])
    unreserved = int(limit["UnreservedConcurrentExecutions"])
    wanted = config.reserved_concurrency
    if wanted is None:
        return Result(
            "lambda-concurrency",
            Status.PASS,
            f"the relay is unreserved ({CONTEXT_PREFIX}reservedConcurrency); account quota {quota}",
        )
    current = _relay_reservation(clients)
    minimum = min(MIN_UNRESERVED, quota)
    left = unreserved + current - wanted
    if left >= minimum:
        return Result(
            "lambda-concurrency",
            Status.PASS,
            f"reserving {wanted} for the relay leaves {left} of the quota {quota} unreserved "
            f"(Lambda keeps at least {minimum})",
        )
    reserved_elsewhere = quota - unreserved - current
    needed_quota = reserved_elsewhere + wanted + MIN_UNRESERVED
    most = unreserved + current - MIN_UNRESERVED
    lower = (
        f"lower {CONTEXT_PREFIX}reservedConcurrency to at most {most}, "
        if most >= 1
        else "nothing can be reserved with this quota; "
    )
    return Result(
        "lambda-concurrency",
        Status.FAIL,
        f"reserving {wanted} for the relay would leave {left} of the account's concurrency "
        f"unreserved (quota {quota}, {reserved_elsewhere} reserved by other functions); Lambda "
        f"refuses to go below {minimum}",
        f"raise the quota (`aws service-quotas request-service-quota-increase --service-code "
        f"lambda --quota-code {LAMBDA_CONCURRENCY_QUOTA} --desired-value {needed_quota} "
        f"--region {config.region}`), or {lower}or set it to 0 to leave the relay unreserved "
        "(shared_gateway/cdk.json or -c)",
    )


def check_apigateway_role(clients: Clients, config: GatewayConfig) -> Result:
    check = "apigateway-cloudwatch-role"
    role_arn = clients("apigateway").get_account().get("cloudwatchRoleArn") or ""
    if config.api_gateway_account_role:
        if role_arn:
            return Result(
                check,
                Status.WARN,
                f"{CONTEXT_PREFIX}apiGatewayAccountRole is true: the stack will REPLACE the "
                f"account's current API Gateway logging role {role_arn}, for every REST API "
                f"in {config.region}",
                f"set {CONTEXT_PREFIX}apiGatewayAccountRole to false to keep that role",
            )
        return Result(
            check, Status.PASS, f"created by the stack ({CONTEXT_PREFIX}apiGatewayAccountRole)"
        )
    fix = (
        "create a role for API Gateway with the AWS managed policy "
        f"AmazonAPIGatewayPushToCloudWatchLogs: `aws iam create-role --role-name {LOGS_ROLE} "
        f"--assume-role-policy-document '{TRUST_API_GATEWAY}'` and `aws iam attach-role-policy "
        f"--role-name {LOGS_ROLE} --policy-arn {PUSH_TO_LOGS}`; then point the account at it: "
        f"`aws apigateway update-account --region {config.region} --patch-operations "
        f"op=replace,path=/cloudwatchRoleArn,value=arn:aws:iam::{config.account}:role/"
        f"{LOGS_ROLE}`. Or set {CONTEXT_PREFIX}apiGatewayAccountRole to true and the stack "
        "creates it (account-wide, kept after the stack: docs/gateway.md)"
    )
    if not role_arn:
        return Result(
            check,
            Status.FAIL,
            f"API Gateway has no CloudWatch Logs role in {config.region}, so the stage's access "
            'logging would fail ("CloudWatch Logs role ARN must be set in account settings")',
            fix,
        )
    try:
        clients("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])
    except Exception as error:
        code = _error_code(error)
        if code == "NoSuchEntity":
            return Result(
                check,
                Status.FAIL,
                f"the account's API Gateway logging role {role_arn} does not exist",
                fix,
            )
        if code not in PERMISSION_ERROR_CODES:
            raise
        return Result(
            check, Status.WARN, f"set to {role_arn} (not verified: iam:GetRole was refused)"
        )
    return Result(check, Status.PASS, f"set to {role_arn}")


def check_channel_secrets(clients: Clients, registry: Registry) -> Result:
    """The stack creates each channel's secret: one of that name it does not own blocks it."""
    check = "channel-secrets"
    secrets = clients("secretsmanager")
    blocking, empty = [], []
    names = sorted(c.secret for c in registry.channels.values() if c.secret)
    for name in names:
        try:
            secret = secrets.describe_secret(SecretId=name)
        except Exception as error:
            if _error_code(error) != "ResourceNotFoundException":
                raise
            continue  # created by the stack
        tags = {t["Key"]: t["Value"] for t in secret.get("Tags", [])}
        if secret.get("DeletedDate"):
            blocking.append(
                f"{name} is scheduled for deletion (`aws secretsmanager restore-secret "
                f"--secret-id {name}`, then delete it for good: `aws secretsmanager "
                f"delete-secret --secret-id {name} --force-delete-without-recovery`)"
            )
        elif tags.get("aws:cloudformation:stack-name") != GATEWAY_STACK:
            blocking.append(
                f"{name} exists outside the {GATEWAY_STACK} stack (keep its URL, then `aws "
                f"secretsmanager delete-secret --secret-id {name} "
                "--force-delete-without-recovery`, or give the channel another `secret` in "
                "registry.toml)"
            )
        elif not any("AWSCURRENT" in s for s in secret.get("VersionIdsToStages", {}).values()):
            empty.append(name)
    if blocking:
        return Result(
            check,
            Status.FAIL,
            f"{len(blocking)} channel secret(s) would clash with the ones the stack creates",
            "; ".join(blocking),
        )
    if empty:
        return Result(
            check,
            Status.WARN,
            f"no webhook URL stored yet in {', '.join(empty)}: the relay answers "
            "upstream_error for those channels",
            "store each: `aws secretsmanager put-secret-value --secret-id <name> "
            '--secret-string "$(cat <channel>.webhook)"` (docs/gateway.md)',
        )
    return Result(
        check,
        Status.PASS,
        f"{len(names)} channel secret(s): created by the stack or already its own",
    )
