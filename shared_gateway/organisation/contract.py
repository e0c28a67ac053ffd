"""The parameters the gateway publishes (docs/contracts.md), as the member stack copies them.

The gateway's own stack writes them with the CDK (shared_gateway/infra/parameters.py, which
this module does not import: it loads the CDK); tests/organisation compares the two sets of
names on the synthesized gateway, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .settings import HubValues

Kind = Literal["String", "StringList"]


@dataclass(frozen=True, slots=True)
class Published:
    suffix: str  # the name after the prefix
    kind: Kind
    field: str  # the HubValues field holding the value
    description: str
    optional: bool = False  # published in organisation mode only


PUBLISHED: tuple[Published, ...] = (
    Published("network/vpc-id", "String", "vpc_id", "slackgate VPC (isolated subnets only)"),
    Published(
        "network/subnet-ids", "StringList", "subnet_ids", "slackgate isolated subnets (shared)"
    ),
    Published(
        "network/function-sg-id",
        "String",
        "function_sg_id",
        "security group every slackgate team function gets",
    ),
    Published(
        "network/services",
        "StringList",
        "services",
        "AWS services slackgate team functions may reach through VPC endpoints",
    ),
    Published(
        "network/organization-id",
        "String",
        "organization_id",
        "organisation whose principals and resources the slackgate endpoints admit",
        optional=True,
    ),
    Published("api/url", "String", "api_url", "slackgate relay base URL (POST <url>/v1/messages)"),
    Published("api/id", "String", "api_id", "slackgate relay REST API id"),
    Published("api/account", "String", "account", "AWS account of the slackgate relay API"),
)


def parameter_values(hub: HubValues) -> dict[str, tuple[Kind, str]]:
    """Full parameter name -> (type, value) for the hub's values; an SSM value cannot be
    empty, so an optional one without a value is left out (as the gateway does)."""
    values: dict[str, tuple[Kind, str]] = {}
    for parameter in PUBLISHED:
        value = getattr(hub, parameter.field)
        text = ",".join(value) if isinstance(value, tuple) else value
        if text or not parameter.optional:
            values[f"{hub.prefix}/{parameter.suffix}"] = (parameter.kind, text)
    return values
