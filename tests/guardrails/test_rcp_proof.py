"""The RCP on the organisation's resources, evaluated as AWS combines it (RCPFullAWSAccess and
ours at one level) with a bucket policy that admits everyone by mistake."""

from __future__ import annotations

import pytest

from shared_gateway.guardrails import GuardrailError, organization_policies
from shared_gateway.guardrails.rcp import RCP_SERVICES, resource_control_policy
from shared_gateway.guardrails.settings import GuardrailSettings
from shared_gateway.iampolicy import Request, allowed

from .conftest import ACCOUNT, ORG

RCP_FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
# A resource policy (bucket, key, queue, secret or role trust) that admits everyone by mistake.
OPEN_BUCKET = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
OBJECT = "arn:aws:s3:::payments-data/report.csv"
OUTSIDER = "arn:aws:iam::999999999999:role/x"
OURS = f"arn:aws:iam::{ACCOUNT}:role/slackgate-payments-x"

CASES = [
    (
        "our organisation's role",
        Request(
            "s3:GetObject",
            OBJECT,
            OURS,
            {"aws:PrincipalOrgID": ORG, "aws:PrincipalIsAWSService": False},
        ),
        True,
    ),
    (
        "another organisation's role",
        Request(
            "s3:GetObject",
            OBJECT,
            OUTSIDER,
            {"aws:PrincipalOrgID": "o-zzzzzzzzzz", "aws:PrincipalIsAWSService": False},
        ),
        False,
    ),
    (
        "an account in no organisation",
        Request("s3:PutObject", OBJECT, OUTSIDER, {"aws:PrincipalIsAWSService": False}),
        False,
    ),
    ("anonymous", Request("s3:GetObject", OBJECT, "", {}), False),
    (
        "a service for our organisation",
        Request(
            "s3:PutObject",
            OBJECT,
            "cloudtrail.amazonaws.com",
            {
                "aws:PrincipalIsAWSService": True,
                "aws:SourceAccount": ACCOUNT,
                "aws:SourceOrgID": ORG,
            },
        ),
        True,
    ),
    (
        "a service for another organisation",
        Request(
            "s3:PutObject",
            OBJECT,
            "cloudtrail.amazonaws.com",
            {
                "aws:PrincipalIsAWSService": True,
                "aws:SourceAccount": "999999999999",
                "aws:SourceOrgID": "o-zzzzzzzzzz",
            },
        ),
        False,
    ),
    (
        "a service with no source (a service role)",
        Request(
            "kms:Decrypt",
            f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k",
            "lambda.amazonaws.com",
            {"aws:PrincipalIsAWSService": True},
        ),
        True,
    ),
    (
        "an outsider assuming our role",
        Request("sts:AssumeRole", OURS, OUTSIDER, {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}),
        False,
    ),
]


@pytest.mark.parametrize(("name", "req", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_organisation_keeps_its_resources(
    settings: GuardrailSettings, name: str, req: Request, expected: bool
) -> None:
    rcp = resource_control_policy(settings)
    assert (
        allowed(req, resource=OPEN_BUCKET, rcp=[RCP_FULL_ACCESS, rcp], same_account=False)
        is expected
    )
    assert allowed(req, resource=OPEN_BUCKET, same_account=False)  # the control: the open policy


def test_the_rcp_names_only_services_that_support_rcps(settings: GuardrailSettings) -> None:
    rcp = resource_control_policy(settings)
    services = {a.split(":")[0] for s in rcp["Statement"] for a in s["Action"]}
    assert services <= set(RCP_SERVICES) and "lambda" not in services


def test_no_rcp_without_an_organisation(settings: GuardrailSettings) -> None:
    single = GuardrailSettings(
        **{
            **{f: getattr(settings, f) for f in settings.__dataclass_fields__},
            "organization_id": "",
        }
    )
    assert [d.kind for d in organization_policies(single)] == ["SERVICE_CONTROL_POLICY"] * 3
    with pytest.raises(GuardrailError, match="organizationId"):
        resource_control_policy(single)
