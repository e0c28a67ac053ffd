"""Which accounts `audit --organization` audits: the organisation's ACTIVE accounts, or those
under the OUs named with `--ou` (nested OUs included), read from AWS Organizations.

The management account is left out unless it is the caller's own: service-managed StackSets
never deploy to it (so it has no member stack and no audit role to assume) and SCPs do not
apply to it, so team functions do not belong there. Leaving it out is reported as `skipped`
with that reason, never silently; the caller can still name it with `--accounts`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# AWS Organizations' own patterns for a root id and an OU id (the API reference's ParentId).
PARENT_ID = re.compile(r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}", re.ASCII)
# A cap on OUs walked, far above Organizations' quota (a depth of 5 under the root, 2,000 OUs
# per organisation by default), so a cycle or a runaway listing cannot loop forever.
MAX_OUS = 10_000
MANAGEMENT_SKIPPED = (
    "the organisation's management account: StackSets never deploy the member stack (nor its "
    "audit role) there and SCPs do not apply to it, so team functions do not belong there; "
    "audit it with its own credentials, or name it with --accounts"
)


class ScopeError(Exception):
    """The organisation cannot be listed as asked; the message says why and how to fix it."""


@dataclass(frozen=True, slots=True)
class Skipped:
    account: str
    reason: str


@dataclass(frozen=True, slots=True)
class Scope:
    accounts: list[str]
    skipped: list[Skipped]


def parent_id(value: str) -> str:
    """`--ou ou-ab12-cd34ef56` (or the root `r-ab12`)."""
    if not PARENT_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an organisational unit id like ou-ab12-cd34ef56 or a root id "
            "like r-ab12 (`aws organizations list-roots` and "
            "`aws organizations list-organizational-units-for-parent` list them)"
        )
    return value


def is_active(account: dict[str, Any]) -> bool:
    # `State` is the newer field and `Status` the older one; Organizations returns both today.
    return account.get("State", account.get("Status")) == "ACTIVE"


def pages(client: Any, operation: str, key: str, **kwargs: str) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def accounts_under(client: Any, parents: Sequence[str]) -> list[str]:
    """The ACTIVE accounts in these OUs and every OU nested under them, each once, OU by OU."""
    found: dict[str, None] = {}
    queue, seen = list(parents), set(parents)
    while queue:
        parent = queue.pop(0)
        for account in pages(client, "list_accounts_for_parent", "Accounts", ParentId=parent):
            if is_active(account):
                found.setdefault(account["Id"], None)
        for unit in pages(
            client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
        ):
            if unit["Id"] not in seen:
                if len(seen) >= MAX_OUS:
                    raise ScopeError(f"more than {MAX_OUS} OUs under {', '.join(parents)}")
                seen.add(unit["Id"])
                queue.append(unit["Id"])
    return list(found)


def resolve(session: Any, own_account: str, units: Sequence[str] = ()) -> Scope:
    """The accounts to audit and those skipped (the management account, unless it is the
    caller's). Raises ScopeError when the organisation cannot be read."""
    from botocore import exceptions as boto_errors

    client = session.client("organizations")
    try:
        management = client.describe_organization()["Organization"]["MasterAccountId"]
        if units:
            listed = accounts_under(client, units)
        else:
            listed = [a["Id"] for a in pages(client, "list_accounts", "Accounts") if is_active(a)]
    except boto_errors.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "AWSOrganizationsNotInUseException":
            raise ScopeError(
                "this account is not in an organisation: name the accounts with --accounts"
            ) from exc
        if code == "ParentNotFoundException":
            raise ScopeError(
                f"no such OU in this organisation: {', '.join(units)} "
                "(`aws organizations list-organizational-units-for-parent` lists them)"
            ) from exc
        raise
    if management in listed and management != own_account:
        listed.remove(management)
        return Scope(listed, [Skipped(management, MANAGEMENT_SKIPPED)])
    return Scope(listed, [])
