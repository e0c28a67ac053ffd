"""Audit the account: is every slackgate Lambda function confined to the relay?

Lists each Lambda function of the account and region that belongs to slackgate (execution role
named slackgate-*, or tag slackgate:team) as `confined` or `escapes`, with the reasons; then
checks the published VPC: its endpoints are of published services only, their deployed policies
keep the data perimeter, and the DNS firewall allows exactly the published services' names.
Exit status: 0 all confined (or none found) and no network finding, 1 some escape or network
finding, 2 usage, credentials, region or deployment error. Uses the standard AWS environment
(AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DEFAULT_PREFIX = "/slackgate"
EXIT_CONFINED = 0
EXIT_ESCAPES = 1
EXIT_ERROR = 2

CREDENTIAL_ERROR_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
    }
)
PERMISSION_ERROR_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
)
CREDENTIALS_HINT = (
    "set AWS_PROFILE (and run `aws sso login` for SSO profiles) or "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
)


def parameter_prefix(value: str) -> str:
    """`slackgate/` and `/slackgate` name the same prefix; an empty one names nothing."""
    stripped = value.strip().strip("/")
    if not stripped:
        raise argparse.ArgumentTypeError("the prefix must name an SSM path, e.g. /slackgate")
    return "/" + stripped


def organization_id(value: str) -> str:
    from shared_gateway.perimeter.policy import ORGANIZATION_ID

    stripped = value.strip()
    if not ORGANIZATION_ID.fullmatch(stripped):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an organization id like o-a1b2c3d4e5 "
            "(`aws organizations describe-organization`)"
        )
    return stripped


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region",
        help="AWS region to audit (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    parser.add_argument(
        "--prefix",
        type=parameter_prefix,
        default=DEFAULT_PREFIX,
        help=f"SSM prefix of the shared gateway's parameters (default: {DEFAULT_PREFIX})",
    )
    parser.add_argument(
        "--organization-id",
        type=organization_id,
        help="prove the endpoint policies against this organisation's perimeter (default: the "
        "one the gateway published in <prefix>/network/organization-id, else this account)",
    )
    from shared_gateway.audit import accounts

    accounts.add_arguments(parser)


def fail(message: str) -> int:
    print(f"slackgate audit: {message}", file=sys.stderr)
    return EXIT_ERROR


def explain(exc: Exception, region: str) -> str:
    """What went wrong in an audit's AWS calls, and how to fix it."""
    from botocore import exceptions as boto_errors

    from shared_gateway.audit import collect

    if isinstance(exc, boto_errors.ProfileNotFound):
        return f"{exc}: set AWS_PROFILE to a profile of your AWS config, or unset it"
    if isinstance(exc, collect.GatewayNotDeployed):
        return (
            f"the slackgate gateway is not deployed in this account and region ({region}): "
            f"missing SSM parameter(s) {exc}. Deploy the shared gateway, or pass the --prefix "
            "it was deployed with."
        )
    if isinstance(
        exc,
        (
            boto_errors.NoCredentialsError,
            boto_errors.PartialCredentialsError,
            boto_errors.CredentialRetrievalError,
            boto_errors.TokenRetrievalError,
            boto_errors.SSOTokenLoadError,
            boto_errors.UnauthorizedSSOTokenError,
        ),
    ):
        return f"no usable AWS credentials ({exc}): {CREDENTIALS_HINT}"
    if isinstance(exc, boto_errors.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code in CREDENTIAL_ERROR_CODES:
            return f"AWS rejected the credentials ({code}): {CREDENTIALS_HINT}"
        if code in PERMISSION_ERROR_CODES:
            return (
                f"permission denied ({code}: {error.get('Message', '')}); the audit needs "
                "read access to Lambda, IAM, EC2, SSM and Route 53 Resolver (see docs/audit.md)"
            )
        return f"AWS error in {exc.operation_name}: {code} {error.get('Message', '')}"
    if isinstance(exc, boto_errors.EndpointConnectionError):
        return f"cannot reach AWS ({exc}): check the region ({region}) and AWS_ENDPOINT_URL"
    return f"AWS error: {exc}"


def run(args: argparse.Namespace) -> int:
    import boto3
    from botocore import exceptions as boto_errors

    from shared_gateway.audit import accounts, collect, report

    if accounts.is_requested(args):
        return accounts.run(args)
    prefix = getattr(args, "prefix", DEFAULT_PREFIX)
    region = "?"
    try:
        # botocore itself reads only AWS_DEFAULT_REGION; AWS_REGION is the documented name.
        session = boto3.Session(region_name=args.region or os.environ.get("AWS_REGION") or None)
        region = session.region_name
        if not region:
            return fail("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) or pass --region")
        found = collect.collect(session, prefix, getattr(args, "organization_id", None) or "")
    except (collect.GatewayNotDeployed, boto_errors.BotoCoreError, boto_errors.ClientError) as exc:
        return fail(explain(exc, region))

    verdicts, findings = evaluate(found)
    if args.json:
        out = report.render_json(region, found.network, verdicts, findings, found.prefix)
    else:
        out = report.render_table(region, verdicts, found.network, findings, found.prefix)
    sys.stdout.write(out)
    return exit_status(verdicts, findings)


def evaluate(found: Any) -> tuple[list[Any], list[Any]]:
    """The functions' verdicts and the network's findings of one account's collected input."""
    from shared_gateway.audit import checks, function_checks, network_checks

    verdicts = function_checks.with_exposures(
        checks.audit(found.functions, found.network), found.exposures
    )
    return verdicts, network_checks.audit_network(found.network, found.prefix)


def exit_status(verdicts: Any, findings: Any) -> int:
    from shared_gateway.audit import checks

    escaping = any(v.status == checks.ESCAPES for v in verdicts)
    return EXIT_ESCAPES if escaping or findings else EXIT_CONFINED
