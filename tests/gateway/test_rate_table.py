"""The shared rate-limit table: on-demand, encrypted with the gateway key, TTL on, named to the
relay; and the relay role's SYNTHESIZED policy, evaluated (shared_gateway.iampolicy): it may
UpdateItem on that table and nothing else in DynamoDB, and use the key only through DynamoDB
or Secrets Manager."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Request, evaluate, resolve_cfn
from shared_gateway.relay.shared_ratelimit import EXPIRES, PARTITION_KEY, TABLE_ENV

from .conftest import ACCOUNT, PSEUDO, REGION, Synthesized

pytestmark = pytest.mark.slow

TABLE_NAME = "slackgate-gateway-RateTable-ABC123"  # what CloudFormation would name it
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE_NAME}"
OTHER_TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/payments-ledger"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RELAY_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-gateway-RelayRole/relay"


def _table(gateway: Synthesized) -> tuple[str, dict[str, Any]]:
    return gateway.one("AWS::DynamoDB::Table")


def _relay_function(gateway: Synthesized) -> dict[str, Any]:
    (function,) = [
        f["Properties"]
        for f in gateway.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "relay.handler.handler"
    ]
    return function


def _refs(gateway: Synthesized) -> dict[str, str]:
    """The pseudo parameters, and a deployed value for every logical id and its .Arn."""
    table, _ = _table(gateway)
    (key,) = gateway.resources("AWS::KMS::Key")
    refs: dict[str, str] = {**PSEUDO}
    for logical_id in gateway.template["Resources"]:
        refs[logical_id] = f"deployed-{logical_id}"
        refs[f"{logical_id}.Arn"] = f"arn:aws:other:{REGION}:{ACCOUNT}:{logical_id}"
    refs.update({table: TABLE_NAME, f"{table}.Arn": TABLE_ARN, f"{key}.Arn": KEY_ARN})
    return refs


def _relay_policy(gateway: Synthesized) -> dict[str, Any]:
    """The relay role's one policy (test_relay_function.py asserts it is its only one)."""
    role_id = _relay_function(gateway)["Role"]["Fn::GetAtt"][0]
    role = gateway.template["Resources"][role_id]["Properties"]
    (policy_ref,) = role["ManagedPolicyArns"]
    policy = gateway.template["Resources"][policy_ref["Ref"]]["Properties"]["PolicyDocument"]
    return resolve_cfn(policy, _refs(gateway))


def test_table_is_on_demand_encrypted_with_the_gateway_key_and_expires_items(
    gateway: Synthesized,
) -> None:
    _, table = _table(gateway)
    props = table["Properties"]
    (key,) = gateway.resources("AWS::KMS::Key")
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}]
    assert props["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::GetAtt": [key, "Arn"]},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert props["TimeToLiveSpecification"] == {"AttributeName": EXPIRES, "Enabled": True}
    assert "TableName" not in props  # CloudFormation names it; the relay reads the name
    assert table["DeletionPolicy"] == "Delete"  # counts of the current minute only


def test_the_relay_is_told_the_table(gateway: Synthesized) -> None:
    table, _ = _table(gateway)
    environment = _relay_function(gateway)["Environment"]["Variables"]
    assert environment[TABLE_ENV] == {"Ref": table}


def _dynamodb(action: str, resource: str = TABLE_ARN) -> Request:
    return Request(f"dynamodb:{action}", resource, RELAY_SESSION)


def _decrypt(via: str) -> Request:
    return Request("kms:Decrypt", KEY_ARN, RELAY_SESSION, {"kms:ViaService": via})


REQUESTS = {
    "count a message on the rate table": (_dynamodb("UpdateItem"), True),
    "update an item of another table": (_dynamodb("UpdateItem", OTHER_TABLE_ARN), False),
    "scan the rate table": (_dynamodb("Scan"), False),
    "read an item of the rate table": (_dynamodb("GetItem"), False),
    "delete a count (reset a team's minute)": (_dynamodb("DeleteItem"), False),
    "put an item": (_dynamodb("PutItem"), False),
    "query the rate table": (_dynamodb("Query"), False),
    "batch write to the rate table": (_dynamodb("BatchWriteItem"), False),
    "change the table (e.g. turn TTL off)": (_dynamodb("UpdateTimeToLive"), False),
    "delete the table": (_dynamodb("DeleteTable"), False),
    "an index of the rate table": (_dynamodb("UpdateItem", f"{TABLE_ARN}/index/x"), False),
    "the gateway key through DynamoDB": (_decrypt(f"dynamodb.{REGION}.amazonaws.com"), True),
    "the gateway key through Secrets Manager": (
        _decrypt(f"secretsmanager.{REGION}.amazonaws.com"),
        True,
    ),
    "the gateway key directly": (
        Request("kms:Decrypt", KEY_ARN, RELAY_SESSION),
        False,
    ),
    "the gateway key through S3": (_decrypt(f"s3.{REGION}.amazonaws.com"), False),
    "the gateway key through another region's DynamoDB": (
        _decrypt("dynamodb.us-east-1.amazonaws.com"),
        False,
    ),
    "encrypt with the gateway key through DynamoDB": (
        Request(
            "kms:Encrypt",
            KEY_ARN,
            RELAY_SESSION,
            {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"},
        ),
        False,
    ),
}


@pytest.mark.parametrize(("case", "request_", "expected"), [(c, *v) for c, v in REQUESTS.items()])
def test_relay_role_decides_as_expected(
    gateway: Synthesized, case: str, request_: Request, expected: bool
) -> None:
    result = evaluate(_relay_policy(gateway), request_)
    assert result.allowed is expected, f"{case}: {result}"


def test_the_grant_is_the_one_dynamodb_statement(gateway: Synthesized) -> None:
    """The negative control for the table above: widening the grant is caught by it."""
    policy = _relay_policy(gateway)
    (grant,) = [s for s in policy["Statement"] if "dynamodb" in str(s["Action"])]
    widened = {**policy, "Statement": [*policy["Statement"], {**grant, "Action": "dynamodb:*"}]}
    assert evaluate(widened, _dynamodb("DeleteItem")).allowed
    assert not evaluate(policy, _dynamodb("DeleteItem")).allowed
