"""Which AWS services a confined team function may reach, and why each one is safe.

A service is offered only when everything it can do with data keeps that data inside the
perimeter: our principals, acting on our resources, in our account (or organisation). An
endpoint policy enforces that for every request (`policy.py`), and the actions with which
a service itself would carry data out of the perimeter (a bucket policy that makes objects
public, a KMS grant to a foreign principal, an export of a table to another account's
bucket, ...) are denied at the endpoint even on our own resources.

Services whose purpose is to send data somewhere else are refused outright, with the reason.
This module is pure data: the gateway's CDK code, the audit and the tests all read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

GATEWAY: Literal["gateway"] = "gateway"
INTERFACE: Literal["interface"] = "interface"


class Service(NamedTuple):
    """One AWS service behind a VPC endpoint of the confined network."""

    name: str  # the short name used in settings and in /slackgate/network/services
    title: str
    endpoint: Literal["gateway", "interface"]
    # DNS names the functions resolve, as templates over {region}, {account} and {suffix}.
    dns_names: tuple[str, ...]
    # What the endpoint admits (always within the perimeter conditions).
    actions: tuple[str, ...]
    # Denied at the endpoint even on our own resources: each moves data out of the perimeter.
    outward_actions: tuple[str, ...]
    # Actions that have no resource (so no resource account): admitted on the principal
    # perimeter alone.
    resourceless_actions: tuple[str, ...]
    # For the policy proofs and the audit's probes: a harmless request of this service and an
    # ARN template of one of its resources, over {partition}, {region} and {account}.
    probe_action: str
    probe_resource: str
    why_safe: str

    def endpoint_service_name(self, region: str) -> str:
        """The VPC endpoint service name, e.g. `com.amazonaws.eu-west-1.s3`."""
        return f"com.amazonaws.{region}.{self.name}"

    def domains(self, region: str, account: str, suffix: str = "amazonaws.com") -> list[str]:
        return [
            name.format(region=region, account=account, suffix=suffix) for name in self.dns_names
        ]


S3 = Service(
    name="s3",
    title="Amazon S3",
    endpoint=GATEWAY,
    # Virtual-hosted requests name the bucket in the host (`<bucket>.s3.<region>...`). The
    # wildcard is limited to S3's regional zone, which only AWS's name servers answer, so a
    # query there reaches no one who could read it.
    dns_names=("s3.{region}.{suffix}", "*.s3.{region}.{suffix}"),
    actions=("s3:*",),
    outward_actions=(
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketAcl",
        "s3:PutObjectAcl",  # also needed by PutObject with a canned ACL or grant headers
        "s3:PutObjectVersionAcl",
        "s3:PutBucketPublicAccessBlock",  # also DeletePublicAccessBlock
        "s3:PutAccountPublicAccessBlock",
        "s3:PutBucketOwnershipControls",
        "s3:PutReplicationConfiguration",
        "s3:PutBucketWebsite",
        "s3:PutBucketCORS",
        "s3:PutBucketNotification",  # events to other accounts' topics, queues, functions
        "s3:PutBucketLogging",  # access logs delivered to another bucket
        "s3:PutInventoryConfiguration",  # inventory reports delivered to another bucket
        "s3:PutAnalyticsConfiguration",  # analytics exports delivered to another bucket
        "s3:PutAccessPointPolicy",
        "s3:PutAccessPointPublicAccessBlock",
        "s3:PutMultiRegionAccessPointPolicy",
        "s3:ObjectOwnerOverrideToBucketOwner",
    ),
    resourceless_actions=(),
    probe_action="s3:GetObject",
    probe_resource="arn:{partition}:s3:::slackgate-probe-{account}/probe.txt",
    why_safe=(
        "Objects move only between our principals and our buckets (resource account checked on "
        "every request, CopyObject's source and destination included); every way of making a "
        "bucket or object readable by others, or of having S3 deliver data elsewhere "
        "(replication, notifications, logging, inventory, website), is denied at the endpoint. "
        "AWS's data-perimeter examples admit AWS-owned buckets for EC2 package repositories and "
        "the SSM agent; Lambda functions need none of them, so there is no exception."
    ),
)

DYNAMODB = Service(
    name="dynamodb",
    title="Amazon DynamoDB",
    endpoint=GATEWAY,
    # Newer SDKs call the account-based endpoint `<account>.ddb.<region>.amazonaws.com`
    # (DynamoDB endpoints and quotas, AWS General Reference); the exact name, not a wildcard.
    dns_names=("dynamodb.{region}.{suffix}", "{account}.ddb.{region}.{suffix}"),
    actions=("dynamodb:*",),
    outward_actions=(
        "dynamodb:ExportTableToPointInTime",  # may write to another account's bucket
        "dynamodb:PutResourcePolicy",
        "dynamodb:EnableKinesisStreamingDestination",
        "dynamodb:UpdateKinesisStreamingDestination",
        "dynamodb:CreateTableReplica",  # copies the table to another region
        "dynamodb:CreateGlobalTable",
        "dynamodb:UpdateGlobalTable",
    ),
    resourceless_actions=(),
    probe_action="dynamodb:GetItem",
    probe_resource="arn:{partition}:dynamodb:{region}:{account}:table/slackgate-probe",
    why_safe=(
        "Items move only between our principals and our tables; exports to S3 (which name their "
        "own destination bucket and owner), resource policies, streaming to Kinesis and "
        "replicas in other regions are denied at the endpoint."
    ),
)

SECRETS_MANAGER = Service(
    name="secretsmanager",
    title="AWS Secrets Manager",
    endpoint=INTERFACE,
    dns_names=("secretsmanager.{region}.{suffix}",),
    actions=("secretsmanager:*",),
    outward_actions=(
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:ReplicateSecretToRegions",  # also CreateSecret with AddReplicaRegions
    ),
    resourceless_actions=(),
    probe_action="secretsmanager:GetSecretValue",
    probe_resource="arn:{partition}:secretsmanager:{region}:{account}:secret:slackgate-probe-AbCdEf",
    why_safe=(
        "Secrets are read from and written to our own secrets only; sharing a secret with "
        "another account (resource policy) or copying it to another region is denied. The "
        "relay's webhook secrets are readable by the relay's role alone (their key policy and "
        "identity policies), so the endpoint does not open them to team functions."
    ),
)

SSM = Service(
    name="ssm",
    title="AWS Systems Manager Parameter Store",
    endpoint=INTERFACE,
    dns_names=("ssm.{region}.{suffix}",),
    # Parameter Store only: Run Command, Session Manager and Automation would let a function
    # hand data to an instance or a runbook that can reach the internet.
    actions=(
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "ssm:GetParameterHistory",
        "ssm:DescribeParameters",
        "ssm:PutParameter",
        "ssm:DeleteParameter",
        "ssm:DeleteParameters",
        "ssm:LabelParameterVersion",
    ),
    outward_actions=(
        "ssm:SendCommand",
        "ssm:StartSession",
        "ssm:StartAutomationExecution",
        "ssm:CreateAssociation",
        "ssm:ModifyDocumentPermission",
        "ssm:PutResourcePolicy",
    ),
    resourceless_actions=(),
    probe_action="ssm:GetParameter",
    probe_resource="arn:{partition}:ssm:{region}:{account}:parameter/slackgate-probe",
    why_safe=(
        "Only Parameter Store actions pass, on our own parameters; the Systems Manager actions "
        "that run commands or automation elsewhere, or share documents and parameters with "
        "other accounts, are denied."
    ),
)

KMS = Service(
    name="kms",
    title="AWS Key Management Service",
    endpoint=INTERFACE,
    dns_names=("kms.{region}.{suffix}",),
    actions=("kms:*",),
    outward_actions=(
        "kms:CreateGrant",  # a grant can name a principal of any account
        "kms:PutKeyPolicy",
        "kms:CreateKey",  # a new key's policy could admit anyone
        "kms:ReplicateKey",
    ),
    resourceless_actions=(),
    probe_action="kms:Decrypt",
    probe_resource="arn:{partition}:kms:{region}:{account}:key/00000000-0000-0000-0000-000000000000",
    why_safe=(
        "Encrypt, decrypt and data-key calls on our own keys only (ReEncrypt to a foreign key is "
        "a request on that key, outside the resource perimeter); grants, key policies, new keys "
        "and replicas, each of which could hand a key to another account, are denied."
    ),
)

SQS = Service(
    name="sqs",
    title="Amazon SQS",
    endpoint=INTERFACE,
    dns_names=("sqs.{region}.{suffix}",),
    actions=("sqs:*",),
    outward_actions=(
        "sqs:AddPermission",
        "sqs:SetQueueAttributes",  # the queue policy is an attribute
        "sqs:CreateQueue",  # so is a new queue's
    ),
    resourceless_actions=(),
    probe_action="sqs:SendMessage",
    probe_resource="arn:{partition}:sqs:{region}:{account}:slackgate-probe",
    why_safe=(
        "Messages go only to and from our own queues; changing who may read a queue "
        "(permissions, the policy attribute, a new queue with its own policy) is denied."
    ),
)

STS = Service(
    name="sts",
    title="AWS Security Token Service",
    endpoint=INTERFACE,
    dns_names=("sts.{region}.{suffix}",),
    actions=("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"),
    outward_actions=(),
    # GetCallerIdentity names no resource; the principal perimeter still applies.
    resourceless_actions=("sts:GetCallerIdentity",),
    probe_action="sts:AssumeRole",
    probe_resource="arn:{partition}:iam::{account}:role/slackgate-probe",
    why_safe=(
        "Only roles of our own account (organisation) can be assumed, and only by our "
        "principals. The credentials obtained are another of our roles'; like any data, they "
        "could leave the confined network only as message text, which the relay's scanner "
        "blocks (AWS key rules). Nothing in STS carries data anywhere."
    ),
)

# Reached by every function whatever the settings: the relay, and the function's own logs.
LOGS = Service(
    name="logs",
    title="Amazon CloudWatch Logs",
    endpoint=INTERFACE,
    dns_names=("logs.{region}.{suffix}",),
    actions=("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
    outward_actions=(),
    resourceless_actions=(),
    probe_action="logs:PutLogEvents",
    probe_resource="arn:{partition}:logs:{region}:{account}:log-group:slackgate-probe:*",
    why_safe="Log events are written to our own log groups only.",
)

OFFERED: Mapping[str, Service] = {
    service.name: service for service in (S3, DYNAMODB, SECRETS_MANAGER, SSM, KMS, SQS, STS)
}
# The endpoint names every function gets; published first in /slackgate/network/services.
ALWAYS_ON: tuple[str, ...] = ("execute-api", "logs")

REFUSED: Mapping[str, str] = {
    "sns": "SNS delivers to subscribers outside the organisation (HTTP/S endpoints, e-mail, SMS, "
    "mobile push)",
    "ses": "SES sends e-mail to any address",
    "email": "SES sends e-mail to any address",
    "sesv2": "SES sends e-mail to any address",
    "pinpoint": "Pinpoint sends e-mail, SMS and push messages to any recipient",
    "sms-voice": "End User Messaging sends SMS and voice messages to any number",
    "lambda": "Lambda invoke reaches functions that may run outside the confined network, with "
    "internet access",
    "apigateway": "the API Gateway management API can create public APIs and integrations to "
    "any HTTP endpoint",
    "firehose": "Firehose delivers records to HTTP endpoints and third-party destinations",
    "events": "EventBridge API destinations call any HTTP endpoint, and rules can target other "
    "accounts' event buses",
    "states": "Step Functions HTTP tasks call any HTTPS endpoint, and tasks invoke unconfined "
    "functions",
    "iot": "IoT Core rules forward messages to HTTP endpoints and other accounts",
    "appsync": "AppSync HTTP data sources call any HTTP endpoint",
    "ec2": "EC2 could start instances with internet access, or change the network that confines "
    "the functions",
    "iam": "IAM could change the functions' own permissions",
    "cloudformation": "CloudFormation deploys any resource, unconfined functions included",
}


class PerimeterError(ValueError):
    """A service setting cannot be used; the message says which and why."""


def resolve_services(names: Iterable[str]) -> tuple[Service, ...]:
    """The offered services named in `names`, in catalogue order; every problem at once.

    A refused service fails with the reason it is refused; an unknown one with the list
    of what is offered. `execute-api` and `logs` are always on (the execute-api endpoint
    admits the relay API only, so no other API is reachable through it).
    """
    wanted = [str(name).strip().lower() for name in names if str(name).strip()]
    problems = []
    for name in dict.fromkeys(wanted):
        if name in OFFERED or name in ALWAYS_ON:  # always-on ones are there anyway
            continue
        if name in REFUSED:
            problems.append(f"{name!r} is refused: {REFUSED[name]}")
        else:
            problems.append(
                f"{name!r} is not a service slackgate offers; offered: {', '.join(OFFERED)}"
            )
    if problems:
        raise PerimeterError(
            "slackgate:services: "
            + "; ".join(problems)
            + ". Remove it from slackgate:services (cdk.json or -c)."
        )
    return tuple(service for name, service in OFFERED.items() if name in wanted)


def published_names(services: Iterable[Service]) -> list[str]:
    """The value of /slackgate/network/services: the always-on endpoints, then the offered."""
    return [*ALWAYS_ON, *(service.name for service in services)]
