"""Render (offline) or deploy the organisation's guard rails: SCPs, RCP, deploy boundary.

    python -m shared_gateway guardrails render --vpc-id vpc-... --subnet-ids subnet-a,subnet-b \
        --security-group-id sg-... [--out build/guardrails]
    python -m shared_gateway guardrails render --from-ssm          # the gateway's account
    python -m shared_gateway guardrails deploy --target-ids ou-... (ids or --from-ssm)
    python -m shared_gateway guardrails deploy --single-account    (ids or --from-ssm)

The account, region, prefix and organisation come from shared_gateway/cdk.json; the network
ids from the command line, or from the parameters the gateway published (--from-ssm, which
needs credentials for the gateway's account). docs/guardrails.md explains every statement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .settings import DEFAULT_QUALIFIER

DEFAULT_OUT = Path("build/guardrails")
EXIT_ERROR = 2


def _ids(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["render", "deploy"], help="render files or deploy")
    network = parser.add_argument_group("the gateway's network (or --from-ssm)")
    network.add_argument("--vpc-id", help="<prefix>/network/vpc-id")
    network.add_argument("--subnet-ids", type=_ids, help="<prefix>/network/subnet-ids, a,b")
    network.add_argument("--security-group-id", help="<prefix>/network/function-sg-id")
    network.add_argument(
        "--from-ssm",
        action="store_true",
        help="read them from the parameters the gateway published (AWS credentials needed)",
    )
    parser.add_argument(
        "--qualifier",
        default=DEFAULT_QUALIFIER,
        help="CDK bootstrap qualifier of the gateway's own deployments; its roles are the "
        f"platform's (default: {DEFAULT_QUALIFIER})",
    )
    parser.add_argument(
        "--operator",
        action="append",
        default=[],
        metavar="ROLE_ARN_PATTERN",
        help="a role (pattern) of the platform's operators, who deploy the gateway; repeatable",
    )
    parser.add_argument("--organization-id", help="override slackgate:organizationId")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="render: output directory")
    parser.add_argument(
        "--target-ids", type=_ids, help="deploy: roots, OUs or accounts (r-..., ou-..., 1234...)"
    )
    parser.add_argument(
        "--single-account",
        action="store_true",
        help="deploy: the permissions boundary of team deploy roles instead (no Organizations)",
    )
    parser.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")


def fail(message: str) -> int:
    print(f"slackgate guardrails: {message}", file=sys.stderr)
    return EXIT_ERROR


def _gateway_config(organization_id: str | None) -> Any:
    from ..infra.config import PACKAGE_DIR, GatewayConfig

    context = json.loads((PACKAGE_DIR / "cdk.json").read_text())["context"]
    if organization_id is not None:
        context["slackgate:organizationId"] = organization_id
    return GatewayConfig.from_context(context.get, PACKAGE_DIR)


def _session(args: argparse.Namespace) -> Any:
    import boto3

    return boto3.Session(region_name=args.region or os.environ.get("AWS_REGION") or None)


def _settings(args: argparse.Namespace, config: Any) -> Any:
    from .published import read_published_network
    from .settings import GuardrailError, GuardrailSettings

    given = [args.vpc_id, args.subnet_ids, args.security_group_id]
    if args.from_ssm:
        if any(given):
            raise GuardrailError("give either --from-ssm or the ids, not both")
        published = read_published_network(_session(args).client("ssm"), config.prefix)
        vpc, subnets, sg = published.vpc_id, published.subnet_ids, published.function_sg_id
    elif all(given):
        vpc, subnets, sg = given
    else:
        raise GuardrailError(
            "which network? give --vpc-id, --subnet-ids and --security-group-id (the values of "
            f"{config.prefix}/network/vpc-id, subnet-ids and function-sg-id), or --from-ssm "
            "with credentials for the gateway's account"
        )
    return GuardrailSettings.for_gateway(
        config,
        vpc_id=vpc,
        subnet_ids=subnets,
        security_group_id=sg,
        qualifier=args.qualifier,
        operators=args.operator,
    )


def render(settings: Any, out: Path) -> list[str]:
    """Writes every document and both templates under `out`; returns one line per file."""
    from .documents import boundary_policy, organization_policies, policy_size
    from .templates import boundary_template, organization_template

    documents = organization_policies(settings)
    boundary = boundary_policy(settings)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for document in [*documents, boundary]:
        path = out / f"{document.name}.json"
        path.write_text(json.dumps(document.content, indent=2) + "\n")
        lines.append(f"{path}  {document.kind}, {policy_size(document.content)} characters")
    for name, template in (
        ("organization.template.json", organization_template(documents)),
        ("boundary.template.json", boundary_template(boundary)),
    ):
        (out / name).write_text(json.dumps(template, indent=2) + "\n")
        lines.append(str(out / name))
    return lines


def deploy(args: argparse.Namespace, settings: Any) -> str:
    from .deploy import BOUNDARY_STACK, ORGANIZATION_STACK, deploy_stack
    from .documents import boundary_policy, organization_policies
    from .settings import GuardrailError
    from .templates import boundary_template, organization_template

    cloudformation = _session(args).client("cloudformation")
    if args.single_account:
        template = boundary_template(boundary_policy(settings))
        return f"{BOUNDARY_STACK}: " + deploy_stack(cloudformation, BOUNDARY_STACK, template)
    if not args.target_ids:
        raise GuardrailError(
            "deploy: give --target-ids (the roots, OUs or accounts to attach the policies to, "
            "from the management account or a delegated administrator), or --single-account"
        )
    template = organization_template(organization_policies(settings))
    status = deploy_stack(
        cloudformation, ORGANIZATION_STACK, template, {"TargetIds": ",".join(args.target_ids)}
    )
    return f"{ORGANIZATION_STACK}: {status}"


def run(args: argparse.Namespace) -> int:
    from botocore import exceptions as boto_errors

    from ..infra.config import ConfigError
    from .settings import GuardrailError

    try:
        settings = _settings(args, _gateway_config(args.organization_id))
        lines = render(settings, args.out) if args.action == "render" else [deploy(args, settings)]
    except (GuardrailError, ConfigError) as problem:
        return fail(str(problem))
    except (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError) as exc:
        return fail(f"no usable AWS credentials ({exc}): set AWS_PROFILE or access keys")
    except boto_errors.NoRegionError:
        return fail("no AWS region: set AWS_REGION or pass --region")
    except boto_errors.ClientError as exc:
        error = exc.response.get("Error", {})
        return fail(f"AWS refused {exc.operation_name}: {error.get('Code')} {error.get('Message')}")
    except boto_errors.WaiterError as exc:
        return fail(f"the stack did not finish ({exc}); see its events in CloudFormation")
    print("\n".join(lines))
    return 0
