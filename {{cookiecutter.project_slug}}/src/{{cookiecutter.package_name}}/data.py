"""Reading the resources declared in infra/settings.py, and writing to the declared writes.

The stack hands the declarations to the function as JSON in ``SLACKGATE_READS`` and
``SLACKGATE_WRITES``, e.g. ``[{"kind": "s3", "bucket": "reports", "prefix": "daily/"}]``,
so no name is written twice. The role allows exactly these and nothing else: a call on
any other bucket, table, parameter or secret is denied.

boto3 comes with the Lambda runtime. Its calls go to the gateway's VPC endpoints; with no
endpoint for a service they fail within seconds (``CLIENT_CONFIG``) instead of waiting out
the function's timeout.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

READS_VARIABLE = "SLACKGATE_READS"
WRITES_VARIABLE = "SLACKGATE_WRITES"
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"max_attempts": 2, "mode": "standard"},
    # The regional S3 name, the one the gateway's DNS firewall allows, in us-east-1 too.
    s3={"us_east_1_regional_endpoint": "regional"},
)
MAX_OBJECTS = 1000  # listed under an S3 prefix
MAX_OBJECT_BYTES = 1024 * 1024  # read of the newest object
MAX_SCAN_PAGES = 10  # of a DynamoDB count (1 MB each)
MAX_VALUE_SHOWN = 80  # characters of a plain parameter's value

Resource = Mapping[str, str]
NOUNS = {"dynamodb": "Table", "secretsmanager": "Secret", "sqs": "Queue"}


class Line(NamedTuple):
    """One resource in the report: what it is, and what was found (or what went wrong)."""

    label: str
    detail: str
    ok: bool = True


def declared(variable: str) -> list[dict[str, str]]:
    text = os.environ.get(variable, "").strip()
    return json.loads(text) if text else []


def declared_reads() -> list[dict[str, str]]:
    return declared(READS_VARIABLE)


def declared_writes() -> list[dict[str, str]]:
    return declared(WRITES_VARIABLE)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=CLIENT_CONFIG)


def label(resource: Resource) -> str:
    kind = resource["kind"]
    if kind == "s3":
        return f"S3 `{resource['bucket']}/{resource.get('prefix', '')}`"
    if kind == "ssm":
        return f"Parameter `{resource.get('name') or resource['path']}`"
    name = resource.get("table") or resource.get("secret") or resource.get("queue")
    return f"{NOUNS[kind]} `{name}`"


# --- reads: one summary per resource -------------------------------------------------------


def counted(number: int, noun: str, *, more: bool = False) -> str:
    return f"{number:,}{'+' if more else ''} {noun}{'' if number == 1 else 's'}"


def _s3(resource: Resource) -> str:
    bucket, prefix, s3 = resource["bucket"], resource.get("prefix", ""), client("s3")
    listing = s3.get_paginator("list_objects_v2")
    pages = listing.paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"MaxItems": MAX_OBJECTS}
    )
    objects = [item for page in pages for item in page.get("Contents", [])]
    if not objects:
        return "no objects yet"
    # The key breaks ties: objects written in the same second, named by date.
    newest = max(objects, key=lambda item: (item["LastModified"], item["Key"]))
    read = f"bytes=0-{MAX_OBJECT_BYTES - 1}"
    body = s3.get_object(Bucket=bucket, Key=newest["Key"], Range=read)["Body"].read()
    objects_found = counted(len(objects), "object", more=len(objects) >= MAX_OBJECTS)
    size = counted(sum(item["Size"] for item in objects), "byte")
    lines = counted(len(body.splitlines()), "line")
    return (
        f"{objects_found}, {size}; newest `{newest['Key']}` "
        f"({lines}, {newest['LastModified']:%Y-%m-%d %H:%M} UTC)"
    )


def _dynamodb(resource: Resource) -> str:
    count, start, pages = 0, None, 0
    while pages < MAX_SCAN_PAGES:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = client("dynamodb").scan(TableName=resource["table"], Select="COUNT", **extra)
        count, start, pages = count + page["Count"], page.get("LastEvaluatedKey"), pages + 1
        if not start:
            return counted(count, "item")
    return f"more than {counted(count, 'item')}"


def _ssm(resource: Resource) -> str:
    ssm = client("ssm")
    if "path" in resource:
        listing = ssm.get_paginator("get_parameters_by_path")
        # The policy grants the path as written, without its trailing "/".
        pages = listing.paginate(Path=resource["path"].rstrip("/"), Recursive=True)
        return counted(sum(len(page["Parameters"]) for page in pages), "parameter")
    parameter = ssm.get_parameter(Name=resource["name"], WithDecryption=True)["Parameter"]
    if parameter["Type"] == "SecureString":
        # Never post a secret: the relay would refuse it anyway.
        return f"a SecureString (not shown), version {parameter['Version']}"
    value = parameter["Value"]
    shown = value if len(value) <= MAX_VALUE_SHOWN else value[:MAX_VALUE_SHOWN] + "…"
    return f"`{shown}` (version {parameter['Version']})"


def _secretsmanager(resource: Resource) -> str:
    # get_secret_value(SecretId=...)["SecretString"] gives the value; never post it.
    secret = client("secretsmanager").describe_secret(SecretId=resource["secret"])
    changed = secret.get("LastChangedDate") or secret.get("CreatedDate")
    return f"readable, last changed {changed:%Y-%m-%d}" if changed else "readable"


SUMMARIES: dict[str, Callable[[Resource], str]] = {
    "s3": _s3,
    "dynamodb": _dynamodb,
    "ssm": _ssm,
    "secretsmanager": _secretsmanager,
}


def _guarded(resource: Resource, call: Callable[[], str]) -> Line:
    """Runs one AWS call; a failure becomes a line of the report rather than an exception."""
    try:
        return Line(label(resource), call())
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        logger.error("%s failed: %s", label(resource), error)
        return Line(label(resource), f"could not be used ({code})", ok=False)
    except BotoCoreError as error:
        logger.error("%s failed: %s", label(resource), error)
        hint = f"does the gateway offer {resource['kind']}?"
        return Line(label(resource), f"not reachable ({type(error).__name__}; {hint})", ok=False)


def summarise(resource: Resource) -> Line:
    return _guarded(resource, lambda: SUMMARIES[resource["kind"]](resource))


# --- writes: the summary, kept where the team declared it may write --------------------------


def save(summary: Mapping[str, Any], day: datetime, writes: Sequence[Resource]) -> list[Line]:
    """Puts the summary to each declared S3 prefix and SQS queue.

    A DynamoDB table needs your own key schema: put it there yourself, e.g.
    ``client("dynamodb").put_item(TableName=..., Item={"pk": {"S": ...}, ...})``.
    """
    body = json.dumps(summary, ensure_ascii=False, default=str)
    saved = []
    for resource in writes:
        if resource["kind"] == "s3":
            key = f"{resource.get('prefix', '')}{day:%Y-%m-%d}.json"

            def put(bucket: str = resource["bucket"], key: str = key) -> str:
                client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))
                return f"saved as `{key}`"

            saved.append(_guarded(resource, put))
        elif resource["kind"] == "sqs":

            def send(name: str = resource["queue"]) -> str:
                url = client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
                client("sqs").send_message(QueueUrl=url, MessageBody=body)
                return "sent"

            saved.append(_guarded(resource, send))
    return saved
