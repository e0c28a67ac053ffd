"""allowed()/decide(): identity, resource-based, endpoint and boundary policies together."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Decision, PolicyError, Request, allowed, decide

ACCOUNT, OTHER = "111122223333", "444455556666"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/relay/s"
API = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123/prod/POST/hook"
FOREIGN_API = f"arn:aws:execute-api:eu-west-1:{OTHER}:def456/prod/POST/hook"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


INVOKE_ANY = doc({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"})
NOTHING = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
# The endpoint policy admits our account's principals on our account's APIs only.
ENDPOINT = doc(
    {
        "Sid": "OurApisOnly",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
        },
    }
)
RESOURCE_ALLOW = doc(
    {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "execute-api:Invoke"}
)
RESOURCE_DENY = doc(
    {"Sid": "NoOne", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
)


def invoke(resource: str = API, principal_account: str = ACCOUNT) -> Request:
    resource_account = resource.split(":")[4]
    context = {"aws:PrincipalAccount": principal_account, "aws:ResourceAccount": resource_account}
    principal = SESSION.replace(ACCOUNT, principal_account)
    return Request("execute-api:Invoke", resource, principal, context)


@pytest.mark.parametrize(
    ("request_", "policies", "expected"),
    [
        (invoke(), {"identity": INVOKE_ANY, "endpoint": ENDPOINT}, True),
        (invoke(FOREIGN_API), {"identity": INVOKE_ANY, "endpoint": ENDPOINT}, False),
        (invoke(), {"identity": NOTHING, "endpoint": ENDPOINT}, False),
        (invoke(), {"identity": [], "endpoint": ENDPOINT}, False),  # no identity policy at all
        (invoke(), {"identity": INVOKE_ANY}, True),
        (invoke(), {"endpoint": ENDPOINT}, True),
        # Same account: the resource policy alone may grant, or the identity policy alone.
        (invoke(), {"identity": NOTHING, "resource": RESOURCE_ALLOW}, True),
        (invoke(), {"identity": INVOKE_ANY, "resource": doc(NOTHING["Statement"][0])}, None),
        # Across accounts both must allow.
        (invoke(FOREIGN_API), {"identity": NOTHING, "resource": RESOURCE_ALLOW}, False),
        (invoke(FOREIGN_API), {"identity": INVOKE_ANY, "resource": RESOURCE_ALLOW}, True),
        # An explicit deny anywhere wins.
        (invoke(), {"identity": INVOKE_ANY, "resource": RESOURCE_DENY}, False),
        (
            invoke(),
            {"identity": [INVOKE_ANY, [{"Effect": "Deny", "Action": "*", "Resource": "*"}]]},
            False,
        ),
        (invoke(), {"identity": INVOKE_ANY, "endpoint": ENDPOINT, "boundary": NOTHING}, False),
        (invoke(), {"identity": INVOKE_ANY, "endpoint": ENDPOINT, "boundary": INVOKE_ANY}, True),
    ],
)
def test_combinations(request_: Request, policies: dict[str, Any], expected: bool | None) -> None:
    if expected is None:  # a resource policy without Principal is refused
        with pytest.raises(PolicyError, match="Principal"):
            allowed(request_, **policies)
        return
    assert allowed(request_, **policies) is expected


def test_decide_names_each_policys_deciding_statement() -> None:
    combined = decide(invoke(FOREIGN_API), identity=INVOKE_ANY, endpoint=ENDPOINT)
    assert not combined.allowed
    assert [e.decision for e in combined.evaluations["endpoint"]] == [Decision.IMPLICIT_DENY]
    assert combined.evaluations["identity"][0].decision is Decision.ALLOW
    assert str(combined).startswith("denied (identity: allow by statement 0")
    denied = decide(invoke(), identity=INVOKE_ANY, resource=RESOURCE_DENY)
    assert denied.evaluations["resource"][0].sid == "NoOne"


def test_accounts_from_arns_when_the_context_has_none() -> None:
    request = Request("execute-api:Invoke", FOREIGN_API, SESSION)
    assert not allowed(request, identity=NOTHING, resource=RESOURCE_ALLOW)
    same = Request("execute-api:Invoke", API, SESSION)
    assert allowed(same, identity=NOTHING, resource=RESOURCE_ALLOW)


def test_unknown_accounts_raise_only_when_they_matter() -> None:
    bucket = Request("s3:GetObject", "arn:aws:s3:::b/k", SESSION)  # an S3 ARN has no account
    s3_resource = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(PolicyError, match="same_account"):
        allowed(bucket, identity=INVOKE_ANY, resource=s3_resource)
    assert allowed(bucket, identity=NOTHING, resource=s3_resource, same_account=True)
    assert not allowed(bucket, identity=INVOKE_ANY, resource=s3_resource, same_account=False)


def test_nothing_to_combine_raises() -> None:
    with pytest.raises(PolicyError, match="at least one"):
        allowed(invoke())


def test_mixed_policy_lists_raise() -> None:
    with pytest.raises(PolicyError, match="one policy document"):
        allowed(invoke(), identity=[INVOKE_ANY, INVOKE_ANY["Statement"][0]])
    with pytest.raises(PolicyError, match="one policy document"):
        allowed(invoke(), identity=["not a policy"])
