"""Statements: Effect, Action/NotAction, Resource/NotResource, precedence and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Decision, Evaluation, PolicyError, Request, evaluate

ALLOW, DENY, IMPLICIT = Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY
BUCKET = "arn:aws:s3:::reports"


def statement(effect: str = "Allow", **elements: Any) -> dict[str, Any]:
    return {"Effect": effect, **elements}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def decision(document: Any, action: str, resource: str = "*", **context: Any) -> Decision:
    return evaluate(document, Request(action, resource, context=context)).decision


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", ALLOW),
        ("s3:GetObject", "S3:getobject", ALLOW),  # service and action are case-insensitive
        ("S3:GETOBJECT", "s3:GetObject", ALLOW),
        ("s3:Get*", "s3:GetObjectTagging", ALLOW),
        ("s3:Get*", "s3:PutObject", IMPLICIT),
        ("s3:?etObject", "s3:GetObject", ALLOW),
        ("s3:?etObject", "s3:GGetObject", IMPLICIT),
        ("s3:*", "s3:PutObject", ALLOW),
        ("s3:*", "s3express:CreateSession", IMPLICIT),
        ("s3*:*", "s3express:CreateSession", ALLOW),
        ("*", "kms:Decrypt", ALLOW),
        ("*:Get*", "ssm:GetParameter", ALLOW),
    ],
)
def test_action_wildcards(pattern: str, action: str, expected: Decision) -> None:
    assert decision(policy(statement(Action=pattern, Resource="*")), action) is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        (f"{BUCKET}/*", f"{BUCKET}/daily/a.csv", ALLOW),
        (f"{BUCKET}/*", BUCKET, IMPLICIT),
        (f"{BUCKET}/daily/*", f"{BUCKET}/Daily/a.csv", IMPLICIT),  # resources are case-sensitive
        (f"{BUCKET}/daily/?.csv", f"{BUCKET}/daily/a.csv", ALLOW),
        (f"{BUCKET}/daily/?.csv", f"{BUCKET}/daily/ab.csv", IMPLICIT),
        ("arn:aws:s3:::*", f"{BUCKET}/x", ALLOW),
        ("*", f"{BUCKET}/x", ALLOW),
        ([BUCKET, f"{BUCKET}/*"], BUCKET, ALLOW),
        (f"{BUCKET}/${{aws:PrincipalAccount}}/*", f"{BUCKET}/111122223333/x", ALLOW),
        (f"{BUCKET}/${{aws:PrincipalAccount}}/*", f"{BUCKET}/444455556666/x", IMPLICIT),
        (f"{BUCKET}/${{aws:username}}/*", f"{BUCKET}/111122223333/x", IMPLICIT),  # no value
        (f"{BUCKET}/${{*}}", f"{BUCKET}/*", ALLOW),
        (f"{BUCKET}/${{*}}", f"{BUCKET}/x", IMPLICIT),
    ],
)
def test_resource_wildcards_and_variables(pattern: Any, resource: str, expected: Decision) -> None:
    document = policy(statement(Action="s3:GetObject", Resource=pattern))
    got = decision(document, "s3:GetObject", resource, **{"aws:PrincipalAccount": "111122223333"})
    assert got is expected


def test_not_action_matches_every_other_action() -> None:
    # IAM User Guide, NotAction example: allow everything except IAM.
    document = policy(statement(NotAction="iam:*", Resource="*"))
    assert decision(document, "s3:GetObject") is ALLOW
    assert decision(document, "IAM:CreateUser") is IMPLICIT


def test_not_resource_matches_every_other_resource() -> None:
    # IAM User Guide, NotResource example: deny everything outside one bucket.
    document = policy(
        statement(Action="s3:*", Resource="*"),
        statement("Deny", Action="s3:*", NotResource=[BUCKET, f"{BUCKET}/*"]),
    )
    assert decision(document, "s3:GetObject", f"{BUCKET}/a") is ALLOW
    assert decision(document, "s3:GetObject", "arn:aws:s3:::other/a") is DENY


def test_explicit_deny_wins_whatever_the_order() -> None:
    allow = statement(Sid="Read", Action="s3:*", Resource="*")
    deny = statement("Deny", Sid="NoDelete", Action="s3:Delete*", Resource="*")
    for document in (policy(allow, deny), policy(deny, allow)):
        result = evaluate(document, Request("s3:DeleteObject", f"{BUCKET}/a"))
        assert result == Evaluation(DENY, "NoDelete", document["Statement"].index(deny))
        assert not result.allowed
    assert evaluate(policy(allow, deny), Request("s3:GetObject", "x")).sid == "Read"


def test_the_first_matching_statement_is_named() -> None:
    document = policy(
        statement(Action="kms:*", Resource="*"),
        statement(Action="s3:*", Resource="*"),  # no Sid
        statement(Sid="Again", Action="s3:Get*", Resource="*"),
    )
    result = evaluate(document, Request("s3:GetObject", "x"))
    assert (result.decision, result.sid, result.index) == (ALLOW, None, 1)
    assert result.allowed
    assert str(result) == "allow by statement 1 (Sid None)"
    implicit = evaluate(document, Request("ec2:RunInstances", "x"))
    assert implicit == Evaluation(IMPLICIT) and str(implicit) == "implicit deny"


def test_a_single_statement_object_and_a_bare_statement_list() -> None:
    single = {"Version": "2012-10-17", "Statement": statement(Action="s3:*", Resource="*")}
    assert decision(single, "s3:GetObject") is ALLOW
    assert decision([statement(Action="s3:*", Resource="*")], "s3:GetObject") is ALLOW


def test_aws_example_mfa_deny_with_bool_if_exists() -> None:
    # IAM User Guide, "Condition operators", ...IfExists: deny when MFA is absent or false.
    document = policy(
        statement(Action="ec2:*", Resource="*"),
        statement(
            "Deny",
            Action="ec2:StopInstances",
            Resource="*",
            Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        ),
    )
    assert decision(document, "ec2:StopInstances") is DENY
    assert decision(document, "ec2:StopInstances", **{"aws:MultiFactorAuthPresent": False}) is DENY
    assert decision(document, "ec2:StopInstances", **{"aws:MultiFactorAuthPresent": True}) is ALLOW


def test_aws_example_list_bucket_prefix() -> None:
    # IAM User Guide, "IAM policy elements: Variables and tags", introduction example.
    document = policy(
        statement(
            Action=["s3:ListBucket"],
            Resource=["arn:aws:s3:::amzn-s3-demo-bucket"],
            Condition={"StringLike": {"s3:prefix": ["marketing/*"]}},
        ),
        statement(
            Action=["s3:GetObject", "s3:PutObject"],
            Resource=["arn:aws:s3:::amzn-s3-demo-bucket/marketing/*"],
        ),
    )
    bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
    assert decision(document, "s3:ListBucket", bucket, **{"s3:prefix": "marketing/q1"}) is ALLOW
    assert decision(document, "s3:ListBucket", bucket, **{"s3:prefix": "finance/"}) is IMPLICIT
    assert decision(document, "s3:ListBucket", bucket) is IMPLICIT
    assert decision(document, "s3:PutObject", f"{bucket}/marketing/a") is ALLOW
    assert decision(document, "s3:PutObject", f"{bucket}/finance/a") is IMPLICIT


def test_aws_example_home_folder_with_username_variable() -> None:
    # IAM User Guide, "Variables and tags": each user reads only home/${aws:username}/.
    document = policy(
        statement(
            Action="s3:GetObject",
            Resource="arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*",
        )
    )
    own = "arn:aws:s3:::amzn-s3-demo-bucket/home/ana/notes.txt"
    other = "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt"
    assert decision(document, "s3:GetObject", own, **{"aws:username": "ana"}) is ALLOW
    assert decision(document, "s3:GetObject", other, **{"aws:username": "ana"}) is IMPLICIT
    assert decision(document, "s3:GetObject", own) is IMPLICIT  # a role has no aws:username


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (policy(statement("Permit", Action="*", Resource="*")), "Effect must be Allow or Deny"),
        (policy(statement(Action="*")), "needs Resource or NotResource"),
        (policy(statement(Resource="*")), "exactly one of Action or NotAction"),
        (policy(statement(Action="*", NotAction="s3:*", Resource="*")), "exactly one of Action"),
        (policy(statement(Action="*", Resource="*", NotResource="x")), "exactly one of Resource"),
        (policy(statement(Action="GetObject", Resource="*")), "service:name"),
        (policy(statement(Action=[], Resource="*")), "empty list"),
        (policy(statement(Action="*", Resource="*", Principal="*")), "principal_required=True"),
        (policy(statement(Action="*", Resource="*", Extra=1)), "unsupported element"),
        ({"Version": "2012-10-17", "Statement": [], "Extra": 1}, "unsupported element"),
        ({"Version": "2012-10-17", "Statement": []}, "Statement is empty"),
        ({"Version": "2012-10-17"}, "no Statement"),
        ({"Version": "2020-01-01", "Statement": []}, "unknown Version"),
        (policy("not a statement"), "must be an object"),  # type: ignore[arg-type]
        ("not a policy", "document or a list"),
    ],
)
def test_malformed_or_unsupported_policies_raise(document: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        evaluate(document, Request("s3:GetObject", "x"))


def test_errors_in_a_later_statement_are_not_hidden_by_an_earlier_deny() -> None:
    document = policy(
        statement("Deny", Action="*", Resource="*"),
        statement(Action="*", Resource="*", Condition={"DateLessThan": {"aws:CurrentTime": "x"}}),
    )
    with pytest.raises(PolicyError, match="DateLessThan"):
        evaluate(document, Request("s3:GetObject", "x"))


def test_request_action_must_name_a_service() -> None:
    with pytest.raises(PolicyError, match="request action"):
        evaluate(policy(statement(Action="*", Resource="*")), Request("GetObject", "x"))
