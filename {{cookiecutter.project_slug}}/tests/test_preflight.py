"""`make deploy` first checks that the gateway offers the services the function uses (moto)."""

from __future__ import annotations

import dataclasses

import boto3
import pytest

from infra.settings import SETTINGS
from scripts import preflight

SERVICES = f"{SETTINGS.ssm_prefix}/network/services"
READS_DYNAMODB = dataclasses.replace(
    SETTINGS, reads=("s3://example-reports/daily/", "dynamodb:example-settlements"), writes=()
)


def publish(services: str) -> None:
    boto3.client("ssm").put_parameter(Name=SERVICES, Value=services, Type="StringList")


def test_with_nothing_declared_nothing_is_asked(capsys) -> None:
    nothing = dataclasses.replace(SETTINGS, reads=(), writes=())
    # No AWS here at all: a call would fail for want of credentials and moto.
    assert preflight.main(nothing) == 0
    assert "nothing to check" in capsys.readouterr().out


def test_passes_when_the_gateway_offers_every_service(aws, capsys) -> None:
    publish("execute-api,logs,s3,dynamodb")
    assert preflight.main(READS_DYNAMODB) == 0
    assert "the gateway offers dynamodb, s3" in capsys.readouterr().out


def test_fails_naming_the_missing_service_and_who_adds_it(aws, capsys) -> None:
    publish("execute-api,logs,s3")
    assert preflight.main(READS_DYNAMODB) == 1
    err = capsys.readouterr().err
    assert (
        "this function reads DynamoDB but the gateway does not offer dynamodb: ask the "
        "platform team to add it to slackgate:services"
    ) in err
    assert err.count("does not offer") == 1  # S3 is offered: not reported


def test_reads_and_writes_are_both_named(aws) -> None:
    publish("execute-api,logs")
    both = dataclasses.replace(
        SETTINGS, reads=("s3://example-reports/daily/",), writes=("s3://example-reports/out/",)
    )
    assert preflight.check(both, boto3.client("ssm")) == [
        "this function reads and writes to S3 but the gateway does not offer s3: ask the "
        "platform team to add it to slackgate:services"
    ]


def test_an_older_gateway_without_the_parameter_is_explained(aws, capsys) -> None:
    assert preflight.main(READS_DYNAMODB) == 1
    err = capsys.readouterr().err
    assert f"the gateway publishes no {SERVICES}" in err and "dynamodb, s3" in err


@pytest.mark.parametrize("services", ["s3, dynamodb ", "dynamodb,s3,sqs"])
def test_the_list_is_read_as_the_gateway_writes_it(aws, services) -> None:
    publish(services)
    assert preflight.check(READS_DYNAMODB, boto3.client("ssm")) == []
