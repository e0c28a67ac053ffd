"""The gateway's settings, read from CDK context (`cdk.json`, or `-c key=value`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..perimeter import Perimeter, PerimeterError, Service, resolve_services
from ..perimeter.policy import ORGANIZATION_ID

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # shared_gateway/
CONTEXT_PREFIX = "slackgate:"
ACCOUNT = re.compile(r"[0-9]{12}")  # ASCII digits: `\d` would admit any Unicode digit
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
PREFIX = re.compile(r"(/[A-Za-z0-9_.-]+)+")
# The principals a RAM share of the subnets may name besides account ids (`shareWith`); group 1
# is the organisation id. An organization's ARN holds its management account, not ours.
OU_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:organizations::[0-9]{12}:ou/"
    r"(o-[a-z0-9]{10,32})/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
)
ORGANIZATION_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:organizations::[0-9]{12}:organization/(o-[a-z0-9]{10,32})"
)


class ConfigError(ValueError):
    """A context value cannot be used; the message names the key and how to fix it."""


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    account: str = "123456789012"
    region: str = "eu-west-1"
    availability_zones: tuple[str, ...] = ("eu-west-1a", "eu-west-1b")
    prefix: str = "/slackgate"  # SSM parameter prefix
    registry_path: Path = field(default=PACKAGE_DIR / "registry.toml")
    alarm_email: str = ""
    # The forwarder's total time budget; the function timeout leaves room above it.
    deadline_seconds: int = 8
    function_timeout_seconds: int = 15
    # The relay's reserved concurrency; None leaves it unreserved (context: 0 or "none"), for
    # accounts whose quota cannot spare it (Lambda keeps 100 unreserved, or the whole quota
    # when it is under 100: `make gateway-preflight` checks).
    reserved_concurrency: int | None = 50
    throttle_rate: int = 50  # requests per second, per stage
    throttle_burst: int = 100
    log_retention_days: int = 365
    # The AWS services team functions may use (shared_gateway/perimeter), beyond the relay
    # and their logs; each gets a VPC endpoint whose policy keeps the data perimeter.
    services: tuple[str, ...] = ()
    # When set, "ours" is the organisation (aws:PrincipalOrgID / aws:ResourceOrgID) rather
    # than this account alone.
    organization_id: str = ""
    nag: bool = False  # run cdk-nag during synthesis (the tests always do)
    # Create the account's API Gateway CloudWatch Logs role and setting (account-wide, retained:
    # api_gateway_account.py); off, `make gateway-preflight` checks that the account has one.
    api_gateway_account_role: bool = False
    # The team accounts the isolated subnets are shared with through AWS RAM (sharing.py):
    # 12-digit ids, OU ARNs or the organisation's ARN. Empty: no share, one account.
    share_with: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if not ACCOUNT.fullmatch(self.account):
            problems.append(f"{CONTEXT_PREFIX}account: {self.account!r} is not a 12-digit id")
        if not REGION.fullmatch(self.region):
            problems.append(f"{CONTEXT_PREFIX}region: {self.region!r} is not a region name")
        if len(self.availability_zones) < 2:
            problems.append(f"{CONTEXT_PREFIX}availabilityZones: list at least two zones")
        for zone in self.availability_zones:
            if not zone.startswith(self.region):
                problems.append(
                    f"{CONTEXT_PREFIX}availabilityZones: {zone!r} is not in {self.region}"
                )
        if not PREFIX.fullmatch(self.prefix):
            problems.append(f"{CONTEXT_PREFIX}prefix: {self.prefix!r} — use a path like /slackgate")
        try:
            resolve_services(self.services)
        except PerimeterError as refused:
            problems.append(str(refused))
        if self.organization_id and not ORGANIZATION_ID.fullmatch(self.organization_id):
            problems.append(
                f"{CONTEXT_PREFIX}organizationId: {self.organization_id!r} is not an "
                "organization id like o-a1b2c3d4e5 (`aws organizations describe-organization`); "
                "leave it empty to keep the perimeter to this account"
            )
        reserved = self.reserved_concurrency
        if reserved is not None and (
            isinstance(reserved, bool) or not isinstance(reserved, int) or reserved < 1
        ):
            problems.append(
                f"{CONTEXT_PREFIX}reservedConcurrency: {reserved!r} — give a whole number of "
                'at least 1, or 0 or "none" to leave the relay unreserved'
            )
        if self.function_timeout_seconds <= self.deadline_seconds:
            problems.append(
                f"{CONTEXT_PREFIX}functionTimeoutSeconds must exceed deadlineSeconds, so the "
                "relay can answer upstream_timeout before Lambda kills it"
            )
        problems.extend(self._share_with_problems())
        if problems:
            raise ConfigError("invalid gateway context:\n  " + "\n  ".join(problems))

    def _share_with_problems(self) -> list[str]:
        key = f"{CONTEXT_PREFIX}shareWith"
        problems = []
        for principal in self.share_with:
            organisation = OU_ARN.fullmatch(principal) or ORGANIZATION_ARN.fullmatch(principal)
            if ACCOUNT.fullmatch(principal):
                if principal == self.account:
                    problems.append(
                        f"{key}: {principal} is this gateway's own account, whose functions use "
                        "the subnets without a share — remove it"
                    )
            elif organisation is None:
                problems.append(
                    f"{key}: {principal!r} is neither a 12-digit account id, an OU ARN "
                    "(arn:aws:organizations::<management account>:ou/o-.../ou-...) nor the "
                    "organisation's ARN (arn:aws:organizations::<management account>:"
                    "organization/o-...)"
                )
            elif not self.organization_id:
                problems.append(
                    f"{key}: {principal!r} names an OU or the organisation, so set "
                    f"{CONTEXT_PREFIX}organizationId to that organisation's id "
                    f"({organisation.group(1)}) too"
                )
            elif organisation.group(1) != self.organization_id:
                problems.append(
                    f"{key}: {principal!r} is in organisation {organisation.group(1)}, not in "
                    f"{CONTEXT_PREFIX}organizationId {self.organization_id}: subnets can be "
                    "shared only within the gateway's own organisation"
                )
        if len(set(self.share_with)) != len(self.share_with):
            problems.append(f"{key}: lists a principal more than once")
        return problems

    def require_shared_with(self, teams_by_account: Mapping[str, Iterable[str]]) -> None:
        """Fails unless every team account but the gateway's own is covered by `share_with`:
        a team in an account the subnets are not shared with could never deploy. An OU or the
        organisation among the principals covers every account (membership cannot be checked
        offline: docs/gateway.md says so)."""
        if any(not ACCOUNT.fullmatch(principal) for principal in self.share_with):
            return
        missing = {
            account: sorted(teams)
            for account, teams in sorted(teams_by_account.items())
            if account != self.account and account not in self.share_with
        }
        if missing:
            listed = "; ".join(f"{a} (teams {', '.join(t)})" for a, t in missing.items())
            raise ConfigError(
                f"{CONTEXT_PREFIX}shareWith: the registry places teams in accounts the "
                f"gateway's subnets are not shared with, so their functions could never "
                f"deploy: {listed}. Add {json.dumps(sorted(missing))} to "
                f"{CONTEXT_PREFIX}shareWith in shared_gateway/cdk.json (or share with their OU "
                f"or the organisation, with {CONTEXT_PREFIX}organizationId set), or remove "
                "them from the teams' accounts"
            )

    @property
    def enabled_services(self) -> tuple[Service, ...]:
        """The offered services named in `services`, in catalogue order."""
        return resolve_services(self.services)

    @property
    def perimeter(self) -> Perimeter:
        """Whose principals and resources the endpoint policies admit."""
        return Perimeter(self.account, self.organization_id)

    @classmethod
    def from_context(cls, get: Any, base_dir: Path | None = None) -> GatewayConfig:
        """Builds the config from `get(key)` (a construct's `node.try_get_context`).

        Values given with `-c` arrive as strings, so lists may be JSON or comma-separated.
        A relative registry path is taken from `base_dir` (the directory holding cdk.json).
        """
        defaults = cls.__dataclass_fields__

        def value(key: str, attr: str) -> Any:
            raw = get(CONTEXT_PREFIX + key)
            return defaults[attr].default if raw is None else raw

        zones = _string_list("availabilityZones", value("availabilityZones", "availability_zones"))
        services = _string_list("services", value("services", "services"))
        registry = Path(str(get(CONTEXT_PREFIX + "registryPath") or "registry.toml"))
        if not registry.is_absolute():
            registry = (base_dir or PACKAGE_DIR) / registry
        return cls(
            account=str(value("account", "account")),
            region=str(value("region", "region")),
            availability_zones=zones,
            prefix=str(value("prefix", "prefix")).rstrip("/"),
            registry_path=registry,
            alarm_email=str(value("alarmEmail", "alarm_email")),
            deadline_seconds=int(value("deadlineSeconds", "deadline_seconds")),
            function_timeout_seconds=int(
                value("functionTimeoutSeconds", "function_timeout_seconds")
            ),
            reserved_concurrency=_reserved(value("reservedConcurrency", "reserved_concurrency")),
            log_retention_days=int(value("logRetentionDays", "log_retention_days")),
            services=services,
            organization_id=str(value("organizationId", "organization_id")).strip(),
            nag=_flag(value("nag", "nag")),
            api_gateway_account_role=_flag(
                value("apiGatewayAccountRole", "api_gateway_account_role")
            ),
            share_with=_string_list("shareWith", value("shareWith", "share_with")),
        )


def _reserved(raw: Any) -> Any:
    """0 or "none" (unreserved) as None, a whole number (also as `-c` text) as an int; anything
    else is passed on as it is, for __post_init__ to report with the other problems."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.lower() == "none":
            return None
        raw = int(text) if text.isascii() and text.isdigit() else raw
    if isinstance(raw, int) and not isinstance(raw, bool) and raw == 0:
        return None
    return raw


def _flag(raw: Any) -> bool:
    """A boolean from cdk.json, or from `-c` as text (1, true, yes)."""
    return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")


def _string_list(key: str, raw: Any) -> tuple[str, ...]:
    """A list from cdk.json, or from `-c` as a JSON list or comma-separated text."""
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = json.loads(text) if text.startswith("[") else text.split(",")
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"{CONTEXT_PREFIX}{key}: {text!r} is not a JSON list ({error.msg}); "
                'write ["a", "b"] or a,b'
            ) from None
    if not isinstance(raw, list | tuple) or not all(isinstance(i, str) for i in raw):
        raise ConfigError(f"{CONTEXT_PREFIX}{key}: {raw!r} is not a list of names")
    return tuple(item.strip() for item in raw if item.strip())
