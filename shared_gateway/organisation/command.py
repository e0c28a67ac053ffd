"""Render (offline) or deploy the member stack that team accounts get from the hub's StackSet.

    python -m shared_gateway organisation render --from-ssm [--out build/organisation]
    python -m shared_gateway organisation render --vpc-id vpc-... --subnet-ids subnet-a,subnet-b \
        --security-group-id sg-... --api-url https://<id>.execute-api.<region>.amazonaws.com/prod \
        --api-id <id>
    python -m shared_gateway organisation deploy --ou-ids ou-... (values as above)

The member stack creates, in every account of the OUs, the parameters the gateway publishes
(same names, the gateway's values) and a read-only audit role trusting the hub's auditor. The
account, region, prefix, services and organisation default to shared_gateway/cdk.json; with
--from-ssm every value is read from the gateway's parameters (credentials for its account).
docs/organisation.md, "Team accounts: the member stack", explains the design.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .settings import CALL_AS, DEFAULT_AUDIT_ROLE, DEFAULT_AUDITOR_ROLE

DEFAULT_OUT = Path("build/organisation")
EXIT_ERROR = 2
MEMBER_FILE = "member.template.json"
HUB_FILE = "organisation.template.json"


def _ids(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["render", "deploy"], help="render files or deploy")
    values = parser.add_argument_group("the gateway's published values (or --from-ssm)")
    values.add_argument("--vpc-id", help="<prefix>/network/vpc-id")
    values.add_argument("--subnet-ids", type=_ids, help="<prefix>/network/subnet-ids, a,b")
    values.add_argument("--security-group-id", help="<prefix>/network/function-sg-id")
    values.add_argument("--api-url", help="<prefix>/api/url")
    values.add_argument("--api-id", help="<prefix>/api/id")
    values.add_argument(
        "--services", type=_ids, help="<prefix>/network/services (default: cdk.json's)"
    )
    values.add_argument(
        "--api-account", help="<prefix>/api/account (default: cdk.json's slackgate:account)"
    )
    values.add_argument(
        "--from-ssm",
        action="store_true",
        help="read them all from the gateway's parameters (credentials for its account)",
    )
    parser.add_argument("--organization-id", help="override slackgate:organizationId")
    parser.add_argument(
        "--audit-role-name",
        default=DEFAULT_AUDIT_ROLE,
        help=f"the read-only role in each member account (default: {DEFAULT_AUDIT_ROLE})",
    )
    parser.add_argument(
        "--auditor",
        action="append",
        default=[],
        metavar="ROLE_ARN_PATTERN",
        help="a role (pattern) of the hub's account that may assume it; repeatable (default: "
        f"arn:aws:iam::<hub>:role/{DEFAULT_AUDITOR_ROLE})",
    )
    parser.add_argument(
        "--call-as",
        choices=CALL_AS,
        default=CALL_AS[0],
        help="the hub's account: the StackSets delegated administrator (default) or the "
        "management account (SELF)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="render: output directory")
    parser.add_argument(
        "--ou-ids", type=_ids, help="deploy: the team accounts' OUs (ou-...) or root"
    )
    parser.add_argument("--region", help="AWS region (default: AWS_REGION, else cdk.json's)")


def fail(message: str) -> int:
    print(f"slackgate organisation: {message}", file=sys.stderr)
    return EXIT_ERROR


def _hub_values(args: argparse.Namespace, config: Any) -> Any:
    from .published import read_hub_values
    from .settings import HubValues, OrganisationError

    given = [args.vpc_id, args.subnet_ids, args.security_group_id, args.api_url, args.api_id]
    region = args.region or os.environ.get("AWS_REGION") or config.region
    organization_id = (
        args.organization_id if args.organization_id is not None else config.organization_id
    )
    if args.from_ssm:
        if any(given) or args.services or args.api_account:
            raise OrganisationError("give either --from-ssm or the values, not both")
        _require_credentials()
        hub = read_hub_values(_session(region).client("ssm"), config.prefix, region)
        if args.organization_id is None:
            return hub
        fields = {name: getattr(hub, name) for name in hub.__dataclass_fields__}
        return HubValues(**{**fields, "organization_id": organization_id})
    if not all(given):
        flags = ("--vpc-id", "--subnet-ids", "--security-group-id", "--api-url", "--api-id")
        absent = [flag for flag, value in zip(flags, given, strict=True) if not value]
        raise OrganisationError(
            f"which values? missing {', '.join(absent)} (the gateway's {config.prefix}/network/"
            "vpc-id, subnet-ids, function-sg-id, api/url and api/id), or give --from-ssm with "
            "credentials for the gateway's account"
        )
    return HubValues(
        account=args.api_account or config.account,
        region=region,
        vpc_id=args.vpc_id.strip(),
        subnet_ids=tuple(args.subnet_ids),
        function_sg_id=args.security_group_id.strip(),
        api_url=args.api_url.strip(),
        api_id=args.api_id.strip(),
        services=HubValues.services_of(args.services or config.services),
        prefix=config.prefix,
        organization_id=organization_id,
    )


def _require_credentials() -> None:
    """Fails before any call to AWS when no credentials are configured (the gateway's check)."""
    from ..infra.credentials import HOW_TO, credential_sources
    from .settings import OrganisationError

    if not credential_sources(os.environ, Path.home()):
        raise OrganisationError(HOW_TO)


def _session(region: str) -> Any:
    import boto3

    return boto3.Session(region_name=region)


def render(settings: Any, out: Path) -> list[str]:
    """Writes the member template and the hub's StackSet template; one line per file."""
    from .templates import hub_template, member_template, template_body

    member = member_template(settings)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, template, note in (
        (MEMBER_FILE, member, f"{len(template_body(member).encode())} bytes as the TemplateBody"),
        (HUB_FILE, hub_template(settings), "the StackSet, for the hub"),
    ):
        (out / name).write_text(json.dumps(template, indent=2) + "\n")
        lines.append(f"{out / name}  {note}")
    return lines


def deploy(args: argparse.Namespace, settings: Any) -> str:
    from ..guardrails.deploy import deploy_stack
    from .settings import OU_OR_ROOT, OrganisationError
    from .templates import HUB_STACK, hub_template

    if not args.ou_ids:
        raise OrganisationError(
            "deploy: give --ou-ids, the OUs (ou-...) or the root (r-...) holding the team "
            "accounts; run it in the StackSets delegated administrator (--call-as "
            "DELEGATED_ADMIN) or the management account (--call-as SELF)"
        )
    wrong = [ou for ou in args.ou_ids if not OU_OR_ROOT.fullmatch(ou)]
    if wrong:
        raise OrganisationError(f"--ou-ids: {', '.join(wrong)} is not like ou-ab12-cd34ef56")
    _require_credentials()
    cloudformation = _session(settings.hub.region).client("cloudformation")
    status = deploy_stack(
        cloudformation,
        HUB_STACK,
        hub_template(settings),
        {"OrganizationalUnitIds": ",".join(args.ou_ids)},
    )
    return f"{HUB_STACK}: {status}"


def run(args: argparse.Namespace) -> int:
    from botocore import exceptions as boto_errors

    from ..guardrails.command import _gateway_config
    from ..infra.config import ConfigError
    from .settings import MemberSettings, OrganisationError

    try:
        # The gateway's cdk.json; the organisation id is overridden here, per value above.
        config = _gateway_config(None)
        settings = MemberSettings(
            hub=_hub_values(args, config),
            audit_role_name=args.audit_role_name,
            auditors=tuple(args.auditor),
            call_as=args.call_as,
        )
        lines = render(settings, args.out) if args.action == "render" else [deploy(args, settings)]
    except (OrganisationError, ConfigError) as problem:
        return fail(str(problem))
    except (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError) as exc:
        return fail(f"no usable AWS credentials ({exc}): set AWS_PROFILE or access keys")
    except boto_errors.ClientError as exc:
        error = exc.response.get("Error", {})
        return fail(f"AWS refused {exc.operation_name}: {error.get('Code')} {error.get('Message')}")
    except boto_errors.WaiterError as exc:
        return fail(f"the stack did not finish ({exc}); see its events in CloudFormation")
    print("\n".join(lines))
    return 0
