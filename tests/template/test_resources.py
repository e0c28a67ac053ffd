"""Declared reads and writes: the template's parser (infra/resources.py), as the
pre-generation hook loads and uses it, and the sizes of what the grants become."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, TEMPLATE_INFRA

# (declaration, kind, name, prefix)
VALID_READS = {
    "whole-bucket": ("s3://payments-reports", "s3", "payments-reports", ""),
    "bucket-slash": ("s3://payments-reports/", "s3", "payments-reports", ""),
    "prefix": ("s3://payments-reports/daily/", "s3", "payments-reports", "daily/"),
    "partitions": ("s3://a.b-c/year=2026/month=01/", "s3", "a.b-c", "year=2026/month=01/"),
    "table": ("dynamodb:Settlements_2026.v1-x", "dynamodb", "Settlements_2026.v1-x", ""),
    "parameter": ("ssm:/payments/threshold", "ssm", "/payments/threshold", ""),
    "hierarchy": ("ssm:/payments/config/", "ssm", "/payments/config/", ""),
    "secret": (
        "secretsmanager:payments/db+x=y.z@w-1",
        "secretsmanager",
        "payments/db+x=y.z@w-1",
        "",
    ),
}
VALID_WRITES = {
    "prefix": ("s3://payments-reports/summaries/", "s3", "payments-reports", "summaries/"),
    "table": ("dynamodb:payments-audit", "dynamodb", "payments-audit", ""),
    "queue": ("sqs:payments-summaries", "sqs", "payments-summaries", ""),
    "fifo-queue": ("sqs:payments.fifo", "sqs", "payments.fifo", ""),
}

# (setting, declaration, what the problem says, what its fix says)
INVALID = {
    "bucket-uppercase": ("reads", "s3://Payments", "not an S3 bucket name", "s3://payments"),
    "bucket-short": ("reads", "s3://ab", "3–63 lowercase", "e.g. s3://"),
    "bucket-ip": ("reads", "s3://192.168.1.10", "not an IP address", "e.g. s3://"),
    "bucket-dots": ("reads", "s3://a..b", "no '..'", "e.g. s3://"),
    "bucket-reserved-prefix": ("reads", "s3://xn--bucket", "reserves", "e.g. s3://"),
    "bucket-reserved-suffix": ("reads", "s3://bucket-s3alias", "reserves", "e.g. s3://"),
    "prefix-no-slash": ("reads", "s3://bucket/daily", "must end with '/'", "s3://bucket/daily/"),
    "prefix-wildcard": ("reads", "s3://bucket/da*ly/", "no wildcards", "declare the folder"),
    "prefix-question": ("reads", "s3://bucket/day?/", "no wildcards", "declare the folder"),
    "prefix-variable": ("reads", "s3://bucket/${aws:username}/", "no $", "declare the folder"),
    "prefix-empty-part": ("reads", "s3://bucket//x/", "no empty", "declare the folder"),
    "prefix-dot-dot": ("reads", "s3://bucket/../x/", "'..' parts", "declare the folder"),
    "prefix-too-long": ("reads", "s3://bucket/" + "a" * 300 + "/", "at most 256", "folder"),
    "table-short": ("reads", "dynamodb:ab", "not a DynamoDB table name", "dynamodb:"),
    "table-index": ("reads", "dynamodb:t1/index/x", "not a DynamoDB table name", "dynamodb:"),
    "parameter-relative": ("reads", "ssm:payments/x", "starting with '/'", "ssm:/payments/x"),
    "parameter-root": ("reads", "ssm:/", "every parameter", "declare the hierarchy"),
    "parameter-aws": ("reads", "ssm:/aws/service/x", "reserved by AWS", "your own"),
    "parameter-ssm": ("reads", "ssm:/SSM/x", "reserved by AWS", "your own"),
    "parameter-empty-part": ("reads", "ssm:/a//b", "no empty parts", "ssm:/payments"),
    "parameter-wildcard": ("reads", "ssm:/a/*", "no wildcards", "ssm:/payments"),
    "parameter-deep": ("reads", "ssm:" + "/x" * 16, "at most 15", "ssm:/payments"),
    "secret-relay": (
        "reads",
        "secretsmanager:slackgate/channels/payments-alerts",
        "the relay's Slack webhooks",
        "a name of its own",
    ),
    "secret-wildcard": ("reads", "secretsmanager:payments/*", "no wildcards", "payments/"),
    "arn": ("reads", "arn:aws:s3:::payments-reports", "not an ARN", "s3://bucket"),
    "other-account-arn": ("reads", "arn:aws:dynamodb:eu-west-1:999:table/x", "not an ARN", ""),
    "unknown-scheme": ("reads", "gs://payments", "not a resource slackgate knows", "s3://"),
    "queue-in-reads": ("reads", "sqs:payments", "the sqs trigger does", "writes=sqs:payments"),
    "secret-in-writes": ("writes", "secretsmanager:payments/db", "read-only", "reads="),
    "parameter-in-writes": ("writes", "ssm:/payments/x", "read-only", "reads=ssm:/payments/x"),
    "queue-name": ("writes", "sqs:https://sqs.eu-west-1.amazonaws.com/1/q", "queue name", "sqs:"),
}


def problems_of(resources, reads=(), writes=()):
    return resources.problems(reads, writes)


@pytest.mark.parametrize(("text", "kind", "name", "prefix"), VALID_READS.values(), ids=VALID_READS)
def test_valid_reads_parse(resources, text, kind, name, prefix) -> None:
    access = resources.parse_declarations([text], [])
    [resource] = access.reads
    assert (resource.kind, resource.name, resource.prefix) == (kind, name, prefix)
    assert resources.parse_declarations([resource.text], []) == access  # written back the same


@pytest.mark.parametrize(
    ("text", "kind", "name", "prefix"), VALID_WRITES.values(), ids=VALID_WRITES
)
def test_valid_writes_parse(resources, text, kind, name, prefix) -> None:
    [resource] = resources.parse_declarations([], [text]).writes
    assert (resource.kind, resource.name, resource.prefix) == (kind, name, prefix)


@pytest.mark.parametrize(("setting", "text", "what", "fix"), INVALID.values(), ids=INVALID)
def test_invalid_declarations_say_what_and_how_to_fix(resources, setting, text, what, fix):
    found = resources.problems(*(([text], []) if setting == "reads" else ([], [text])))
    [(where, problem)] = found
    assert where == setting
    assert problem.declared == text
    assert what in problem.what
    assert fix in problem.fix


def test_the_answer_is_split_on_commas(resources) -> None:
    assert resources.split_answer(" s3://a-b/x/ ,dynamodb:tbl,, ") == (
        "s3://a-b/x/",
        "dynamodb:tbl",
    )
    assert resources.split_answer("") == ()


def test_every_problem_is_reported_at_once(resources) -> None:
    found = resources.problems(["s3://Bad", "dynamodb:ok-table", "ssm:x"], ["secretsmanager:s"])
    assert [where for where, _ in found] == ["reads", "reads", "writes"]
    with pytest.raises(resources.DeclarationError) as raised:
        resources.parse_declarations(["s3://Bad", "ssm:x"], ["secretsmanager:s"])
    message = str(raised.value)
    assert message.startswith("3 declared resource(s) in infra/settings.py need fixing")
    assert message.count("fix:") == 3


def test_a_resource_declared_twice_is_granted_once(resources) -> None:
    access = resources.parse_declarations(["dynamodb:tbl", "dynamodb:tbl"], [])
    assert len(access.reads) == 1


def test_at_most_ten_per_list(resources) -> None:
    tables = [f"dynamodb:table-{n}" for n in range(11)]
    [(where, problem)] = resources.problems(tables, [])
    assert where == "reads" and "at most 10" in problem.what


def test_the_environment_the_function_gets_has_a_limit(resources) -> None:
    long_prefixes = [f"s3://{'b' * 50}-{n}/{'p' * 250}/" for n in range(10)]
    [(_, problem)] = resources.problems(long_prefixes, [])
    assert "of the function's environment" in problem.what


def test_a_string_in_settings_instead_of_a_tuple_is_explained(resources) -> None:
    [(_, problem)] = resources.problems("s3://payments-reports", ())
    assert "not a tuple" in problem.what and "reads=('s3://payments-reports',)" in problem.fix


def test_services_and_what_the_gateway_lacks(resources) -> None:
    access = resources.parse_declarations(
        ["s3://b-1/x/", "dynamodb:tbl", "ssm:/a/b", "secretsmanager:s"], ["s3://b-1/y/", "sqs:q"]
    )
    assert access.services == ("dynamodb", "s3", "secretsmanager", "sqs", "ssm")
    assert resources.unoffered_services(access, ["s3", "dynamodb", "ssm"]) == [
        "this function reads Secrets Manager but the gateway does not offer secretsmanager: "
        "ask the platform team to add it to slackgate:services",
        "this function writes to SQS but the gateway does not offer sqs: ask the platform "
        "team to add it to slackgate:services",
    ]
    assert resources.unoffered_services(access, access.services) == []


def test_the_function_is_told_names_not_declarations(resources) -> None:
    access = resources.parse_declarations(["s3://b-1/x/", "ssm:/a/"], ["sqs:q"])
    assert {key: json.loads(value) for key, value in access.environment().items()} == {
        "SLACKGATE_READS": [
            {"kind": "s3", "bucket": "b-1", "prefix": "x/"},
            {"kind": "ssm", "path": "/a/"},
        ],
        "SLACKGATE_WRITES": [{"kind": "sqs", "queue": "q"}],
    }
    assert resources.parse_declarations([], []).environment() == {}


def test_the_parser_is_one_file_free_of_template_syntax() -> None:
    source = (TEMPLATE_INFRA / "resources.py").read_text()
    assert "{{" not in source and "{%" not in source and "cookiecutter." not in source
    assert "import " + "aws_cdk" not in source  # the hook runs without the CDK


# --- the hook finds the parser wherever cookiecutter or cruft put the template ---------------


def test_the_hook_finds_the_parser_from_an_absolute_repo_dir(pre_gen) -> None:
    found = pre_gen.find_resources_module(["", str(ROOT)], "/somewhere/else")
    assert found == TEMPLATE_INFRA / "resources.py"


def test_the_hook_finds_the_parser_from_a_relative_location(pre_gen) -> None:
    found = pre_gen.find_resources_module([ROOT.name], str(ROOT.parent))
    assert found == TEMPLATE_INFRA / "resources.py"


def test_a_url_or_missing_template_finds_nothing(pre_gen, tmp_path: Path) -> None:
    assert pre_gen.find_resources_module(["gh:org/slackgate", str(tmp_path)], None) is None
    (tmp_path / "cookiecutter.json").write_text("{}")
    assert pre_gen.find_resources_module([str(tmp_path)], None) is None  # another template


def test_loading_the_parser_leaves_no_bytecode_in_the_template(
    pre_gen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "resources.py"
    copy.write_text((TEMPLATE_INFRA / "resources.py").read_text())
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert pre_gen.load_resources(copy).split_answer("dynamodb:tbl") == ("dynamodb:tbl",)
    assert not (tmp_path / "__pycache__").exists()
    assert sys.dont_write_bytecode is False


def test_the_hook_reports_declaration_problems_with_the_others(pre_gen, resources) -> None:
    answers = json.loads((ROOT / "cookiecutter.json").read_text())
    answers = {k: v[0] if isinstance(v, list) else v for k, v in answers.items() if k[0] != "_"}
    answers |= {"project_slug": "p-r", "package_name": "p_r", "team": "X"}
    answers |= {"reads": "s3://Bad, dynamodb:ok-table", "writes": "secretsmanager:s"}
    problems = pre_gen.validate(answers, resources)
    assert len(problems) == 3
    assert problems[1].startswith("reads = 's3://Bad': ") and "\n      fix: " in problems[1]
    assert problems[2].startswith("writes = 'secretsmanager:s': ")
    # Without the parser (a template that could not be found) the rest is still checked.
    assert len(pre_gen.validate(answers, None)) == 1


# --- the grants' sizes ----------------------------------------------------------------------


def test_the_largest_declarations_fit_the_role_policies(template_infra) -> None:
    resources, grants = template_infra.resources, template_infra.grants
    # Long names of every kind, as many as the limits let through.
    candidates = {
        "reads": [f"s3://{'b' * 58}-{n:02d}/{'p' * 40}/{n}/" for n in range(4)]
        + [f"dynamodb:{'t' * 60}{n}" for n in range(3)]
        + [f"ssm:/{'h' * 40}/{n}/" for n in range(2)]
        + [f"secretsmanager:{'s' * 60}{n}" for n in range(2)],
        "writes": [f"s3://{'w' * 58}-{n:02d}/{'p' * 40}/" for n in range(4)]
        + [f"dynamodb:{'a' * 60}{n}" for n in range(3)]
        + [f"sqs:{'q' * 70}{n}" for n in range(4)],
    }
    declared: dict[str, list[str]] = {"reads": [], "writes": []}
    for setting, texts in candidates.items():
        for text in texts:
            declared[setting].append(text)
            if resources.problems(declared["reads"], declared["writes"]):
                declared[setting].pop()
    assert len(declared["reads"]) + len(declared["writes"]) >= 12
    access = resources.parse_declarations(declared["reads"], declared["writes"])
    statements = grants.statements(access, grants.Arns(*grants.LONGEST))
    groups = grants.policy_groups(access)
    assert sorted(index for group in groups for index in group) == list(range(len(statements)))
    for group in groups:
        document = {"Version": "2012-10-17", "Statement": [statements[i] for i in group]}
        assert len(json.dumps(document, separators=(",", ":"))) <= 6144


def test_statements_are_spread_over_policies_when_one_would_be_too_big(
    template_infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    grants = template_infra.grants
    buckets = [f"s3://bucket-{n:02d}/daily/" for n in range(10)]  # a listing statement each
    access = template_infra.resources.parse_declarations(buckets, [])
    assert grants.policy_groups(access) == [list(range(11))]  # one policy is enough
    monkeypatch.setattr(grants, "MAX_POLICY_CHARACTERS", 1000)
    groups = grants.policy_groups(access)
    statements = grants.statements(access, grants.Arns(*grants.LONGEST))
    assert len(groups) > 1
    assert [index for group in groups for index in group] == list(range(11))
    for group in groups:
        size = sum(len(json.dumps(statements[i], separators=(",", ":"))) for i in group)
        assert size <= 1000 or len(group) == 1
