"""Audit many accounts in one run: `audit --accounts ...`, `audit --organization` or
`audit --ou ...` (organization_scope.py says which accounts those are).

Each account other than the caller's is audited through the read-only role the member stack
deploys (shared_gateway/organisation, `slackgate-audit`), assumed with sts:AssumeRole; the
caller's own account with the caller's credentials. Accounts are audited concurrently, at most
`--max-parallel` at once, each in its own thread with its own boto3 sessions (sessions and
clients are not shared between threads). An account that cannot be audited is reported as
`unreachable` with the reason and the fix, never left out.

Exit status of the run: 2 if any account is unreachable (an unaudited account proves nothing,
so it outranks a finding), else 1 if any account has an escape or a network finding, else 0.
A team account's functions run in the hub's shared VPC, whose endpoints, routes and DNS firewall
only the hub's own audit checks: a run that audits a team account but not its hub says so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from shared_gateway.audit import organization_scope
from shared_gateway.organisation.settings import DEFAULT_AUDIT_ROLE

ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
DEFAULT_MAX_PARALLEL = 4
SESSION_NAME = "slackgate-audit"
UNREACHABLE = "unreachable"
AUDITED = "audited"
SKIPPED = "skipped"
MEMBER_FIX = (
    "deploy the member stack in that account (`make organisation-deploy`), or pass the "
    "--role-name it was deployed with"
)
ASSUME_FIX = MEMBER_FIX + "; the caller needs sts:AssumeRole on that role"


def account_ids(value: str) -> list[str]:
    """`111111111111,222222222222`: each a 12-digit account id."""
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("name at least one account id, e.g. 111111111111")
    for account in ids:
        if not ACCOUNT_ID.fullmatch(account):
            raise argparse.ArgumentTypeError(
                f"{account!r} is not an AWS account id: 12 digits like 111111111111 "
                "(`aws organizations list-accounts` lists them)"
            )
    return ids


def max_parallel(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of accounts, e.g. 4")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_mutually_exclusive_group()
    targets.add_argument(
        "--accounts",
        type=account_ids,
        action="append",
        metavar="ID[,ID...]",
        help="audit these accounts (comma-separated, repeatable) through --role-name",
    )
    targets.add_argument(
        "--organization",
        action="store_true",
        help="audit every ACTIVE account of the organisation (organizations:ListAccounts); "
        "the management account only when the audit runs in it",
    )
    targets.add_argument(
        "--ou",
        type=organization_scope.parent_id,
        action="append",
        metavar="OU_ID",
        help="audit the ACTIVE accounts in this organisational unit and the OUs under it "
        "(repeatable; e.g. the OU the guard rails and member stacks target)",
    )
    parser.add_argument(
        "--role-name",
        default=DEFAULT_AUDIT_ROLE,
        help=f"role assumed in each other account (default: {DEFAULT_AUDIT_ROLE}, the member "
        "stack's)",
    )
    parser.add_argument(
        "--max-parallel",
        type=max_parallel,
        default=DEFAULT_MAX_PARALLEL,
        help=f"accounts audited at once (default: {DEFAULT_MAX_PARALLEL})",
    )


def is_requested(args: argparse.Namespace) -> bool:
    return any(getattr(args, name, None) for name in ("accounts", "organization", "ou"))


@dataclass(frozen=True, slots=True)
class Target:
    account: str
    region: str
    prefix: str
    organization_id: str
    role_arn: str | None  # None: the caller's own account, audited with its credentials


@dataclass(frozen=True, slots=True)
class AccountResult:
    account: str
    exit_code: int
    text: str = ""
    document: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    fix: str = ""
    gateway_account: str = ""  # whose gateway (and shared VPC) the account's functions use

    @property
    def status(self) -> str:
        return UNREACHABLE if self.reason else AUDITED


def new_session(region: str, credentials: dict[str, str] | None = None) -> Any:
    import boto3

    if credentials is None:
        return boto3.Session(region_name=region)
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def assume(target: Target) -> Any:
    """A session in the target account: the caller's own, or the assumed role's."""
    session = new_session(target.region)
    if target.role_arn is None:
        return session
    answer = session.client("sts").assume_role(
        RoleArn=target.role_arn, RoleSessionName=SESSION_NAME
    )
    return new_session(target.region, answer["Credentials"])


def audit_account(target: Target, as_json: bool) -> AccountResult:
    """One account's audit, in the calling thread; every failure becomes `unreachable`."""
    from botocore import exceptions as boto_errors

    from shared_gateway.audit import collect, command, report

    try:
        session = assume(target)
    except (boto_errors.BotoCoreError, boto_errors.ClientError) as exc:
        return AccountResult(
            target.account,
            command.EXIT_ERROR,
            reason=f"cannot assume {target.role_arn}: {command.explain(exc, target.region)}",
            fix=ASSUME_FIX,
        )
    try:
        found = collect.collect(session, target.prefix, target.organization_id)
    except (collect.GatewayNotDeployed, boto_errors.BotoCoreError, boto_errors.ClientError) as exc:
        return AccountResult(
            target.account,
            command.EXIT_ERROR,
            reason=command.explain(exc, target.region),
            fix=MEMBER_FIX,
        )
    verdicts, findings = command.evaluate(found)
    region, network, prefix = target.region, found.network, found.prefix
    return AccountResult(
        target.account,
        command.exit_status(verdicts, findings),
        text="" if as_json else report.render_table(region, verdicts, network, findings, prefix),
        document=report.to_document(region, network, verdicts, findings, prefix) if as_json else {},
        gateway_account=network.facts.gateway_account if network.facts else "",
    )


def caller(session: Any) -> tuple[str, str]:
    """The caller's account and partition."""
    identity = session.client("sts").get_caller_identity()
    return identity["Account"], identity["Arn"].split(":")[1]


def audit_all(
    targets: Sequence[Target],
    as_json: bool,
    parallel: int,
    worker: Callable[[Target, bool], AccountResult] | None = None,
) -> list[AccountResult]:
    """Each target's result, in the targets' order, at most `parallel` at once."""
    work = worker or audit_account
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="audit-account") as pool:
        return list(pool.map(lambda target: work(target, as_json), targets))


def unaudited_hubs(results: Sequence[AccountResult]) -> dict[str, list[str]]:
    """Hub account -> the audited team accounts whose shared VPC it owns, for each hub that
    this run did not audit."""
    audited = {r.account for r in results if not r.reason}
    hubs: dict[str, list[str]] = {}
    for result in results:
        hub = result.gateway_account
        if hub and hub != result.account and hub not in audited:
            hubs.setdefault(hub, []).append(result.account)
    return hubs


def hub_notes(results: Sequence[AccountResult]) -> list[str]:
    return [
        f"note: account {hub} owns the shared VPC of {', '.join(members)} and was not audited "
        f"in this run: its endpoints, routes and DNS firewall are checked only there; add "
        f"{hub} to --accounts (or audit it on its own)"
        for hub, members in unaudited_hubs(results).items()
    ]


def render_text(
    results: Sequence[AccountResult], skipped: Sequence[organization_scope.Skipped] = ()
) -> str:
    blocks = []
    for result in results:
        if result.reason:
            blocks.append(
                f"== account {result.account}: {UNREACHABLE} ==\n"
                f"reason: {result.reason}\nfix: {result.fix}\n"
            )
        else:
            blocks.append(f"== account {result.account} ==\n{result.text}")
    blocks.extend(f"== account {s.account}: {SKIPPED} ==\nreason: {s.reason}\n" for s in skipped)
    notes = hub_notes(results)
    if notes:
        blocks.append("\n".join(notes) + "\n")
    return "\n".join(blocks)


def render_json(
    results: Sequence[AccountResult], skipped: Sequence[organization_scope.Skipped] = ()
) -> str:
    entries = []
    for result in results:
        entry: dict[str, Any] = {"account": result.account, "status": result.status}
        if result.reason:
            entry.update(reason=result.reason, fix=result.fix)
        else:
            entry["report"] = result.document
        entries.append(entry)
    summary = {
        "accounts": len(results),
        UNREACHABLE: sum(1 for r in results if r.reason),
        "with_escapes_or_findings": sum(1 for r in results if r.exit_code == 1),
        SKIPPED: len(skipped),
    }
    document = {
        "accounts": entries,
        "skipped": [{"account": s.account, "reason": s.reason} for s in skipped],
        "hubs_not_audited": unaudited_hubs(results),
        "summary": summary,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def run_status(results: Sequence[AccountResult]) -> int:
    from shared_gateway.audit import command

    codes = {r.exit_code for r in results}
    for code in (command.EXIT_ERROR, command.EXIT_ESCAPES):
        if code in codes:
            return code
    return command.EXIT_CONFINED


def run(args: argparse.Namespace) -> int:
    import sys

    from botocore import exceptions as boto_errors

    from shared_gateway.audit import command

    region = args.region or os.environ.get("AWS_REGION") or None
    try:
        session = new_session(region)  # type: ignore[arg-type]
        region = session.region_name
        if not region:
            return command.fail(
                "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) or pass --region"
            )
        own, partition = caller(session)
        skipped: list[organization_scope.Skipped] = []
        if args.accounts:
            wanted = [account for group in args.accounts for account in group]
        else:
            try:
                scope = organization_scope.resolve(session, own, args.ou or ())
            except organization_scope.ScopeError as exc:
                return command.fail(str(exc))
            except boto_errors.ClientError as exc:
                return command.fail(
                    f"cannot list the organisation's accounts ({command.explain(exc, region)}); "
                    "run from the management account or a delegated administrator with "
                    "organizations:DescribeOrganization and organizations:ListAccounts (with "
                    "--ou, ListAccountsForParent and ListOrganizationalUnitsForParent), or name "
                    "them with --accounts"
                )
            wanted, skipped = scope.accounts, scope.skipped
            if not wanted:
                where = f"under {', '.join(args.ou)}" if args.ou else "in the organisation"
                return command.fail(
                    f"no ACTIVE account to audit {where}: run from the management account or a "
                    "delegated administrator with organizations:ListAccounts, or name the "
                    "accounts with --accounts"
                )
    except (boto_errors.BotoCoreError, boto_errors.ClientError) as exc:
        return command.fail(command.explain(exc, region or "?"))
    targets = [
        Target(
            account=account,
            region=region,
            prefix=args.prefix,
            organization_id=args.organization_id or "",
            role_arn=None
            if account == own
            else f"arn:{partition}:iam::{account}:role/{args.role_name}",
        )
        for account in dict.fromkeys(wanted)  # each once, in the order given
    ]
    results = audit_all(targets, args.json, args.max_parallel)
    render = render_json if args.json else render_text
    sys.stdout.write(render(results, skipped))
    return run_status(results)
