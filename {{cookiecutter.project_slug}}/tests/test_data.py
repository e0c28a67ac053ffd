"""Reading the declared resources and writing to the declared writes, against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from {{ cookiecutter.package_name }} import data

DAY = datetime(2026, 1, 31, 6, 0, tzinfo=UTC)


def test_nothing_declared_means_nothing_to_read(aws_env) -> None:
    assert data.declared_reads() == [] and data.declared_writes() == []


def test_each_declared_resource_is_read(stores) -> None:
    s3, table, parameter, hierarchy, secret = (data.summarise(r) for r in stores.reads)

    assert s3.label == f"S3 `{stores.bucket}/daily/`"
    # Only the objects under the declared prefix; the newest one is read.
    assert s3.detail.startswith("2 objects, ")
    assert "newest `daily/2026-01-31.csv` (3 lines" in s3.detail
    assert (table.label, table.detail) == ("Table `example-settlements`", "3 items")
    assert parameter.detail == "`1000` (version 1)"
    assert hierarchy.detail == "3 parameters"  # recursive: config/nested/c too
    assert secret.detail.startswith("readable, last changed ")
    assert "not for Slack" not in secret.detail
    assert all(line.ok for line in (s3, table, parameter, hierarchy, secret))


def test_a_secure_string_is_read_but_never_shown(stores) -> None:
    boto3.client("ssm").put_parameter(Name="/example/token", Value="s3cr3t", Type="SecureString")
    line = data.summarise({"kind": "ssm", "name": "/example/token"})
    assert line.ok and "s3cr3t" not in line.detail and "SecureString" in line.detail


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ({"kind": "s3", "bucket": "no-such-bucket", "prefix": ""}, "NoSuchBucket"),
        ({"kind": "dynamodb", "table": "no-such-table"}, "ResourceNotFoundException"),
        ({"kind": "ssm", "name": "/example/missing"}, "ParameterNotFound"),
        ({"kind": "secretsmanager", "secret": "example/missing"}, "ResourceNotFoundException"),
    ],
    ids=["s3", "dynamodb", "ssm", "secretsmanager"],
)
def test_a_failed_read_is_a_line_of_the_report(aws, resource, code) -> None:
    line = data.summarise(resource)
    assert not line.ok
    assert line.detail == f"could not be used ({code})"


def test_the_summary_is_kept_where_writes_are_declared(stores) -> None:
    saved = data.save({"day": "2026-01-31", "total": 3}, DAY, stores.writes)

    assert [line.detail for line in saved] == ["saved as `summaries/2026-01-31.json`", "sent"]
    stored = boto3.client("s3").get_object(Bucket=stores.bucket, Key="summaries/2026-01-31.json")
    assert json.loads(stored["Body"].read()) == {"day": "2026-01-31", "total": 3}
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="example-summaries")["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["total"] == 3
