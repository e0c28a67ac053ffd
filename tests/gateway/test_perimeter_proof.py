"""The proof by evaluation: the SYNTHESIZED endpoint policies, evaluated (shared_gateway.iampolicy)
against requests, give the answers the data perimeter needs.

- Every probe of the catalogue (`shared_gateway.perimeter.probes`), for every enabled service and
  the logs endpoint, in account and in organisation mode.
- Combined with identity and resource policies (`allowed`), the requests of the threat model:
  our bucket read through the S3 endpoint is allowed; a write to another account's bucket, an ACL
  or bucket-policy change on ours, an outside principal: denied, and denied by the endpoint (the
  same request without the endpoint policy is allowed).
"""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Request, allowed, evaluate, resolve_cfn
from shared_gateway.perimeter import LOGS, OFFERED, Perimeter, Service, probes
from shared_gateway.perimeter.probes import OUTSIDE_ACCOUNT, OUTSIDE_ORGANIZATION

from .conftest import ACCOUNT, ORGANIZATION_ID, PSEUDO, REGION, Synthesized

pytestmark = pytest.mark.slow

SERVICES = [*OFFERED.values(), LOGS]
MODES = {
    "account": ("gateway_all", Perimeter(ACCOUNT)),
    "organisation": ("gateway_org", Perimeter(ACCOUNT, ORGANIZATION_ID)),
}


def _deployed_policy(gateway: Synthesized, service: str) -> dict[str, Any]:
    _, props = gateway.endpoints()[service]
    return resolve_cfn(props["PolicyDocument"], PSEUDO)


def _wrong_answers(policy: dict[str, Any], service: Service, perimeter: Perimeter) -> list[str]:
    wrong = []
    for probe in probes(service, perimeter, region=REGION):
        request = Request(probe.action, probe.resource, probe.principal, dict(probe.context))
        result = evaluate(policy, request, principal_required=True)
        if result.allowed != probe.allowed:
            expected = "allowed" if probe.allowed else "denied"
            wrong.append(f"{probe.name}: expected {expected}, got {result}")
    return wrong


@pytest.fixture(params=list(MODES), scope="module")
def mode(request: pytest.FixtureRequest) -> tuple[Synthesized, Perimeter]:
    fixture, perimeter = MODES[request.param]
    return request.getfixturevalue(fixture), perimeter


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
def test_every_probe_is_answered_as_expected(
    mode: tuple[Synthesized, Perimeter], service: Service
) -> None:
    gateway, perimeter = mode
    assert len(probes(service, perimeter, region=REGION)) >= 4
    policy = _deployed_policy(gateway, service.name)
    assert _wrong_answers(policy, service, perimeter) == []


def test_the_probes_catch_a_policy_that_lost_part_of_the_perimeter(
    gateway_all: Synthesized,
) -> None:
    """Negative controls: the same proof fails on a weakened copy of the S3 policy."""
    s3, perimeter = OFFERED["s3"], Perimeter(ACCOUNT)
    policy = _deployed_policy(gateway_all, "s3")
    allow, deny = policy["Statement"]

    no_resource_perimeter = {
        **allow,
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    }
    wrong = _wrong_answers({**policy, "Statement": [no_resource_perimeter, deny]}, s3, perimeter)
    assert any("another account's resource" in w for w in wrong)

    no_principal_perimeter = {
        **allow,
        "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT}},
    }
    wrong = _wrong_answers({**policy, "Statement": [no_principal_perimeter, deny]}, s3, perimeter)
    assert any("another account's principal" in w for w in wrong)

    wrong = _wrong_answers({**policy, "Statement": [allow]}, s3, perimeter)
    assert any("s3:PutObjectAcl" in w and "carries data outward" in w for w in wrong)


# Combined checks: what a team role, a bucket policy and the S3 endpoint's policy decide together.
OUR_BUCKET, THEIR_BUCKET = "team-reports", "drop-box"
OUR_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-payments-nightly/fn"
OUTSIDE_ROLE = f"arn:aws:sts::{OUTSIDE_ACCOUNT}:assumed-role/anything/stolen"
TEAM_ROLE_POLICY = {  # what the template grants: read on the declared bucket
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{OUR_BUCKET}/*"}
    ],
}
OVERBROAD_POLICY = {  # a mistaken or hostile role: the endpoint must hold on its own
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
THEIR_BUCKET_POLICY = {  # the receiving side admits anyone: only the endpoint stands between
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{THEIR_BUCKET}/*",
        }
    ],
}


def _request(
    action: str, resource: str, principal: str, resource_account: str, perimeter: Perimeter
) -> Request:
    """A request with the global condition keys AWS sets for these principals and resources."""
    principal_account = principal.split(":")[4]
    context = {"aws:PrincipalAccount": principal_account, "aws:ResourceAccount": resource_account}
    if perimeter.organization_id:

        def organisation(account: str) -> str:
            return perimeter.organization_id if account == ACCOUNT else OUTSIDE_ORGANIZATION

        context["aws:PrincipalOrgID"] = organisation(principal_account)
        context["aws:ResourceOrgID"] = organisation(resource_account)
    return Request(action, resource, principal, context)


def test_our_bucket_read_is_allowed(mode: tuple[Synthesized, Perimeter]) -> None:
    gateway, perimeter = mode
    endpoint = _deployed_policy(gateway, "s3")
    read = _request(
        "s3:GetObject", f"arn:aws:s3:::{OUR_BUCKET}/daily.csv", OUR_ROLE, ACCOUNT, perimeter
    )
    assert allowed(read, identity=TEAM_ROLE_POLICY, endpoint=endpoint)
    # The endpoint grants nothing by itself: what the role does not grant stays denied.
    other = _request("s3:GetObject", "arn:aws:s3:::payroll/x.csv", OUR_ROLE, ACCOUNT, perimeter)
    assert not allowed(other, identity=TEAM_ROLE_POLICY, endpoint=endpoint)


WAYS_OUT = [
    (
        "another account's bucket write",
        "s3:PutObject",
        f"arn:aws:s3:::{THEIR_BUCKET}/dump.csv",
        OUR_ROLE,
        OUTSIDE_ACCOUNT,
        THEIR_BUCKET_POLICY,
    ),
    (
        "our object's ACL change",
        "s3:PutObjectAcl",
        f"arn:aws:s3:::{OUR_BUCKET}/daily.csv",
        OUR_ROLE,
        ACCOUNT,
        None,
    ),
    (
        "our bucket's policy change",
        "s3:PutBucketPolicy",
        f"arn:aws:s3:::{OUR_BUCKET}",
        OUR_ROLE,
        ACCOUNT,
        None,
    ),
    (
        "our bucket made public (public access block lifted)",
        "s3:PutBucketPublicAccessBlock",
        f"arn:aws:s3:::{OUR_BUCKET}",
        OUR_ROLE,
        ACCOUNT,
        None,
    ),
    (
        "an outside principal writing to its own bucket through our endpoint",
        "s3:PutObject",
        f"arn:aws:s3:::{THEIR_BUCKET}/dump.csv",
        OUTSIDE_ROLE,
        OUTSIDE_ACCOUNT,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "action", "resource", "principal", "resource_account", "bucket_policy"),
    [pytest.param(*way_out, id=way_out[0]) for way_out in WAYS_OUT],
)
def test_ways_out_are_denied_by_the_endpoint(
    mode: tuple[Synthesized, Perimeter],
    case: str,
    action: str,
    resource: str,
    principal: str,
    resource_account: str,
    bucket_policy: dict[str, Any] | None,
) -> None:
    gateway, perimeter = mode
    endpoint = _deployed_policy(gateway, "s3")
    request = _request(action, resource, principal, resource_account, perimeter)
    policies = {"identity": OVERBROAD_POLICY, "resource": bucket_policy}
    # Without the endpoint policy the identity (and bucket) policies would let it through...
    assert allowed(request, **policies), case
    # ...with it, it is denied.
    assert not allowed(request, **policies, endpoint=endpoint), case


def test_an_outside_principal_reading_our_bucket_is_denied(
    mode: tuple[Synthesized, Perimeter],
) -> None:
    gateway, perimeter = mode
    endpoint = _deployed_policy(gateway, "s3")
    # Even if our bucket's policy admitted them (a mistake), the endpoint does not.
    our_bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{OUR_BUCKET}/*",
            }
        ],
    }
    read = _request(
        "s3:GetObject", f"arn:aws:s3:::{OUR_BUCKET}/daily.csv", OUTSIDE_ROLE, ACCOUNT, perimeter
    )
    policies = {"identity": OVERBROAD_POLICY, "resource": our_bucket_policy}
    assert allowed(read, **policies)
    assert not allowed(read, **policies, endpoint=endpoint)
