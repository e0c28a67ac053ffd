"""The network the gateway published in SSM (`<prefix>/network/...`, docs/contracts.md)."""

from __future__ import annotations

from typing import Any

from ..audit.checks import PublishedNetwork
from ..audit.collect import GatewayNotDeployed, load_published_network
from .settings import GuardrailError


def read_published_network(ssm: Any, prefix: str) -> PublishedNetwork:
    """The audit's reader; a missing parameter becomes a GuardrailError with the fix."""
    try:
        return load_published_network(ssm, prefix)
    except GatewayNotDeployed as missing:
        raise GuardrailError(
            f"the gateway's parameters are missing ({missing}): deploy the gateway in this "
            "account and region first, or give --vpc-id, --subnet-ids and --security-group-id"
        ) from None
