"""The role's permissions on the declared resources, as IAM policy statements (plain data).

Least privilege: reads on exactly the declared resources, writes on exactly the declared
writes, in this account and region only. The only wildcards are those a declaration asks
for (an S3 prefix, a Parameter Store hierarchy, a table's indexes) and the six characters
Secrets Manager appends to every secret's ARN. S3 names buckets globally, so every S3
statement also requires the bucket to be this account's (``aws:ResourceAccount``).

Pure functions: the stack passes CloudFormation's pseudo parameters as ``Arns`` (so the
ARNs are the deploying account's), and the tests pass plain values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .resources import DataAccess, Resource

S3_READ = ("s3:GetObject",)
S3_LIST = ("s3:ListBucket",)
S3_WRITE = ("s3:PutObject",)
DYNAMODB_READ = (
    "dynamodb:BatchGetItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
DYNAMODB_WRITE = (
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
PARAMETER_READ = ("ssm:GetParameter", "ssm:GetParameters")
# Authorised against the path asked for, not the parameters returned.
PARAMETER_PATH_READ = ("ssm:GetParametersByPath",)
SECRET_READ = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
QUEUE_WRITE = ("sqs:GetQueueUrl", "sqs:SendMessage")

# IAM's limit for a managed policy, without whitespace; the statements are spread over as
# many policies as needed. The margin covers the document's own braces and version.
MAX_POLICY_CHARACTERS = 6144 - 100
# The longest values the pseudo parameters can take, to size policies before deploy time.
LONGEST = ("aws-iso-b", "ap-southeast-7", "123456789012")


@dataclass(frozen=True)
class Arns:
    partition: str
    region: str
    account: str

    def _regional(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def bucket(self, resource: Resource) -> str:
        return f"arn:{self.partition}:s3:::{resource.name}"

    def objects(self, resource: Resource) -> str:
        """The bucket's objects, or those under the declared prefix."""
        return f"{self.bucket(resource)}/{resource.prefix}*"

    def table(self, resource: Resource) -> str:
        return self._regional("dynamodb", f"table/{resource.name}")

    def indexes(self, resource: Resource) -> str:
        return f"{self.table(resource)}/index/*"

    def parameter(self, resource: Resource) -> str:
        """The parameter, or for a hierarchy the path itself (what GetParametersByPath asks)."""
        return self._regional("ssm", "parameter" + resource.name.rstrip("/"))

    def parameters_under(self, resource: Resource) -> str:
        return self.parameter(resource) + "/*"

    def secret(self, resource: Resource) -> str:
        # Secrets Manager ends every secret's ARN with "-" and six random characters.
        return self._regional("secretsmanager", f"secret:{resource.name}-??????")

    def queue(self, resource: Resource) -> str:
        return self._regional("sqs", resource.name)


def _statement(
    sid: str, actions: Sequence[str], resources: Sequence[str], **condition: Any
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _of_kind(resources: Sequence[Resource], kind: str) -> list[Resource]:
    return [resource for resource in resources if resource.kind == kind]


def _s3_statements(access: DataAccess, arns: Arns) -> list[dict[str, Any]]:
    ours = {"aws:ResourceAccount": arns.account}
    reads, writes = _of_kind(access.reads, "s3"), _of_kind(access.writes, "s3")
    statements = []
    if reads:
        statements.append(
            _statement(
                "ReadS3Objects",
                S3_READ,
                [arns.objects(r) for r in reads],
                StringEquals=ours,
            )
        )
    # Listing is granted per bucket: a declared prefix limits what may be listed.
    buckets: dict[str, list[Resource]] = {}
    for resource in reads:
        buckets.setdefault(resource.name, []).append(resource)
    for number, declared in enumerate(buckets.values()):
        prefixes = [resource.prefix for resource in declared]
        condition: dict[str, Any] = {"StringEquals": ours}
        if "" not in prefixes:  # the whole bucket was not declared
            condition["StringLike"] = {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}
        statements.append(
            _statement(f"ListS3Bucket{number}", S3_LIST, [arns.bucket(declared[0])], **condition)
        )
    if writes:
        statements.append(
            _statement(
                "WriteS3Objects", S3_WRITE, [arns.objects(w) for w in writes], StringEquals=ours
            )
        )
    return statements


def statements(access: DataAccess, arns: Arns) -> list[dict[str, Any]]:
    """Every statement the declarations need (none when nothing is declared)."""
    tables = _of_kind(access.reads, "dynamodb")
    parameters = _of_kind(access.reads, "ssm")
    hierarchies = [p for p in parameters if p.is_hierarchy]
    found = _s3_statements(access, arns)
    if tables:
        resources = [arn for t in tables for arn in (arns.table(t), arns.indexes(t))]
        found.append(_statement("ReadDynamoDBTables", DYNAMODB_READ, resources))
    if written := _of_kind(access.writes, "dynamodb"):
        found.append(
            _statement("WriteDynamoDBTables", DYNAMODB_WRITE, [arns.table(t) for t in written])
        )
    if parameters:
        resources = [
            arns.parameters_under(p) if p.is_hierarchy else arns.parameter(p) for p in parameters
        ]
        found.append(_statement("ReadParameters", PARAMETER_READ, resources))
    if hierarchies:
        resources = [
            arn for h in hierarchies for arn in (arns.parameter(h), arns.parameters_under(h))
        ]
        found.append(_statement("ReadParameterHierarchies", PARAMETER_PATH_READ, resources))
    if secrets := _of_kind(access.reads, "secretsmanager"):
        found.append(_statement("ReadSecrets", SECRET_READ, [arns.secret(s) for s in secrets]))
    if queues := _of_kind(access.writes, "sqs"):
        found.append(_statement("SendToQueues", QUEUE_WRITE, [arns.queue(q) for q in queues]))
    return found


def policy_groups(access: DataAccess) -> list[list[int]]:
    """The statements' indexes, grouped so that each group fits one managed policy."""
    sized = statements(access, Arns(*LONGEST))
    groups: list[list[int]] = []
    size = MAX_POLICY_CHARACTERS
    for index, statement in enumerate(sized):
        length = len(json.dumps(statement, separators=(",", ":")))
        if size + length > MAX_POLICY_CHARACTERS:
            groups.append([])
            size = 0
        groups[-1].append(index)
        size += length
    return groups


WILDCARD_REASONS = {
    "objects": (
        "The S3 objects under a prefix (or in a bucket) declared in infra/settings.py: the "
        "prefix is the grant, and the bucket must be this account's."
    ),
    "indexes": (
        "The indexes of a DynamoDB table declared in infra/settings.py, for Query and Scan; "
        "their names are the table's own business."
    ),
    "parameters_under": (
        "The Parameter Store hierarchy declared in infra/settings.py (a name ending in '/')."
    ),
}


def wildcards(access: DataAccess, arns: Arns) -> dict[str, str]:
    """Each resource with a "*", as ``arns`` spells it, and why it is there.

    (A secret's "-??????" matches exactly the six characters Secrets Manager appends, so it
    names one secret; cdk-nag does not count it as a wildcard either.)
    """
    found: dict[str, str] = {}
    for resource in (*access.reads, *access.writes):
        if resource.kind == "s3":
            found[arns.objects(resource)] = WILDCARD_REASONS["objects"]
        elif resource.kind == "dynamodb" and resource in access.reads:
            found[arns.indexes(resource)] = WILDCARD_REASONS["indexes"]
        elif resource.is_hierarchy:
            found[arns.parameters_under(resource)] = WILDCARD_REASONS["parameters_under"]
    return found
