"""What the member stack is written with: the hub's published values and the audit role's setup."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..guardrails.settings import SECURITY_GROUP_ID, SUBNET_ID, VPC_ID
from ..infra.config import ACCOUNT, PREFIX, REGION
from ..perimeter import PerimeterError, published_names, resolve_services
from ..perimeter.policy import ORGANIZATION_ID

API_ID = re.compile(r"[a-z0-9]{10}")  # API Gateway's REST API ids
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
# A role (pattern) of one account: the trust policy names that account's root as the
# principal, so the pattern must name the hub's account, not `*`.
AUDITOR_PATTERN = re.compile(r"arn:aws[\w-]*:iam::([0-9]{12}):role/[\w+=,.@*/-]+")
# Roots (r-...) and OUs (ou-...), what StackSets' OrganizationalUnitIds accepts.
OU_OR_ROOT = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}")
CALL_AS = ("DELEGATED_ADMIN", "SELF")
DEFAULT_AUDIT_ROLE = "slackgate-audit"
DEFAULT_AUDITOR_ROLE = "slackgate-auditor"


class OrganisationError(ValueError):
    """A value the member stack cannot be written with; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class HubValues:
    """The values the gateway (the hub) published under `prefix` (docs/contracts.md).

    `account` is `<prefix>/api/account`: the gateway's account, which the relay API is in.
    `services` is what the gateway publishes in `<prefix>/network/services` (always-on first).
    """

    account: str
    region: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    function_sg_id: str
    api_url: str
    api_id: str
    services: tuple[str, ...]
    prefix: str = "/slackgate"
    organization_id: str = ""

    def __post_init__(self) -> None:
        problems = []
        if not ACCOUNT.fullmatch(self.account):
            problems.append(f"account {self.account!r} (api/account) is not a 12-digit id")
        if not REGION.fullmatch(self.region):
            problems.append(f"region {self.region!r} is not a region name like eu-west-1")
        if not PREFIX.fullmatch(self.prefix):
            problems.append(f"prefix {self.prefix!r} is not like /slackgate")
        if not VPC_ID.fullmatch(self.vpc_id):
            problems.append(f"VPC id {self.vpc_id!r} is not like vpc-0123456789abcdef0")
        if not self.subnet_ids:
            problems.append("no subnet id: give the gateway's isolated subnets")
        problems += [
            f"subnet id {s!r} is not like subnet-0123456789abcdef0"
            for s in self.subnet_ids
            if not SUBNET_ID.fullmatch(s)
        ]
        if not SECURITY_GROUP_ID.fullmatch(self.function_sg_id):
            problems.append(
                f"security group id {self.function_sg_id!r} is not like sg-0123456789abcdef0"
            )
        if not API_ID.fullmatch(self.api_id):
            problems.append(f"API id {self.api_id!r} is not a REST API id like a1b2c3d4e5")
        elif not self.api_url.startswith(f"https://{self.api_id}."):
            problems.append(
                f"relay URL {self.api_url!r} is not the API's: it starts "
                f"https://{self.api_id}.execute-api.{self.region}.amazonaws.com/"
            )
        if self.organization_id and not ORGANIZATION_ID.fullmatch(self.organization_id):
            problems.append(f"organisation id {self.organization_id!r} is not like o-a1b2c3d4e5")
        try:
            expected = published_names(resolve_services(self.services))
        except PerimeterError as error:
            problems.append(f"services: {error}")
        else:
            if list(self.services) != expected:
                problems.append(
                    f"services {','.join(self.services)!r} are not as the gateway publishes "
                    f"them: {','.join(expected)!r}"
                )
        if problems:
            raise OrganisationError("cannot write the member stack:\n  " + "\n  ".join(problems))

    @staticmethod
    def services_of(names: Iterable[str]) -> tuple[str, ...]:
        """The `network/services` value for these services, as the gateway publishes it."""
        try:
            return tuple(published_names(resolve_services(names)))
        except PerimeterError as error:
            raise OrganisationError(f"services: {error}") from None


@dataclass(frozen=True, slots=True)
class MemberSettings:
    """The member stack: the hub's values, and who may assume its read-only audit role.

    `auditors` are role ARN patterns of the hub's account (aws:PrincipalArn, ArnLike); by
    default the hub's `slackgate-auditor` role. `call_as` is how the hub's StackSet is
    created: DELEGATED_ADMIN from a member account registered as StackSets delegated
    administrator (the gateway's account: SCPs do not bind the management account, so the
    gateway never runs there), SELF from the management account.
    """

    hub: HubValues
    audit_role_name: str = DEFAULT_AUDIT_ROLE
    auditors: tuple[str, ...] = ()
    call_as: str = "DELEGATED_ADMIN"

    def __post_init__(self) -> None:
        problems = []
        if not ROLE_NAME.fullmatch(self.audit_role_name):
            problems.append(
                f"audit role name {self.audit_role_name!r}: use 1-64 letters, digits and +=,.@_-"
            )
        for pattern in self.auditors:
            match = AUDITOR_PATTERN.fullmatch(pattern)
            if not match:
                problems.append(
                    f"auditor {pattern!r} is not a role ARN (pattern) like "
                    f"arn:aws:iam::{self.hub.account}:role/{DEFAULT_AUDITOR_ROLE}"
                )
            elif match.group(1) != self.hub.account:
                problems.append(
                    f"auditor {pattern!r} is not of the hub's account {self.hub.account}: the "
                    "audit role trusts the hub's principals only"
                )
        if self.call_as not in CALL_AS:
            problems.append(f"call-as {self.call_as!r}: use one of {', '.join(CALL_AS)}")
        if problems:
            raise OrganisationError("cannot write the member stack:\n  " + "\n  ".join(problems))

    @property
    def auditor_patterns(self) -> tuple[str, ...]:
        return self.auditors or (f"arn:aws:iam::{self.hub.account}:role/{DEFAULT_AUDITOR_ROLE}",)
