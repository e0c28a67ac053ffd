"""The team role grants exactly the declared resources: proven by synthesizing baked projects
(with cdk-nag) and evaluating the role's policies against a table of requests with
shared_gateway.iampolicy, after resolving the template's CloudFormation intrinsics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared_gateway.iampolicy import Request, allowed, resolve_cfn

from .conftest import Baker
from .test_bake import EVERY_KIND_OF_READ, EVERY_KIND_OF_WRITE

pytestmark = pytest.mark.slow

ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"
REGION = "eu-west-1"  # the default answer
ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-payments-nightly/fn"
SYNTH = (
    "from infra import build_app; import sys; build_app(outdir=sys.argv[1], checks=True).synth()"
)


def template_refs(template: dict[str, Any], **parameters: str) -> dict[str, Any]:
    """What resolve_cfn needs for this template: the pseudo parameters, stand-ins for the
    stack's resources, and each template parameter as its own name unless `parameters` gives
    its value."""
    resources = template["Resources"]
    refs: dict[str, Any] = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::URLSuffix": "amazonaws.com",
    }
    for logical_id in resources:  # stand-ins for the ids and ARNs of the stack's resources
        refs[logical_id] = logical_id
        refs[f"{logical_id}.Arn"] = f"arn:aws:stack:{REGION}:{ACCOUNT}:{logical_id}"
    for name in template.get("Parameters", {}):
        refs[name] = parameters.get(name, name)
    return refs


def role_policies(template: dict[str, Any], **parameters: str) -> list[dict[str, Any]]:
    """The documents of the policies attached to the function's role, resolved (a template
    parameter stands for its own name unless `parameters` gives its value)."""
    resources = template["Resources"]
    [role] = [r for r in resources.values() if r["Type"] == "AWS::IAM::Role"]
    refs = template_refs(template, **parameters)
    return [
        resolve_cfn(resources[ref["Ref"]]["Properties"]["PolicyDocument"], refs)
        for ref in role["Properties"]["ManagedPolicyArns"]
    ]


@dataclass(frozen=True)
class Synthesized:
    template: dict[str, Any]
    report: dict[str, Any]
    policies: list[dict[str, Any]]

    def findings(self, kind: str) -> list[dict[str, Any]]:
        return [
            finding for plugin in self.report["pluginReports"] for finding in plugin.get(kind, [])
        ]


def run_synth(project: Path, outdir: Path) -> subprocess.CompletedProcess[str]:
    """The project's app synthesized with cdk-nag into outdir, as `make synth` does."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run(
        [sys.executable, "-c", SYNTH, str(outdir)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def synthesize(
    bake, tmp_path: Path, *, before: Callable[[Path], None] | None = None, **answers: str
) -> Synthesized:
    """Bakes with the answers, runs `before` on the project if given, synthesizes it into
    tmp_path / "cdk.out"."""
    result = bake(**answers)
    assert result.exit_code == 0, result.exception
    if before is not None:
        before(result.project_path)
    outdir = tmp_path / "cdk.out"
    run = run_synth(result.project_path, outdir)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]  # cdk-nag findings too
    template = json.loads((outdir / "slackgate-payments-nightly.template.json").read_text())
    return Synthesized(
        template=template,
        report=json.loads((outdir / "validation-report.json").read_text()),
        policies=role_policies(template),
    )


@pytest.fixture(scope="module")
def declared(cookies_session, tmp_path_factory) -> Synthesized:
    return synthesize(
        Baker(cookies_session),
        tmp_path_factory.mktemp("declared"),
        reads=EVERY_KIND_OF_READ,
        writes=EVERY_KIND_OF_WRITE,
    )


@pytest.fixture(scope="module")
def nothing_declared(cookies_session, tmp_path_factory) -> Synthesized:
    return synthesize(Baker(cookies_session), tmp_path_factory.mktemp("nothing"), trigger="none")


def s3(bucket: str, key: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def regional(service: str, resource: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


# (action, resource, extra context, allowed?) for the role of a project generated with
# EVERY_KIND_OF_READ and EVERY_KIND_OF_WRITE. The resource's account is the account in its
# ARN (ours for S3 unless said otherwise: bucket ARNs name no account).
REQUESTS = {
    # S3 reads: the declared prefix and the declared whole bucket, nothing else.
    "read-declared-prefix": (
        "s3:GetObject",
        s3("payments-reports", "daily/2026-01-31.csv"),
        {},
        True,
    ),
    "read-nested-under-prefix": ("s3:GetObject", s3("payments-reports", "daily/a/b.csv"), {}, True),
    "read-outside-prefix": (
        "s3:GetObject",
        s3("payments-reports", "private/salaries.csv"),
        {},
        False,
    ),
    "read-sibling-prefix": ("s3:GetObject", s3("payments-reports", "daily-private/x"), {}, False),
    "read-whole-bucket": ("s3:GetObject", s3("payments-archive", "2020/any.csv"), {}, True),
    "read-another-bucket": ("s3:GetObject", s3("payments-secrets", "daily/x"), {}, False),
    "read-bucket-of-another-account": (
        "s3:GetObject",
        s3("payments-reports", "daily/x"),
        {"aws:ResourceAccount": OTHER_ACCOUNT},
        False,
    ),
    "list-declared-prefix": (
        "s3:ListBucket",
        s3("payments-reports"),
        {"s3:prefix": "daily/"},
        True,
    ),
    "list-under-prefix": (
        "s3:ListBucket",
        s3("payments-reports"),
        {"s3:prefix": "daily/2026"},
        True,
    ),
    "list-other-prefix": (
        "s3:ListBucket",
        s3("payments-reports"),
        {"s3:prefix": "private/"},
        False,
    ),
    "list-without-prefix": ("s3:ListBucket", s3("payments-reports"), {}, False),
    "list-whole-bucket": ("s3:ListBucket", s3("payments-archive"), {}, True),
    "list-another-bucket": ("s3:ListBucket", s3("payments-secrets"), {}, False),
    "read-object-versions": ("s3:GetObjectVersion", s3("payments-reports", "daily/x"), {}, False),
    # S3 writes: only the declared write prefix; never ACLs, policies or deletes.
    "put-declared-write": ("s3:PutObject", s3("payments-reports", "summaries/2026.json"), {}, True),
    "put-read-only-prefix": ("s3:PutObject", s3("payments-reports", "daily/x.csv"), {}, False),
    "put-whole-bucket-read": ("s3:PutObject", s3("payments-archive", "x"), {}, False),
    "put-another-account": (
        "s3:PutObject",
        s3("exfil-bucket", "summaries/x"),
        {"aws:ResourceAccount": OTHER_ACCOUNT},
        False,
    ),
    "put-same-prefix-other-account": (
        "s3:PutObject",
        s3("payments-reports", "summaries/x"),
        {"aws:ResourceAccount": OTHER_ACCOUNT},
        False,
    ),
    "put-object-acl": ("s3:PutObjectAcl", s3("payments-reports", "summaries/x"), {}, False),
    "delete-object": ("s3:DeleteObject", s3("payments-reports", "summaries/x"), {}, False),
    "put-bucket-policy": ("s3:PutBucketPolicy", s3("payments-reports"), {}, False),
    # DynamoDB: reads on the declared table and its indexes; writes on the declared write.
    "query-table": ("dynamodb:Query", regional("dynamodb", "table/settlements"), {}, True),
    "query-index": (
        "dynamodb:Query",
        regional("dynamodb", "table/settlements/index/by-day"),
        {},
        True,
    ),
    "scan-table": ("dynamodb:Scan", regional("dynamodb", "table/settlements"), {}, True),
    "describe-table": (
        "dynamodb:DescribeTable",
        regional("dynamodb", "table/settlements"),
        {},
        True,
    ),
    "get-another-table": ("dynamodb:GetItem", regional("dynamodb", "table/salaries"), {}, False),
    "get-table-prefix-sibling": (
        "dynamodb:GetItem",
        regional("dynamodb", "table/settlements-archive"),
        {},
        False,
    ),
    "get-table-other-account": (
        "dynamodb:GetItem",
        regional("dynamodb", "table/settlements", account=OTHER_ACCOUNT),
        {},
        False,
    ),
    "get-table-other-region": (
        "dynamodb:GetItem",
        regional("dynamodb", "table/settlements", region="us-east-1"),
        {},
        False,
    ),
    "put-read-only-table": (
        "dynamodb:PutItem",
        regional("dynamodb", "table/settlements"),
        {},
        False,
    ),
    "put-declared-table": (
        "dynamodb:PutItem",
        regional("dynamodb", "table/payments-audit"),
        {},
        True,
    ),
    "update-declared-table": (
        "dynamodb:UpdateItem",
        regional("dynamodb", "table/payments-audit"),
        {},
        True,
    ),
    "read-write-only-table": (
        "dynamodb:GetItem",
        regional("dynamodb", "table/payments-audit"),
        {},
        False,
    ),
    "export-table": (
        "dynamodb:ExportTableToPointInTime",
        regional("dynamodb", "table/settlements"),
        {},
        False,
    ),
    "delete-table": (
        "dynamodb:DeleteTable",
        regional("dynamodb", "table/payments-audit"),
        {},
        False,
    ),
    # Parameter Store: the exact name, and the declared hierarchy (recursively).
    "get-parameter": (
        "ssm:GetParameter",
        regional("ssm", "parameter/payments/threshold"),
        {},
        True,
    ),
    "get-parameter-sibling": (
        "ssm:GetParameter",
        regional("ssm", "parameter/payments/threshold-old"),
        {},
        False,
    ),
    "get-under-hierarchy": (
        "ssm:GetParameter",
        regional("ssm", "parameter/payments/config/a"),
        {},
        True,
    ),
    "get-deep-under-hierarchy": (
        "ssm:GetParameters",
        regional("ssm", "parameter/payments/config/nested/b"),
        {},
        True,
    ),
    "get-by-path": (
        "ssm:GetParametersByPath",
        regional("ssm", "parameter/payments/config"),
        {},
        True,
    ),
    "get-by-sub-path": (
        "ssm:GetParametersByPath",
        regional("ssm", "parameter/payments/config/nested"),
        {},
        True,
    ),
    "get-by-parent-path": (
        "ssm:GetParametersByPath",
        regional("ssm", "parameter/payments"),
        {},
        False,
    ),
    "get-exact-by-path": (
        "ssm:GetParametersByPath",
        regional("ssm", "parameter/payments/threshold"),
        {},
        False,
    ),
    "get-gateway-parameter": (
        "ssm:GetParameter",
        regional("ssm", "parameter/slackgate/api/url"),
        {},
        False,
    ),
    "put-parameter": (
        "ssm:PutParameter",
        regional("ssm", "parameter/payments/threshold"),
        {},
        False,
    ),
    # Secrets Manager: the one declared secret, whatever its random suffix; reads only.
    "get-secret": (
        "secretsmanager:GetSecretValue",
        regional("secretsmanager", "secret:payments/reporting-db-AbC123"),
        {},
        True,
    ),
    "describe-secret": (
        "secretsmanager:DescribeSecret",
        regional("secretsmanager", "secret:payments/reporting-db-AbC123"),
        {},
        True,
    ),
    "get-secret-with-longer-name": (
        "secretsmanager:GetSecretValue",
        regional("secretsmanager", "secret:payments/reporting-db-2-AbC123"),
        {},
        False,
    ),
    "get-relay-webhook": (
        "secretsmanager:GetSecretValue",
        regional("secretsmanager", "secret:slackgate/channels/payments-alerts-AbC123"),
        {},
        False,
    ),
    "put-secret": (
        "secretsmanager:PutSecretValue",
        regional("secretsmanager", "secret:payments/reporting-db-AbC123"),
        {},
        False,
    ),
    # SQS: sending to the declared queue only.
    "send-declared-queue": ("sqs:SendMessage", regional("sqs", "payments-out"), {}, True),
    "queue-url": ("sqs:GetQueueUrl", regional("sqs", "payments-out"), {}, True),
    "send-another-queue": ("sqs:SendMessage", regional("sqs", "payments-other"), {}, False),
    "send-other-account-queue": (
        "sqs:SendMessage",
        regional("sqs", "payments-out", account=OTHER_ACCOUNT),
        {},
        False,
    ),
    "receive-declared-queue": ("sqs:ReceiveMessage", regional("sqs", "payments-out"), {}, False),
    # Services never declared.
    "publish-to-sns": ("sns:Publish", regional("sns", "payments-topic"), {}, False),
    "invoke-lambda": ("lambda:InvokeFunction", regional("lambda", "function:x"), {}, False),
    "kms-decrypt": ("kms:Decrypt", regional("kms", "key/1234"), {}, False),
}


def request(action: str, resource: str, extra: dict[str, str]) -> Request:
    # What AWS puts in the context: the resource's account, from its ARN (ours for buckets).
    resource_account = resource.split(":")[4] or ACCOUNT
    context = {"aws:ResourceAccount": resource_account, **extra}
    return Request(action, resource, principal=ROLE, context=context)


@pytest.mark.parametrize(
    ("action", "resource", "extra", "expected"), REQUESTS.values(), ids=REQUESTS.keys()
)
def test_the_role_grants_exactly_the_declared_resources(
    declared, action, resource, extra, expected
) -> None:
    assert allowed(request(action, resource, extra), identity=declared.policies) is expected


def test_with_nothing_declared_the_role_reads_and_writes_nothing(nothing_declared) -> None:
    policies = nothing_declared.policies
    for action, resource, extra, _ in REQUESTS.values():
        assert not allowed(request(action, resource, extra), identity=policies), action
    # The evaluator does read these policies: the function may still write its logs.
    [log_group] = [
        logical_id
        for logical_id, r in nothing_declared.template["Resources"].items()
        if r["Type"] == "AWS::Logs::LogGroup"
    ]
    logs = f"arn:aws:stack:{REGION}:{ACCOUNT}:{log_group}"
    assert allowed(Request("logs:PutLogEvents", logs, principal=ROLE), identity=policies)


def test_cdk_nag_is_clean_and_each_data_wildcard_carries_its_reason(declared) -> None:
    assert declared.findings("violations") == []
    suppressed = {
        finding["ruleName"]: finding["reason"]
        for finding in declared.findings("suppressedViolations")
        if finding["ruleName"].startswith("AwsSolutions-IAM5[Resource::arn:")
    }
    objects = "arn:<AWS::Partition>:s3:::"
    regional_prefix = "arn:<AWS::Partition>:{}:<AWS::Region>:<AWS::AccountId>:"
    assert set(suppressed) == {
        f"AwsSolutions-IAM5[Resource::{arn}]"
        for arn in (
            f"{objects}payments-reports/daily/*",
            f"{objects}payments-archive/*",
            f"{objects}payments-reports/summaries/*",
            regional_prefix.format("dynamodb") + "table/settlements/index/*",
            regional_prefix.format("ssm") + "parameter/payments/config/*",
        )
    }
    assert all("infra/settings.py" in reason for reason in suppressed.values())


def test_with_nothing_declared_nothing_is_acknowledged_for_data(nothing_declared) -> None:
    assert nothing_declared.findings("violations") == []
    rules = [f["ruleName"] for f in nothing_declared.findings("suppressedViolations")]
    assert "AwsSolutions-IAM5[Resource::*]" in rules  # the VPC interface actions, as before
    assert not [rule for rule in rules if rule.startswith("AwsSolutions-IAM5[Resource::arn:")]
    assert len(nothing_declared.policies) == 1  # the logs and network policy only
