"""Before `make deploy`: does the gateway offer every AWS service this function uses?

The slackgate gateway publishes the services team functions may reach (its VPC endpoints)
as the StringList parameter <ssm_prefix>/network/services, e.g. "execute-api,logs,s3".
A function that reads DynamoDB in a VPC without a DynamoDB endpoint would deploy fine and
then time out on its first call; this says so before anything is deployed.

Exit status 0 when everything is offered (or nothing is declared), 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.resources import DataAccess, unoffered_services
from infra.settings import SETTINGS, Settings

SERVICES_PARAMETER = "network/services"


def offered_services(ssm: Any, name: str) -> list[str] | None:
    """The published services, or None when the gateway publishes none."""
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    return [service.strip() for service in value.split(",") if service.strip()]


def problems(access: DataAccess, offered: list[str] | None, name: str) -> list[str]:
    if offered is None:
        return [
            f"the gateway publishes no {name}, so it offers no AWS service beyond the relay "
            f"and logs: ask the platform team to deploy a gateway that offers "
            f"{', '.join(access.services)} (slackgate:services)"
        ]
    return unoffered_services(access, offered)


def check(settings: Settings, ssm: Any) -> list[str]:
    access = settings.data_access
    if not access:
        return []
    name = f"{settings.ssm_prefix}/{SERVICES_PARAMETER}"
    return problems(access, offered_services(ssm, name), name)


def main(settings: Settings = SETTINGS) -> int:
    if not settings.data_access:
        print("preflight: no resources declared in infra/settings.py; nothing to check")
        return 0
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = check(settings, boto3.client("ssm", region_name=settings.aws_region))
    except (BotoCoreError, ClientError) as error:
        print(
            f"preflight: could not read {settings.ssm_prefix}/{SERVICES_PARAMETER} in "
            f"{settings.aws_region}: {error}\n  Your deploy credentials need "
            "ssm:GetParameter on it; is the slackgate gateway deployed in this region?",
            file=sys.stderr,
        )
        return 1
    for problem in found:
        print(f"preflight: {problem}", file=sys.stderr)
    if found:
        print("preflight: nothing was deployed.", file=sys.stderr)
        return 1
    print(f"preflight: the gateway offers {', '.join(settings.data_access.services)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
