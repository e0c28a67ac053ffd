"""Baking the template: supported combinations, rejected answers, and what comes out."""

from __future__ import annotations

import ast
import json
import py_compile
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .conftest import ROOT

RUFF = Path(sys.executable).parent / "ruff"
COPIED_UNRENDERED = {("slackgate_local", "relay"), ("slackgate_local", "local")}
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#|cookiecutter\.")

EVERY_KIND_OF_READ = (
    "s3://payments-reports/daily/, s3://payments-archive, dynamodb:settlements, "
    "ssm:/payments/threshold, ssm:/payments/config/, secretsmanager:payments/reporting-db"
)
EVERY_KIND_OF_WRITE = "s3://payments-reports/summaries/, dynamodb:payments-audit, sqs:payments-out"

# Every choice value appears at least once; the ids say what each combination is.
SUPPORTED_COMBINATIONS = {
    "defaults": {},
    "schedule-rate-py3.14": {"schedule_expression": "rate(15 minutes)", "python_version": "3.14"},
    "sqs-py3.12": {"trigger": "sqs", "python_version": "3.12"},
    "none-py3.11": {"trigger": "none", "python_version": "3.11"},
    "search-team-custom-prefix": {
        "project_name": "Search weekly digest",
        "team": "search",
        "function_name": "weekly-digest",
        "default_channel": "search-reports",
        "aws_region": "us-east-1",
        "ssm_prefix": "/platform/slackgate",
        "schedule_expression": "cron(30 7 ? * MON-FRI *)",
        "link_domains": "example.org, status.example.com",
    },
    "deploy-yes-sqs": {"deploy": "yes", "trigger": "sqs", "python_version": "3.13"},
    "reads-every-kind": {"reads": EVERY_KIND_OF_READ},
    "reads-and-writes-sqs": {
        "trigger": "sqs",
        "reads": "s3://payments-reports/daily/",
        "writes": EVERY_KIND_OF_WRITE,
    },
    "writes-only-none": {"trigger": "none", "writes": "dynamodb:payments-audit"},
}

# (answers, text the hook must print)
INVALID_ANSWERS = {
    "team-uppercase": ({"team": "Payments"}, "team = 'Payments'"),
    "team-too-short": ({"team": "p"}, "2–21 characters"),
    "team-hyphen": ({"team": "pay-ments"}, "no hyphens"),
    "team-reserved": ({"team": "gateway"}, "reserved for the gateway's own resources"),
    "channel-hash": ({"default_channel": "#payments-alerts"}, "channel alias"),
    "function-role-too-long": ({"function_name": "x" * 50}, "IAM allows 64"),
    "function-bad-chars": ({"function_name": "Nightly_Run"}, "function_name = 'Nightly_Run'"),
    "region-name": ({"aws_region": "Ireland"}, "not an AWS region code"),
    "cron-five-fields": ({"schedule_expression": "cron(0 6 * * *)"}, "cron needs 6 fields"),
    "cron-both-days": ({"schedule_expression": "cron(0 6 1 * MON *)"}, "exactly one of"),
    "cron-bad-hour": ({"schedule_expression": "cron(0 25 * * ? *)"}, "hours field"),
    "rate-plural": ({"schedule_expression": "rate(1 hours)"}, "rate(1 hour)"),
    "not-a-schedule": ({"schedule_expression": "every day"}, "cron(...) or rate(...)"),
    "slug-spaces": ({"project_slug": "My Repo"}, "project_slug = 'My Repo'"),
    "package-shadows-stdlib": ({"package_name": "json"}, "would shadow"),
    "package-keyword": ({"package_name": "class"}, "Python identifier"),
    "ssm-trailing-slash": ({"ssm_prefix": "/slackgate/"}, "Parameter Store path"),
    "ssm-reserved": ({"ssm_prefix": "/aws/slackgate"}, "AWS reserves"),
    "name-newline": ({"project_name": "Two\nlines"}, "printable characters"),
    "code-in-answer": ({"team": 'x"; import os; os.system("id") #'}, "team = "),
    "link-domain-url": ({"link_domains": "example.com, https://x.org"}, "'https://x.org'"),
    "link-domain-wildcard": ({"link_domains": "*.example.com"}, "without scheme, port, path"),
    "reads-bucket-uppercase": ({"reads": "s3://Payments"}, "write s3://payments"),
    "reads-prefix-without-slash": ({"reads": "s3://payments/daily"}, "s3://payments/daily/"),
    "reads-wildcard": ({"reads": "s3://payments/*/"}, "no wildcards"),
    "reads-arn": ({"reads": "arn:aws:s3:::payments"}, "not an ARN"),
    "reads-unknown": ({"reads": "gs://payments"}, "not a resource slackgate knows"),
    "reads-relay-secret": ({"reads": "secretsmanager:slackgate/x"}, "the relay alone"),
    "writes-secret": ({"writes": "secretsmanager:payments/db"}, "read-only"),
    "code-in-reads": ({"reads": 'x"""; import os #'}, 'reads = \'x"""; import os #\''),
}


def baked_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]


def test_the_defaults_bake(bake) -> None:
    result = bake()
    assert result.exit_code == 0, result.exception
    project = result.project_path
    assert project.name == "payments-nightly-report"
    package = project / "src" / "payments_nightly_report"
    assert (package / "handler.py").is_file() and (package / "slack.py").is_file()
    assert (project / "infra" / "schedule_trigger.py").is_file()
    assert not (project / "infra" / "sqs_trigger.py").exists()
    assert not (project / "tests" / "test_sqs_trigger.py").exists()
    settings = (project / "infra" / "settings.py").read_text()
    # The defaults match the platform's local relay registry (team payments, nightly).
    assert 'team="payments"' in settings and 'function_name="nightly"' in settings
    assert 'default_channel="payments-alerts"' in settings
    # The relay's code for make local and the tests, as the template ships it.
    assert (project / "slackgate_local" / "relay" / "handler.py").is_file()
    assert (project / "slackgate_local" / "manifest.json").is_file()


@pytest.mark.parametrize(
    "answers", SUPPORTED_COMBINATIONS.values(), ids=SUPPORTED_COMBINATIONS.keys()
)
def test_supported_combinations_bake_clean(bake, fake_deploy_tools, answers) -> None:
    make_calls = fake_deploy_tools()
    result = bake(**answers)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    trigger = answers.get("trigger", "schedule")

    for other in {"schedule", "sqs"} - {trigger}:
        assert not (project / "infra" / f"{other}_trigger.py").exists()
        assert not (project / "tests" / f"test_{other}_trigger.py").exists()
    if trigger != "none":
        assert (project / "infra" / f"{trigger}_trigger.py").is_file()
    assert [p.name for p in (project / "events").iterdir()] == [f"{trigger}.json"]

    for path in baked_files(project):
        relative = path.relative_to(project)
        if relative.parts[:2] in COPIED_UNRENDERED:
            continue  # the relay's own source, copied as is (test_local_loop.py compares it)
        assert not LEFTOVER_JINJA.search(str(relative)), relative
        assert not LEFTOVER_JINJA.search(path.read_text(encoding="utf-8")), relative
        if path.suffix == ".py":
            py_compile.compile(str(path), doraise=True, cfile=str(project / ".pyc-check"))
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    (project / ".pyc-check").unlink(missing_ok=True)

    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        lint = subprocess.run(
            [str(RUFF), *command], cwd=project, capture_output=True, text=True, check=False
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr

    deployed = make_calls.read_text().split() if make_calls.exists() else []
    assert ("deploy" in deployed) is (answers.get("deploy") == "yes")


@pytest.mark.parametrize(
    ("answers", "message"), INVALID_ANSWERS.values(), ids=INVALID_ANSWERS.keys()
)
def test_invalid_answers_are_rejected_with_how_to_fix(bake, capfd, answers, message) -> None:
    result = bake(**answers)
    assert result.exit_code != 0
    assert result.project_path is None
    err = capfd.readouterr().err
    assert "cannot generate the project" in err
    assert message in err
    assert "fix:" in err


def test_every_problem_is_reported_at_once(bake, capfd) -> None:
    result = bake(team="X", default_channel="#x", aws_region="mars")
    assert result.exit_code != 0
    err = capfd.readouterr().err
    assert "3 answer(s) need fixing" in err
    assert "team = 'X'" in err and "default_channel = '#x'" in err and "aws_region = 'mars'" in err


def test_valid_schedules_pass(pre_gen) -> None:
    for expression in (
        "cron(0 6 * * ? *)",
        "cron(0/15 8-18 ? * MON-FRI *)",
        "cron(0 12 L * ? 2026-2030)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 9 15W * ? *)",
        "rate(1 day)",
        "rate(5 minutes)",
    ):
        assert pre_gen.schedule_problem(expression) is None, expression


def test_the_default_answers_are_valid(pre_gen, resources) -> None:
    defaults = json.loads((ROOT / "cookiecutter.json").read_text())
    answers = {
        key: value[0] if isinstance(value, list) else value
        for key, value in defaults.items()
        if not key.startswith("_")
    }
    answers |= {"project_slug": "payments-nightly-report", "package_name": "payments_nightly"}
    assert answers["reads"] == answers["writes"] == ""  # nothing declared by default
    assert pre_gen.validate(answers, resources) == []


def settings_arguments(project: Path) -> dict[str, object]:
    """The literal arguments of `SETTINGS = Settings(...)` in the baked infra/settings.py."""
    tree = ast.parse((project / "infra" / "settings.py").read_text())
    [call] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SETTINGS"
    ]
    assert isinstance(call, ast.Call)
    return {keyword.arg or "": ast.literal_eval(keyword.value) for keyword in call.keywords}


def test_declarations_reach_the_settings_and_the_readme(bake, resources) -> None:
    reads = " s3://payments-reports/daily/ ,dynamodb:settlements,, ssm:/payments/config/"
    result = bake(reads=reads, writes="sqs:payments-out")
    assert result.exit_code == 0, result.exception
    arguments = settings_arguments(result.project_path)
    # The same split as the hook's: what was checked is what is granted.
    assert arguments["reads"] == resources.split_answer(reads)
    assert arguments["writes"] == ("sqs:payments-out",)
    readme = (result.project_path / "README.md").read_text()
    assert "| reads | `s3://payments-reports/daily/`, `dynamodb:settlements`, " in readme
    assert "| writes | `sqs:payments-out` |" in readme


def test_nothing_is_declared_by_default(bake) -> None:
    result = bake()
    arguments = settings_arguments(result.project_path)
    assert arguments["reads"] == () and arguments["writes"] == ()
    assert "| reads | nothing |" in (result.project_path / "README.md").read_text()


def test_no_question_asks_for_network_ids() -> None:
    questions = json.loads((ROOT / "cookiecutter.json").read_text())
    assert not [key for key in questions if re.search(r"vpc|subnet|security|sg_|endpoint", key)]


def test_baked_pins_equal_the_root_pins(bake) -> None:
    def pins(pyproject: Path) -> dict[str, str]:
        """{name: version}, extras aside: moto[dynamodb,s3,ssm] here, moto[server] there."""
        data = tomllib.loads(pyproject.read_text())
        requirements = data["project"]["optional-dependencies"]["dev"]
        return {
            name.split("[")[0]: version
            for name, version in (requirement.split("==", 1) for requirement in requirements)
        }

    result = bake()
    baked = pins(result.project_path / "pyproject.toml")
    root = pins(ROOT / "pyproject.toml")
    assert set(baked) >= {
        "aws-cdk-lib",
        "constructs",
        "cdk-nag",
        "boto3",
        "botocore",
        "moto",
        "pytest",
    }
    assert {name: root.get(name) for name in baked} == baked
    package = json.loads((result.project_path / "package.json").read_text())
    assert package["devDependencies"] == {"aws-cdk": "2.1148.1"}


def test_github_expressions_survive_rendering(bake) -> None:
    result = bake()
    workflow = (result.project_path / ".github" / "workflows" / "ci.yml").read_text()
    assert "${{ vars.AWS_DEPLOY_ROLE_ARN }}" in workflow
    assert "make deploy REQUIRE_APPROVAL=never" in workflow


@pytest.mark.slow
@pytest.mark.parametrize(
    "answers",
    [
        {},
        {
            "trigger": "sqs",
            "python_version": "3.12",
            "reads": EVERY_KIND_OF_READ,
            "writes": EVERY_KIND_OF_WRITE,
        },
    ],
    ids=["defaults", "sqs-py3.12-reads-writes"],
)
def test_the_baked_project_passes_its_own_tests(bake, answers) -> None:
    result = bake(**answers)
    assert result.exit_code == 0, result.exception
    # The baked pins equal the root's, so this environment is the project's environment.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=result.project_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
