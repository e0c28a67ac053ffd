"""The hub's values and the member settings the organisation tests render with."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared_gateway.organisation import HubValues, MemberSettings

# The tests reuse the gateway's and the template's test helpers (tests.gateway.conftest,
# tests.template...), importable as `tests.*` from the repository root, also when pytest runs
# as its script rather than as `python -m pytest`.
REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


HUB = "123456789012"  # the gateway's account
MEMBER = "210987654321"  # a team account of the organisation
OUTSIDER = "999999999999"  # an account of another organisation
REGION = "eu-west-1"
ORG = "o-a1b2c3d4e5"
VPC = "vpc-0123456789abcdef0"
SUBNETS = ("subnet-0123456789abcdef1", "subnet-0123456789abcdef0")  # as published: not sorted
SG = "sg-0123456789abcdef0"
API_ID = "a1b2c3d4e5"
API_URL = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/prod"
SERVICES = ("execute-api", "logs", "s3")
AUDITOR = f"arn:aws:iam::{HUB}:role/slackgate-auditor"


def hub_values(**changes: object) -> HubValues:
    fields: dict[str, object] = {
        "account": HUB,
        "region": REGION,
        "vpc_id": VPC,
        "subnet_ids": SUBNETS,
        "function_sg_id": SG,
        "api_url": API_URL,
        "api_id": API_ID,
        "services": SERVICES,
        "organization_id": ORG,
    }
    fields.update(changes)
    return HubValues(**fields)  # type: ignore[arg-type]


@pytest.fixture
def settings() -> MemberSettings:
    return MemberSettings(hub=hub_values())


@pytest.fixture
def account_settings() -> MemberSettings:
    """Without an organisation: no organization-id parameter, no aws:PrincipalOrgID."""
    return MemberSettings(hub=hub_values(organization_id=""))
