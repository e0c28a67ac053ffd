"""Principal and NotPrincipal in resource-based and endpoint policies."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Decision, PolicyError, Request, evaluate

ACCOUNT, OTHER = "111122223333", "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/slackgate-payments-alerts"
PATH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/teams/slackgate-payments-alerts"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-payments-alerts/slackgate-payments-alerts"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/other"
USER = f"arn:aws:iam::{ACCOUNT}:user/ana"
FOREIGN_SESSION = f"arn:aws:sts::{OTHER}:assumed-role/slackgate-payments-alerts/s"


def matches(principal: Any, caller: str, *, negated: bool = False) -> bool:
    """Whether a Deny statement with this Principal (or NotPrincipal) applies to the caller."""
    key = "NotPrincipal" if negated else "Principal"
    document = [{"Effect": "Deny", key: principal, "Action": "*", "Resource": "*"}]
    result = evaluate(document, Request("execute-api:Invoke", "*", caller), principal_required=True)
    return result.decision is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("principal", "caller", "expected"),
    [
        ("*", SESSION, True),
        ("*", "", True),  # everyone, anonymous callers included
        ({"AWS": "*"}, SESSION, True),
        ({"AWS": "*"}, "lambda.amazonaws.com", True),  # documented as the same as "*"
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, SESSION, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ROLE, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, USER, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, f"arn:aws:iam::{ACCOUNT}:root", True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, FOREIGN_SESSION, False),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "lambda.amazonaws.com", False),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "", False),
        ({"AWS": ACCOUNT}, SESSION, True),  # a bare account id is the account
        ({"AWS": [OTHER, ACCOUNT]}, SESSION, True),
        ({"AWS": OTHER}, SESSION, False),
        ({"AWS": ROLE}, ROLE, True),
        ({"AWS": ROLE}, SESSION, True),  # a role covers its sessions
        ({"AWS": PATH_ROLE}, SESSION, True),  # a session ARN carries no role path
        ({"AWS": ROLE}, FOREIGN_SESSION, False),
        ({"AWS": OTHER_ROLE}, SESSION, False),
        ({"AWS": SESSION}, SESSION, True),
        ({"AWS": SESSION}, ROLE, False),
        ({"AWS": f"{SESSION[:-1]}x"}, SESSION, False),
        ({"AWS": USER}, USER, True),
        ({"AWS": USER}, f"arn:aws:iam::{ACCOUNT}:user/bob", False),
        ({"Service": "lambda.amazonaws.com"}, "lambda.amazonaws.com", True),
        ({"Service": ["s3.amazonaws.com", "lambda.amazonaws.com"]}, "lambda.amazonaws.com", True),
        ({"Service": "lambda.amazonaws.com"}, "apigateway.amazonaws.com", False),
        ({"Service": "lambda.amazonaws.com"}, ROLE, False),
        ({"AWS": ROLE, "Service": "lambda.amazonaws.com"}, "lambda.amazonaws.com", True),
    ],
)
def test_principal(principal: Any, caller: str, expected: bool) -> None:
    assert matches(principal, caller) is expected


@pytest.mark.parametrize(
    ("principal", "caller", "exempt"),
    [
        # IAM User Guide, NotPrincipal: list the account too, or the whole account is denied.
        ({"AWS": [ROLE, f"arn:aws:iam::{ACCOUNT}:root"]}, ROLE, True),
        ({"AWS": ROLE}, ROLE, False),
        ({"AWS": [ROLE, ACCOUNT]}, SESSION, False),  # the session itself is not listed
        ({"AWS": [ROLE, ACCOUNT, SESSION]}, SESSION, True),
        ({"AWS": ACCOUNT}, f"arn:aws:iam::{ACCOUNT}:root", True),
        ({"AWS": [ROLE, ACCOUNT]}, OTHER_ROLE, False),
        ({"AWS": [USER, ACCOUNT]}, USER, True),
        ({"Service": "lambda.amazonaws.com"}, "lambda.amazonaws.com", True),
        ({"Service": "lambda.amazonaws.com"}, "s3.amazonaws.com", False),
        ("*", SESSION, True),
        ({"AWS": ACCOUNT}, "", False),  # an anonymous caller is never exempt
    ],
)
def test_not_principal(principal: Any, caller: str, exempt: bool) -> None:
    assert matches(principal, caller, negated=True) is (not exempt)


def test_resource_policy_allow_for_one_role() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Relay", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "*"},
        ],
    }
    request = Request("execute-api:Invoke", "arn:aws:execute-api:eu-west-1:1:a/*", SESSION)
    result = evaluate(document, request, principal_required=True)
    assert (result.decision, result.sid) == (Decision.ALLOW, "Relay")
    stranger = Request("execute-api:Invoke", "x", OTHER_ROLE)
    assert evaluate(document, stranger, principal_required=True).decision is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "Principal or NotPrincipal"),
        (
            {"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "*"},
            "Principal or NotPrincipal",
        ),
        ({"Effect": "Allow", "NotPrincipal": {"AWS": ROLE}, "Action": "*"}, "only with Effect"),
        ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "*"}, "wildc"),
        ({"Effect": "Allow", "Principal": {"Service": "*.amazonaws.com"}, "Action": "*"}, "wildc"),
        ({"Effect": "Allow", "Principal": {"AWS": "AROAEXAMPLEID"}, "Action": "*"}, "account id"),
        ({"Effect": "Allow", "Principal": {"AWS": {"Ref": "Role"}}, "Action": "*"}, "string"),
        ({"Effect": "Allow", "Principal": {"Federated": "cognito"}, "Action": "*"}, "Federated"),
        ({"Effect": "Allow", "Principal": {}, "Action": "*"}, "expected"),
        ({"Effect": "Allow", "Principal": "someone", "Action": "*"}, "expected"),
    ],
)
def test_malformed_principals_raise(statement: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        evaluate([statement], Request("s3:GetObject", "x", ROLE), principal_required=True)
