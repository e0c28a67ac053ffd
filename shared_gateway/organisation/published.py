"""The hub's values as the gateway published them in SSM (run with the gateway account's
credentials, in its region)."""

from __future__ import annotations

from typing import Any

from ..audit.collect import normalize_prefix
from .contract import PUBLISHED
from .settings import HubValues, OrganisationError


def read_hub_values(ssm: Any, prefix: str, region: str) -> HubValues:
    """Every published parameter in one GetParameters call (at most 10 names; there are 8),
    values as published, subnet order included (the audit's reader keeps a set of the network
    ids only). Every missing parameter is named, with the fix."""
    prefix = normalize_prefix(prefix)
    names = [f"{prefix}/{p.suffix}" for p in PUBLISHED]
    answer = ssm.get_parameters(Names=names)
    values = {p["Name"]: p["Value"].strip() for p in answer.get("Parameters", [])}
    missing = [
        n for n, p in zip(names, PUBLISHED, strict=True) if not values.get(n) and not p.optional
    ]
    if missing:
        newer = " (api/account is published since the organisation's member accounts)"
        raise OrganisationError(
            f"the gateway's parameters are missing: {', '.join(missing)}. Run this with "
            f"credentials for the gateway's account in its region ({region}), deploy the gateway "
            f"(again{newer if f'{prefix}/api/account' in missing else ''}), or give the values "
            "(--help)"
        )
    field = {p.field: values.get(n, "") for n, p in zip(names, PUBLISHED, strict=True)}

    def items(value: str) -> tuple[str, ...]:
        return tuple(item.strip() for item in value.split(",") if item.strip())

    return HubValues(
        account=field["account"],
        region=region,
        vpc_id=field["vpc_id"],
        subnet_ids=items(field["subnet_ids"]),
        function_sg_id=field["function_sg_id"],
        api_url=field["api_url"],
        api_id=field["api_id"],
        services=items(field["services"]),
        prefix=prefix,
        organization_id=field["organization_id"],
    )
