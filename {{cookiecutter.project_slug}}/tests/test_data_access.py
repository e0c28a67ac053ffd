"""The role may use exactly the resources declared in infra/settings.py, and the function is
told their names: checked on the synthesized template and on the parser."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from infra import grants
from infra.resources import DeclarationError, parse_declarations
from infra.settings import SETTINGS

# Stand-ins for the deploying account, put in place of CloudFormation's pseudo parameters.
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": SETTINGS.aws_region, "AWS::AccountId": "1" * 12}
DATA_ACTIONS = {
    *grants.S3_READ,
    *grants.S3_LIST,
    *grants.S3_WRITE,
    *grants.DYNAMODB_READ,
    *grants.DYNAMODB_WRITE,
    *grants.PARAMETER_READ,
    *grants.PARAMETER_PATH_READ,
    *grants.SECRET_READ,
    *grants.QUEUE_WRITE,
}


def resolve(value: Any) -> Any:
    """The pseudo parameters and Fn::Join the data policies use, resolved."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return PSEUDO[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(part) for part in parts)
    if isinstance(value, list):
        return [resolve(item) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item) for key, item in value.items()}
    return value


def expected_arns(writes: bool) -> set[str]:
    """The ARNs the declarations should grant, spelled out independently of infra/grants.py."""
    account, region = PSEUDO["AWS::AccountId"], PSEUDO["AWS::Region"]
    access = SETTINGS.data_access
    arns: set[str] = set()
    for resource in access.writes if writes else access.reads:
        name, prefix = resource.name, resource.prefix
        if resource.kind == "s3":
            arns.add(f"arn:aws:s3:::{name}/{prefix}*")
            if not writes:
                arns.add(f"arn:aws:s3:::{name}")  # listing it
        elif resource.kind == "dynamodb":
            arns.add(f"arn:aws:dynamodb:{region}:{account}:table/{name}")
            if not writes:
                arns.add(f"arn:aws:dynamodb:{region}:{account}:table/{name}/index/*")
        elif resource.kind == "ssm" and name.endswith("/"):
            arns.add(f"arn:aws:ssm:{region}:{account}:parameter{name.rstrip('/')}")
            arns.add(f"arn:aws:ssm:{region}:{account}:parameter{name}*")
        elif resource.kind == "ssm":
            arns.add(f"arn:aws:ssm:{region}:{account}:parameter{name}")
        elif resource.kind == "secretsmanager":
            arns.add(f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-??????")
        else:
            arns.add(f"arn:aws:sqs:{region}:{account}:{name}")
    return arns


WRITE_ACTIONS = {*grants.S3_WRITE, *grants.DYNAMODB_WRITE, *grants.QUEUE_WRITE}


def data_statements(synthesis) -> list[dict[str, Any]]:
    return [
        resolve(statement)
        for logical_id, policy in synthesis.resources("AWS::IAM::ManagedPolicy").items()
        if logical_id.startswith("DataAccessPolicy")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_role_grants_exactly_the_declared_resources(synthesis) -> None:
    granted: dict[bool, set[str]] = {False: set(), True: set()}
    for statement in data_statements(synthesis):
        assert statement["Effect"] == "Allow"
        actions = set(as_list(statement["Action"]))
        assert actions <= DATA_ACTIONS
        writes = actions <= WRITE_ACTIONS
        assert writes or not actions & WRITE_ACTIONS  # no statement mixes reads and writes
        granted[writes] |= set(as_list(statement["Resource"]))
    assert granted[False] == expected_arns(writes=False)
    assert granted[True] == expected_arns(writes=True)


def test_every_s3_grant_is_limited_to_this_account(synthesis) -> None:
    for statement in data_statements(synthesis):
        if any(action.startswith("s3:") for action in as_list(statement["Action"])):
            condition = statement["Condition"]["StringEquals"]
            assert condition == {"aws:ResourceAccount": PSEUDO["AWS::AccountId"]}


def test_listing_a_bucket_is_limited_to_the_declared_prefixes(synthesis) -> None:
    declared: dict[str, set[str]] = {}
    for resource in SETTINGS.data_access.reads:
        if resource.kind == "s3":
            declared.setdefault(resource.name, set()).add(resource.prefix)
    listed = [s for s in data_statements(synthesis) if s["Action"] == "s3:ListBucket"]
    assert len(listed) == len(declared)
    for statement in listed:
        bucket = statement["Resource"].removeprefix("arn:aws:s3:::")
        prefixes = declared[bucket]
        if "" in prefixes:
            assert "StringLike" not in statement["Condition"]
        else:
            assert set(as_list(statement["Condition"]["StringLike"]["s3:prefix"])) == {
                f"{prefix}*" for prefix in prefixes
            }


def test_the_function_is_told_what_it_may_use(synthesis) -> None:
    variables = synthesis.only("AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    access = SETTINGS.data_access
    assert json.loads(variables.get("SLACKGATE_READS", "[]")) == [
        r.as_environment() for r in access.reads
    ]
    assert json.loads(variables.get("SLACKGATE_WRITES", "[]")) == [
        r.as_environment() for r in access.writes
    ]


def test_nothing_declared_means_no_data_policy_at_all() -> None:
    nothing = dataclasses.replace(SETTINGS, reads=(), writes=())
    assert not nothing.data_access
    assert grants.statements(nothing.data_access, grants.Arns("aws", "r", "a")) == []


@pytest.mark.parametrize(
    ("reads", "writes", "message"),
    [
        (("s3://Reports",), (), "is not an S3 bucket name"),
        (("s3://reports/daily",), (), "must end with '/'"),
        (("s3://reports/da*ly/",), (), "no wildcards"),
        (("ssm:payments/x",), (), "starting with '/'"),
        ((), ("secretsmanager:payments/db",), "read-only"),
        (("arn:aws:s3:::reports",), (), "not an ARN"),
    ],
)
def test_a_wrong_declaration_stops_with_its_fix(reads, writes, message) -> None:
    with pytest.raises(DeclarationError) as raised:
        dataclasses.replace(SETTINGS, reads=reads, writes=writes)
    assert message in str(raised.value) and "fix:" in str(raised.value)
    with pytest.raises(DeclarationError):
        parse_declarations(reads, writes)
