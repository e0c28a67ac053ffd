"""Check, with your AWS credentials, that the shared gateway will deploy to its account and region.

Reads shared_gateway/cdk.json (and `-c KEY=VALUE` overrides, as the CDK CLI takes them) and the
registry, then asks AWS, in slackgate:region: whose credentials these are, whether the region and
zones are usable, whether CDK is bootstrapped, whether the Lambda quota leaves room for the
relay's reserved concurrency, whether API Gateway has its CloudWatch Logs role, and whether the
channels' secrets can be created. Each failed check says what is wrong and the exact fix.
Reads only; changes nothing. Exit status 0 when every check passes (warnings allowed), 1 when
one fails or nothing could be checked. `make gateway-preflight`; `make gateway-deploy` runs it
first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..audit.command import CREDENTIALS_HINT
from ..infra.config import PACKAGE_DIR
from .checks import CHECK_IDS, Result, Status

BOOTSTRAP_QUALIFIER = "@aws-cdk/core:bootstrapQualifier"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context value, as with `cdk -c` (overrides cdk.json)",
    )
    parser.add_argument(
        "--cdk-json",
        type=Path,
        default=PACKAGE_DIR / "cdk.json",
        help="the CDK settings to check against (default: shared_gateway/cdk.json)",
    )


def load_context(cdk_json: Path, overrides: list[str]) -> dict[str, Any]:
    """cdk.json's context with `KEY=VALUE` overrides, given as text as the CDK CLI gives them."""
    context = json.loads(cdk_json.read_text()).get("context")
    if not isinstance(context, dict):
        raise ValueError(f'{cdk_json}: no "context" object with the slackgate settings')
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"-c {item!r}: write KEY=VALUE, e.g. -c slackgate:region=eu-west-1")
        context[key.strip()] = value
    return context


def run_checks(clients: Any, config: Any, registry: Any, qualifier: str) -> list[Result]:
    """Every check in CHECK_IDS order; after a failed credentials or account check the rest are
    skipped (they would describe an account that is not the one to deploy to)."""
    from botocore import exceptions as boto_errors

    from . import checks

    try:
        identity = clients("sts").get_caller_identity()
    except boto_errors.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        return _stop(
            Result("credentials", Status.FAIL, f"AWS rejected the credentials ({code})", _HINT)
        )
    except (boto_errors.NoCredentialsError, boto_errors.BotoCoreError) as error:
        return _stop(Result("credentials", Status.FAIL, f"no usable credentials ({error})", _HINT))
    results = [Result("credentials", Status.PASS, identity.get("Arn", "?"))]
    results.append(checks.check_account(identity, config))
    if results[-1].status is Status.FAIL:
        return results + _skipped(results)
    later = {
        "region": lambda: checks.check_region(clients, config),
        "cdk-bootstrap": lambda: checks.check_bootstrap(clients, config, qualifier),
        "lambda-concurrency": lambda: checks.check_lambda_concurrency(clients, config),
        "apigateway-cloudwatch-role": lambda: checks.check_apigateway_role(clients, config),
        "channel-secrets": lambda: checks.check_channel_secrets(clients, registry),
    }
    assert tuple(later) == CHECK_IDS[2:]
    results += [checks.guarded(check, run) for check, run in later.items()]
    return results


_HINT = f"{CREDENTIALS_HINT}, for the account in slackgate:account"


def _skipped(done: list[Result]) -> list[Result]:
    reason = f"not checked: the {done[-1].check} check failed"
    return [Result(c, Status.SKIP, reason) for c in CHECK_IDS[len(done) :]]


def _stop(first: Result) -> list[Result]:
    return [first, *_skipped([first])]


def render(results: list[Result], account: str, region: str) -> str:
    width = max(len(c) for c in CHECK_IDS)
    indent = " " * (2 + 4 + 2 + width + 2)
    lines = [f"slackgate gateway preflight: account {account}, region {region}"]
    for result in results:
        lines.append(f"  {result.status.value:<4}  {result.check:<{width}}  {result.message}")
        if result.fix and result.status in (Status.FAIL, Status.WARN):
            first, *rest = result.fix.splitlines()
            lines.append(f"{indent}fix: {first}")
            lines += [f"{indent}     {line}" for line in rest]
    failed = [r for r in results if r.status is Status.FAIL]
    if failed:
        lines.append(
            f"{len(failed)} check(s) failed ({', '.join(r.check for r in failed)}): fix them, "
            "then run `make gateway-preflight` again (`make gateway-deploy` stops here too)."
        )
    else:
        lines.append("Every check passed: the gateway can be deployed (`make gateway-deploy`).")
    return "\n".join(lines) + "\n"


def fail(message: str) -> int:
    print(f"slackgate preflight: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from ..infra.bundling import load_deployable_registry
    from ..infra.config import GatewayConfig
    from ..infra.credentials import HOW_TO, credential_sources

    try:
        context = load_context(args.cdk_json, args.context)
        config = GatewayConfig.from_context(context.get, args.cdk_json.parent)
        registry = load_deployable_registry(config.registry_path)
    except (OSError, ValueError) as problem:  # ConfigError, RegistryError, bad JSON among them
        return fail(str(problem))
    qualifier = str(context.get(BOOTSTRAP_QUALIFIER) or "hnb659fds")
    if not credential_sources(os.environ, Path.home()):
        results = _stop(Result("credentials", Status.FAIL, "no AWS credentials found", HOW_TO))
        sys.stdout.write(render(results, config.account, config.region))
        return 1

    import boto3
    from botocore import exceptions as boto_errors

    from .checks import Clients

    try:
        clients = Clients(boto3.Session(), config.region)
        results = run_checks(clients, config, registry, qualifier)
    except boto_errors.ProfileNotFound as error:
        return fail(f"{error}: set AWS_PROFILE to a profile of your AWS config, or unset it")
    except (boto_errors.ClientError, boto_errors.BotoCoreError) as error:  # credentials expired
        return fail(f"AWS stopped answering with these credentials ({error}): {_HINT}")
    sys.stdout.write(render(results, config.account, config.region))
    return 1 if any(r.status is Status.FAIL for r in results) else 0
