"""The gateway's settings, read from CDK context (`cdk.json`, or `-c key=value`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # shared_gateway/
CONTEXT_PREFIX = "slackgate:"
ACCOUNT = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
PREFIX = re.compile(r"(/[A-Za-z0-9_.-]+)+")


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
    reserved_concurrency: int = 50
    throttle_rate: int = 50  # requests per second, per stage
    throttle_burst: int = 100
    log_retention_days: int = 365
    # Role names that may call the relay; the relay maps `slackgate-<team>-...` to a team.
    caller_role_pattern: str = "slackgate-*"
    nag: bool = False  # run cdk-nag during synthesis (the tests always do)

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
        if self.function_timeout_seconds <= self.deadline_seconds:
            problems.append(
                f"{CONTEXT_PREFIX}functionTimeoutSeconds must exceed deadlineSeconds, so the "
                "relay can answer upstream_timeout before Lambda kills it"
            )
        if problems:
            raise ConfigError("invalid gateway context:\n  " + "\n  ".join(problems))

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

        zones = value("availabilityZones", "availability_zones")
        if isinstance(zones, str):
            zones = json.loads(zones) if zones.startswith("[") else zones.split(",")
        registry = Path(str(get(CONTEXT_PREFIX + "registryPath") or "registry.toml"))
        if not registry.is_absolute():
            registry = (base_dir or PACKAGE_DIR) / registry
        nag = value("nag", "nag")
        return cls(
            account=str(value("account", "account")),
            region=str(value("region", "region")),
            availability_zones=tuple(str(z).strip() for z in zones),
            prefix=str(value("prefix", "prefix")).rstrip("/"),
            registry_path=registry,
            alarm_email=str(value("alarmEmail", "alarm_email")),
            deadline_seconds=int(value("deadlineSeconds", "deadline_seconds")),
            function_timeout_seconds=int(
                value("functionTimeoutSeconds", "function_timeout_seconds")
            ),
            reserved_concurrency=int(value("reservedConcurrency", "reserved_concurrency")),
            log_retention_days=int(value("logRetentionDays", "log_retention_days")),
            nag=nag if isinstance(nag, bool) else str(nag).lower() in ("1", "true", "yes"),
        )
