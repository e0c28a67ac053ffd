"""SCPs and RCPs in `decide`: gates like the boundary, each must allow and any Deny denies."""

from __future__ import annotations

import pytest

from shared_gateway.iampolicy import PolicyError, Request, allowed, decide

ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
FULL_ACCESS = ADMIN  # FullAWSAccess, as AWS attaches it
RCP_FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
DENY_DELETE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}],
}
ROLE = "arn:aws:iam::111122223333:role/r"
GET = Request("s3:GetObject", "arn:aws:s3:::b/k", ROLE)
DELETE = Request("s3:DeleteBucket", "arn:aws:s3:::b", ROLE)


def test_an_scp_deny_wins_over_the_identity_allow() -> None:
    assert allowed(GET, identity=ADMIN, scp=[FULL_ACCESS, DENY_DELETE])
    assert not allowed(DELETE, identity=ADMIN, scp=[FULL_ACCESS, DENY_DELETE])
    assert allowed(DELETE, identity=ADMIN)  # the control: without the SCP


def test_an_scp_level_without_an_allow_denies_even_when_identity_allows() -> None:
    """Without FullAWSAccess, a deny-only SCP allows nothing."""
    assert not allowed(GET, identity=ADMIN, scp=[DENY_DELETE])


def test_an_scp_grants_nothing_by_itself() -> None:
    assert not allowed(
        GET,
        identity={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}],
        },
        scp=[FULL_ACCESS],
    )


def test_rcp_statements_name_a_principal_and_gate_like_scps() -> None:
    outsider = Request(
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        "arn:aws:iam::999999999999:role/x",
        {"aws:PrincipalOrgID": "o-other12345"},
    )
    deny_outsiders = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-ours1234567"}},
            }
        ],
    }
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
        ],
    }
    assert allowed(outsider, resource=bucket_policy, identity=ADMIN, rcp=[RCP_FULL_ACCESS])
    result = decide(
        outsider, resource=bucket_policy, identity=ADMIN, rcp=[RCP_FULL_ACCESS, deny_outsiders]
    )
    assert not result.allowed and "rcp" in str(result)
    with pytest.raises(PolicyError, match="Principal"):
        decide(GET, identity=ADMIN, rcp=[DENY_DELETE])  # an RCP statement needs a Principal
