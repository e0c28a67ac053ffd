"""resolve_cfn: the intrinsics CDK writes into synthesized policies."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import CfnError, Request, allowed, resolve_cfn

REFS = {
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "111122223333",
    "AWS::URLSuffix": "amazonaws.com",
    "RelayApi": "abc123",
    "RelayRole.Arn": "arn:aws:iam::111122223333:role/relay",
    "Bucket.Arn": "arn:aws:s3:::reports",
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "AWS::AccountId"}, "111122223333"),
        ({"Fn::GetAtt": ["RelayRole", "Arn"]}, "arn:aws:iam::111122223333:role/relay"),
        ({"Fn::GetAtt": "RelayRole.Arn"}, "arn:aws:iam::111122223333:role/relay"),
        (
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":execute-api:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        ":",
                        {"Ref": "RelayApi"},
                        "/*",
                    ],
                ]
            },
            "arn:aws:execute-api:eu-west-1:111122223333:abc123/*",
        ),
        (
            {"Fn::Sub": "https://${RelayApi}.execute-api.${AWS::URLSuffix}"},
            "https://abc123.execute-api.amazonaws.com",
        ),
        ({"Fn::Sub": "${Bucket.Arn}/*"}, "arn:aws:s3:::reports/*"),
        (
            {"Fn::Sub": ["${Name}-${AWS::Region}", {"Name": {"Ref": "RelayApi"}}]},
            "abc123-eu-west-1",
        ),
        ({"Fn::Sub": "${!aws:PrincipalAccount}"}, "${aws:PrincipalAccount}"),  # ${!x} is literal
        ({"Fn::Select": [1, ["a", "b", "c"]]}, "b"),
        ({"Fn::Select": ["0", {"Fn::Split": ["/", "x/y"]}]}, "x"),
        (
            {"Fn::Split": [":", {"Fn::GetAtt": ["RelayRole", "Arn"]}]},
            ["arn", "aws", "iam", "", "111122223333", "role/relay"],
        ),
        (
            {"Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}, "*"], "Sid": "S"},
            {"Resource": ["arn:aws:s3:::reports", "*"], "Sid": "S"},
        ),
        ({"StringEquals": {"aws:x": {"Ref": "RelayApi"}}}, {"StringEquals": {"aws:x": "abc123"}}),
        ("plain", "plain"),
        (3, 3),
    ],
)
def test_resolves(value: Any, expected: Any) -> None:
    assert resolve_cfn(value, REFS) == expected


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ({"Ref": "Missing"}, "Missing"),
        ({"Fn::GetAtt": ["Missing", "Arn"]}, "Missing.Arn"),
        ({"Fn::Sub": "${Missing}"}, "Missing"),
        ({"Fn::Join": ["", [{"Ref": "AWS::StackName"}]]}, "AWS::StackName"),
    ],
)
def test_unknown_references_raise_key_error_naming_them(value: Any, name: str) -> None:
    with pytest.raises(KeyError, match=name):
        resolve_cfn(value, REFS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::If": ["C", "a", "b"]}, "unsupported intrinsic Fn::If"),
        ({"Fn::ImportValue": "x"}, "unsupported intrinsic"),
        ({"Condition": "IsProd"}, "unsupported intrinsic"),
        ({"Fn::Join": ["", "notalist"]}, "list of strings"),
        ({"Fn::Join": [",", [1]]}, "list of strings"),
        ({"Fn::Join": "x"}, "Fn::Join takes"),
        ({"Fn::GetAtt": ["OnlyOne"]}, "Fn::GetAtt takes"),
        ({"Fn::Select": [5, ["a"]]}, "outside"),
        ({"Fn::Select": ["x", ["a"]]}, "not a number"),
        ({"Fn::Split": ["", "a"]}, "delimiter"),
        ({"Fn::Sub": 3}, "Fn::Sub takes a string"),
        ({"Fn::Sub": ["${X}", {"X": ["a"]}]}, "not a string"),
        ({"Ref": ["x"]}, "logical id"),
    ],
)
def test_unsupported_or_malformed_intrinsics_raise(value: Any, message: str) -> None:
    with pytest.raises(CfnError, match=message):
        resolve_cfn(value, REFS)


def test_a_synthesized_statement_can_be_evaluated_once_resolved() -> None:
    synthesized = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":execute-api:*:*:",
                            {"Ref": "RelayApi"},
                            "/*",
                        ],
                    ]
                },
            }
        ],
    }
    policy = resolve_cfn(synthesized, REFS)
    ours = Request(
        "execute-api:Invoke", "arn:aws:execute-api:eu-west-1:111122223333:abc123/p/POST/"
    )
    theirs = Request("execute-api:Invoke", "arn:aws:execute-api:eu-west-1:444455556666:zzz/p/POST/")
    assert allowed(ours, identity=policy)
    assert not allowed(theirs, identity=policy)
