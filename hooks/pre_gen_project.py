"""Checks every answer before a single file is generated.

All problems are reported at once, each with how to fix it, and the hook exits 1 so that
cookiecutter stops and removes the half-made directory. The answers are rendered below as
JSON text (`| tojson`) and parsed as data: nothing typed at a prompt becomes code here.

`reads` and `writes` are checked by the generated repository's own parser,
infra/resources.py, loaded from the template directory: one parser for this hook, the
repository's settings and the role's permissions.
"""

from __future__ import annotations

import importlib.util
import json
import keyword
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

ANSWERS_JSON = r"""
{
  "project_name": {{ cookiecutter.project_name | tojson }},
  "project_slug": {{ cookiecutter.project_slug | tojson }},
  "package_name": {{ cookiecutter.package_name | tojson }},
  "team": {{ cookiecutter.team | tojson }},
  "function_name": {{ cookiecutter.function_name | tojson }},
  "default_channel": {{ cookiecutter.default_channel | tojson }},
  "link_domains": {{ cookiecutter.link_domains | tojson }},
  "aws_region": {{ cookiecutter.aws_region | tojson }},
  "trigger": {{ cookiecutter.trigger | tojson }},
  "schedule_expression": {{ cookiecutter.schedule_expression | tojson }},
  "python_version": {{ cookiecutter.python_version | tojson }},
  "ssm_prefix": {{ cookiecutter.ssm_prefix | tojson }},
  "reads": {{ cookiecutter.reads | tojson }},
  "writes": {{ cookiecutter.writes | tojson }},
  "deploy": {{ cookiecutter.deploy | tojson }}
}
"""

# Where the template may be: cookiecutter's repo_dir (cookiecutter 2.2+), else the template
# as given (cruft passes a path or URL there). Either may be relative to where it was run.
TEMPLATE_LOCATIONS_JSON = r"""
[
  {{ cookiecutter._repo_dir | default("") | tojson }},
  {{ cookiecutter._template | default("") | tojson }}
]
"""
# The project directory inside the template, spelled so that rendering this hook keeps it.
PROJECT_TEMPLATE = "{" * 2 + "cookiecutter.project_slug" + "}" * 2
RESOURCES_MODULE = ("infra", "resources.py")

ANSWER_KEYS = (
    "project_name",
    "project_slug",
    "package_name",
    "team",
    "function_name",
    "default_channel",
    "link_domains",
    "aws_region",
    "trigger",
    "schedule_expression",
    "python_version",
    "ssm_prefix",
    "reads",
    "writes",
    "deploy",
)
TRIGGERS = ("schedule", "sqs", "none")
# Lambda's Python runtimes that are neither deprecated nor missing from aws-cdk-lib 2.275.
PYTHON_VERSIONS = ("3.13", "3.14", "3.12", "3.11")
DEPLOY_CHOICES = ("no", "yes")

TEAM = re.compile(r"[a-z][a-z0-9]{1,20}")
# The relay's registry refuses these slugs (its RESERVED_TEAM_SLUGS; a test keeps the two the
# same): they name the gateway's own roles and stacks, so no team's role may look like them.
RESERVED_TEAMS = frozenset({"admin", "audit", "gateway", "platform", "relay", "slackgate"})
CHANNEL = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# A bare DNS name, as the relay's registry requires for link_domains (its DOMAIN_NAME).
DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
FUNCTION_NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
# eu-west-1, us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1.
REGION = re.compile(r"[a-z]{2,4}(?:-[a-z]+){1,2}-[1-9][0-9]?")
SSM_PREFIX = re.compile(r"(?:/[A-Za-z0-9_.-]+)+")
RATE = re.compile(r"rate\((?P<value>[1-9][0-9]*) (?P<unit>minutes?|hours?|days?)\)")
CRON = re.compile(r"cron\((?P<fields>[^()]*)\)")

MAX_ROLE_NAME = 64  # IAM's limit for role names, and Lambda's for function names
MAX_PROJECT_NAME = 80
MAX_SSM_PREFIX = 200
SSM_MAX_DEPTH = 15  # Parameter Store hierarchies are at most 15 levels deep
# Package names that would shadow what the generated repo imports.
RESERVED_PACKAGES = frozenset(
    {"infra", "tests", "scripts", "aws_cdk", "botocore", "boto3", "cdk_nag", "constructs"}
)


def load_answers(text: str = ANSWERS_JSON) -> dict[str, Any]:
    return json.loads(text)


# --- the reads/writes parser, shared with the generated repository ---------------------------


def find_resources_module(locations: Iterable[str], working_dir: str | None) -> Path | None:
    """infra/resources.py in the first of `locations` that is this template, or None."""
    for location in filter(None, locations):
        # A relative location is relative to where cookiecutter was run, not to this hook's
        # working directory (the new project's).
        candidate = Path(working_dir or ".") / Path(location).expanduser()
        module = candidate.joinpath(PROJECT_TEMPLATE, *RESOURCES_MODULE)
        if (candidate / "cookiecutter.json").is_file() and module.is_file():
            return module.resolve()
    return None


def load_resources(path: Path) -> ModuleType:
    """Imports the parser from its file (it is standard library only, with no template tags)."""
    name = "slackgate_template_resources"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    # No __pycache__ in the template: every later generation would copy it into the project.
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


def resource_problems(answers: Mapping[str, str], resources: ModuleType) -> list[str]:
    """The problems of `reads` and `writes`, in the hook's words."""
    found = resources.problems(
        resources.split_answer(answers["reads"]), resources.split_answer(answers["writes"])
    )
    return [
        _bad(setting, problem.declared, problem.what, problem.fix) for setting, problem in found
    ]


# --- EventBridge schedule expressions -------------------------------------------------------

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def _number_in(low: int, high: int, names: tuple[str, ...] = ()) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        if value.upper() in names:
            return True
        return value.isdigit() and low <= int(value) <= high

    return check


def _item_ok(item: str, is_value: Callable[[str], bool], specials: re.Pattern[str] | None) -> bool:
    """One comma-separated item: *, a value, a range, any of them with /step, or a special."""
    if specials is not None and specials.fullmatch(item):
        return True
    base, _, step = item.partition("/")
    if step and not (step.isdigit() and int(step) > 0):
        return False
    if base == "*":
        return True
    start, dash, end = base.partition("-")
    if dash:
        return is_value(start) and is_value(end)
    return is_value(base)


# (name, value check, special forms allowed in that field)
CRON_FIELDS: tuple[tuple[str, Callable[[str], bool], re.Pattern[str] | None], ...] = (
    ("minutes", _number_in(0, 59), None),
    ("hours", _number_in(0, 23), None),
    ("day-of-month", _number_in(1, 31), re.compile(r"L|LW|(?:[1-9]|[12][0-9]|3[01])W")),
    ("month", _number_in(1, 12, MONTHS), None),
    ("day-of-week", _number_in(1, 7, WEEKDAYS), re.compile(r"L|[1-7]L|[1-7]#[1-5]", re.I)),
    ("year", _number_in(1970, 2199), None),
)


def schedule_problem(expression: str) -> str | None:
    """Why `expression` is not an EventBridge schedule expression, or None if it is one."""
    example = "e.g. cron(0 6 * * ? *) for 06:00 UTC every day, or rate(1 hour)"
    rate = RATE.fullmatch(expression)
    if rate:
        singular = rate["value"] == "1"
        if singular == rate["unit"].endswith("s"):
            unit = rate["unit"].rstrip("s")
            wanted = unit if singular else unit + "s"
            return f"write rate({rate['value']} {wanted}) — EventBridge wants the unit to agree"
        return None
    cron = CRON.fullmatch(expression)
    if not cron:
        return f"must be cron(...) or rate(...), {example}"
    fields = cron["fields"].split()
    if len(fields) != len(CRON_FIELDS):
        return (
            f"cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}; {example}"
        )
    for text, (name, is_value, specials) in zip(fields, CRON_FIELDS, strict=True):
        if text == "?" and name in ("day-of-month", "day-of-week"):
            continue
        if not all(_item_ok(item, is_value, specials) for item in text.split(",")):
            return f"the {name} field {text!r} is not valid; {example}"
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return (
            "exactly one of day-of-month and day-of-week must be '?' "
            f"(the other says which days); {example}"
        )
    return None


# --- the checks --------------------------------------------------------------------------------


def _bad(name: str, value: Any, what: str, fix: str) -> str:
    return f"{name} = {value!r}: {what}\n      fix: {fix}"


def link_domain_problems(answer: str) -> list[str]:
    """Each entry of the comma-separated answer must be a bare domain name (IDNA allowed)."""
    problems = []
    for entry in filter(None, (part.strip() for part in answer.split(","))):
        try:
            name = entry.lower().rstrip(".").encode("idna").decode("ascii")
        except UnicodeError:
            name = ""
        if not DOMAIN.fullmatch(name):
            problems.append(
                _bad(
                    "link_domains",
                    entry,
                    "is not a domain name (links are allowed to a domain and its subdomains)",
                    "write bare hosts separated by commas, without scheme, port, path or "
                    "wildcard, e.g. link_domains=example.com,status.example.org (empty: no links)",
                )
            )
    return problems


def validate(answers: Mapping[str, Any], resources: ModuleType | None) -> list[str]:
    """Every problem with the answers, each saying what is wrong and how to fix it.

    `resources` is the template's infra/resources.py; without it (the template could not be
    found) `reads` and `writes` are left to the repository, which checks them on import.
    """
    problems: list[str] = []
    values = {key: answers.get(key) for key in ANSWER_KEYS}
    for key, value in values.items():
        if not isinstance(value, str):
            problems.append(_bad(key, value, "is missing or not text", f"give {key} a value"))
    if problems:
        return problems

    name = values["project_name"]
    # The name is written into the code as a string literal, where a non-ASCII character
    # takes six (\u20ac): the limit keeps that line within the line length.
    if not name.strip() or len(json.dumps(name)) > MAX_PROJECT_NAME + 2 or not name.isprintable():
        problems.append(
            _bad(
                "project_name",
                name,
                f"must be 1–{MAX_PROJECT_NAME} printable characters on one line "
                "(a non-ASCII character counts as 6)",
                'a few words, e.g. project_name="Payments nightly report"',
            )
        )

    slug = values["project_slug"]
    if not SLUG.fullmatch(slug) or len(slug) > MAX_ROLE_NAME:
        problems.append(
            _bad(
                "project_slug",
                slug,
                "must be lowercase words of letters and digits joined by single hyphens, "
                f"starting with a letter, at most {MAX_ROLE_NAME} characters",
                "e.g. project_slug=payments-nightly-report",
            )
        )

    package = values["package_name"]
    stdlib = getattr(sys, "stdlib_module_names", frozenset())
    if not PACKAGE.fullmatch(package) or keyword.iskeyword(package):
        problems.append(
            _bad(
                "package_name",
                package,
                "must be a Python identifier in lowercase (letters, digits, underscores)",
                "e.g. package_name=payments_nightly_report",
            )
        )
    elif package in stdlib or package in RESERVED_PACKAGES:
        problems.append(
            _bad(
                "package_name",
                package,
                "would shadow a module the project imports",
                f"pick a more specific name, e.g. package_name={package}_report",
            )
        )

    team = values["team"]
    if not TEAM.fullmatch(team):
        problems.append(
            _bad(
                "team",
                team,
                "must be 2–21 characters: a lowercase letter, then lowercase letters or digits "
                "(no hyphens) — it is your team's slug in the relay's registry",
                "use the slug the platform team registered for you, e.g. team=payments",
            )
        )
    elif team in RESERVED_TEAMS:
        problems.append(
            _bad(
                "team",
                team,
                "is reserved for the gateway's own resources "
                f"(reserved: {', '.join(sorted(RESERVED_TEAMS))})",
                "use the slug the platform team registered for you, e.g. team=payments",
            )
        )

    function = values["function_name"]
    role = f"slackgate-{team}-{function}"
    if not FUNCTION_NAME.fullmatch(function):
        problems.append(
            _bad(
                "function_name",
                function,
                "must be lowercase letters, digits and hyphens, start with a letter and not "
                "end with a hyphen",
                "e.g. function_name=nightly",
            )
        )
    elif len(role) > MAX_ROLE_NAME:
        room = MAX_ROLE_NAME - len(f"slackgate-{team}-")
        problems.append(
            _bad(
                "function_name",
                function,
                f"makes the role name {role!r} {len(role)} characters long; IAM allows "
                f"{MAX_ROLE_NAME}",
                f"shorten function_name to at most {max(room, 0)} characters",
            )
        )

    channel = values["default_channel"]
    if not CHANNEL.fullmatch(channel):
        problems.append(
            _bad(
                "default_channel",
                channel,
                "must be a channel alias of 1–63 lowercase letters, digits and hyphens, not "
                "starting with a hyphen (an alias from the relay's registry, not a Slack "
                "channel id or #name)",
                "e.g. default_channel=payments-alerts",
            )
        )

    problems += link_domain_problems(values["link_domains"])

    region = values["aws_region"]
    if not REGION.fullmatch(region):
        problems.append(
            _bad(
                "aws_region",
                region,
                "is not an AWS region code",
                "use the region the slackgate gateway runs in, e.g. aws_region=eu-west-1",
            )
        )

    trigger = values["trigger"]
    if trigger not in TRIGGERS:
        problems.append(
            _bad("trigger", trigger, "is not a known trigger", f"choose one of {TRIGGERS}")
        )
    elif trigger == "schedule":
        why = schedule_problem(values["schedule_expression"])
        if why:
            problems.append(
                _bad(
                    "schedule_expression",
                    values["schedule_expression"],
                    "is not an EventBridge schedule expression",
                    why,
                )
            )

    if values["python_version"] not in PYTHON_VERSIONS:
        problems.append(
            _bad(
                "python_version",
                values["python_version"],
                "is not a supported Lambda Python runtime",
                f"choose one of {PYTHON_VERSIONS}",
            )
        )

    prefix = values["ssm_prefix"]
    if (
        not SSM_PREFIX.fullmatch(prefix)
        or len(prefix) > MAX_SSM_PREFIX
        or prefix.count("/") + 2 > SSM_MAX_DEPTH
    ):
        problems.append(
            _bad(
                "ssm_prefix",
                prefix,
                "must be a Parameter Store path: '/' followed by segments of letters, digits, "
                "'_', '.', '-', with no trailing '/'",
                "use the prefix the gateway was deployed with, e.g. ssm_prefix=/slackgate",
            )
        )
    elif re.match(r"/(aws|ssm)(/|$)", prefix, re.IGNORECASE):
        problems.append(
            _bad(
                "ssm_prefix",
                prefix,
                "starts with a prefix AWS reserves",
                "e.g. ssm_prefix=/slackgate",
            )
        )

    if resources is not None:
        problems += resource_problems(values, resources)

    if values["deploy"] not in DEPLOY_CHOICES:
        problems.append(_bad("deploy", values["deploy"], "must be 'no' or 'yes'", "e.g. deploy=no"))
    return problems


# --- the command that runs generation again --------------------------------------------------

# How this run was started: the template as given (path, URL or abbreviation), the git
# reference asked for, and cruft's commit when cruft runs the hook.
RUN_JSON = r"""
{
  "template": {{ cookiecutter._template | default("") | tojson }},
  "checkout": {{ cookiecutter._checkout | default("") | tojson }},
  "cruft_commit": {{ cookiecutter._commit | default("") | tojson }}
}
"""
TEMPLATE_PLACEHOLDER = "gh:org/slackgate"


def answer_key(problem: str) -> str:
    """The answer a problem is about: every problem starts `<key> = <value>: ` (see _bad)."""
    return problem.split(" = ", 1)[0]


def template_defaults(template_dir: Path | None, answers: Mapping[str, Any]) -> dict[str, str]:
    """What the template would answer to each question, given the other answers: its
    defaults (project_name from team and function_name, ...) rendered the way cookiecutter
    renders them. Empty when the template or cookiecutter's renderer is not at hand."""
    if template_dir is None:
        return {}
    try:
        from cookiecutter.environment import StrictEnvironment
        from jinja2 import TemplateError
    except ImportError:
        return {}
    try:
        raw = json.loads((template_dir / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    environment = StrictEnvironment(context={}, keep_trailing_newline=True)
    defaults: dict[str, str] = {}
    for key in ANSWER_KEYS:
        value = raw.get(key)
        value = value[0] if isinstance(value, list) and value else value
        if not isinstance(value, str):
            continue
        try:
            defaults[key] = environment.from_string(value).render(cookiecutter=dict(answers))
        except (TemplateError, TypeError):
            continue  # a default that needs an answer that is wrong: no default to compare
    return defaults


def answers_to_keep(
    answers: Mapping[str, Any], problems: Iterable[str], defaults: Mapping[str, str]
) -> dict[str, str]:
    """The right answers that differ from what the template would answer by itself.

    An answer equal to its default is left out so that the next run derives it again: a
    project_name made from a wrong team is made again from the corrected one.
    """
    wrong = {answer_key(problem) for problem in problems}
    kept = {key: answers.get(key) for key in ANSWER_KEYS if key not in wrong}
    return {
        key: value
        for key, value in kept.items()
        if isinstance(value, str) and value != defaults.get(key)
    }


def retry_command(
    run: Mapping[str, Any], kept: Mapping[str, str], project_dir: Path, shell_dir: str | None
) -> str:
    """The command that asks every question again, the kept answers offered as defaults."""
    template = run.get("template") or TEMPLATE_PLACEHOLDER
    output_dir = project_dir.parent
    same_place = shell_dir is not None and Path(shell_dir).resolve() == output_dir.resolve()
    where = [] if same_place else ["--output-dir", str(output_dir)]
    if run.get("cruft_commit"):
        extra = ["--extra-context", json.dumps(dict(kept))] if kept else []
        return shlex.join(["cruft", "create", template, *where, *extra])
    checkout = ["--checkout", run["checkout"]] if run.get("checkout") else []
    given = [f"{key}={value}" for key, value in kept.items()]
    return shlex.join(["cookiecutter", *checkout, *where, template, *given])


def without_questions(run: Mapping[str, Any], wrong: Iterable[str]) -> str:
    """How to turn the retry command into one that asks nothing."""
    if run.get("cruft_commit"):
        names = ", ".join(wrong)
        return f"Or add --no-input to it, and to --extra-context the fixed answers ({names})."
    return "Or add --no-input and the fixed answers to it: " + " ".join(f"{k}=..." for k in wrong)


def report(problems: list[str], retry: str | None = None, hint: str | None = None) -> str:
    lines = [
        f"slackgate: cannot generate the project — {len(problems)} answer(s) need fixing:",
        "",
    ]
    lines += [f"  - {problem}" for problem in problems]
    lines += ["", "Nothing was generated."]
    if retry is not None:
        lines += [
            "Run this to answer again; your other answers are offered as the defaults "
            "(Enter keeps one):",
            "",
            f"  {retry}",
            "",
        ]
    if hint is not None:
        lines.append(hint)
    return "\n".join(lines)


def main() -> int:
    answers = load_answers()
    module = find_resources_module(json.loads(TEMPLATE_LOCATIONS_JSON), os.environ.get("PWD"))
    resources = load_resources(module) if module else None
    if resources is None and (answers.get("reads") or answers.get("writes")):
        print(
            "slackgate: the template's infra/resources.py was not found, so reads and writes "
            "are checked later, when the repository's infra/settings.py is first imported "
            "(make test)",
            file=sys.stderr,
        )
    problems = validate(answers, resources)
    if problems:
        # module is <template>/<PROJECT_TEMPLATE>/infra/resources.py
        template_dir = module.parents[2] if module else None
        kept = answers_to_keep(answers, problems, template_defaults(template_dir, answers))
        shell_dir = os.environ.get("PWD")
        run = json.loads(RUN_JSON)
        retry = retry_command(run, kept, Path.cwd(), shell_dir)
        wrong = dict.fromkeys(answer_key(problem) for problem in problems)
        print(report(problems, retry, without_questions(run, wrong)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
