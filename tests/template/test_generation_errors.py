"""Wrong answers at generation: a short list of problems with their fixes, no traceback, and a
command that runs generation again with the right answers kept — which, run, works.

Interactive runs are driven without a terminal: the answers are piped to the `cookiecutter`
and `cruft` commands' standard input, one line per question.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from .conftest import ROOT
from .template_repo import CRUFT, git_template

COOKIECUTTER = str(Path(sys.executable).parent / "cookiecutter")
QUESTIONS = [
    key for key in json.loads((ROOT / "cookiecutter.json").read_text()) if not key.startswith("_")
]
TRACEBACK = re.compile(r"Traceback|\bFile \".*\", line \d+|│|ValueError")


def typed(answers: Mapping[str, str]) -> str:
    """What a person types at the prompts: `answers` for those questions, Enter for the rest."""
    assert set(answers) <= set(QUESTIONS)
    return "".join(f"{answers.get(question, '')}\n" for question in QUESTIONS)


def run(command: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`command` as a shell in `cwd` runs it (PWD says where that shell is)."""
    return subprocess.run(
        command,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PWD": str(cwd)},
        timeout=300,
        check=False,
    )


def retry_command(output: str) -> list[str]:
    """The ready-to-paste command of the report, as the shell would split it."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Run this to answer again"))
    command = lines[start + 2]
    assert command.startswith("  ")
    return shlex.split(command)


def answers_of(project: Path) -> dict[str, str]:
    return json.loads((project / ".cookiecutter-answers.json").read_text())


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the user's shell is; the output goes there too. HOME (cookiecutter's replay
    and clone directories, git's identity) is elsewhere, and empty."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    directory = tmp_path / "work"
    directory.mkdir()
    return directory


def test_wrong_answers_typed_at_the_prompts(workdir: Path) -> None:
    wrong = {"team": "Billing", "python_version": "3.10"}
    right = {"function_name": "digest", "trigger": "sqs"}

    first = run([COOKIECUTTER, str(ROOT)], workdir, typed(wrong | right))

    output = first.stdout + first.stderr
    assert first.returncode != 0
    assert not TRACEBACK.search(output), output
    assert "2 answer(s) need fixing" in output
    assert "team = 'Billing'" in output and "python_version = '3.10'" in output
    assert "choose one of ('3.13', '3.14', '3.12', '3.11')" in output
    assert output.count("      fix: ") == 2
    assert "Or add --no-input and the fixed answers to it: team=... python_version=..." in output
    assert list(workdir.iterdir()) == []  # nothing was generated
    # The right answers are kept; the wrong ones and those derived from them are asked again.
    command = retry_command(output)
    assert command == ["cookiecutter", str(ROOT), "function_name=digest", "trigger=sqs"]

    second = run([COOKIECUTTER, *command[1:]], workdir, typed({"team": "billing"}))

    assert second.returncode == 0, second.stdout + second.stderr
    answers = answers_of(workdir / "billing-digest-report")
    assert (
        answers.items()
        >= {
            "team": "billing",
            "function_name": "digest",
            "trigger": "sqs",
            "python_version": "3.13",
            "project_name": "Billing digest report",  # derived again from the corrected team
        }.items()
    )


def test_an_invalid_choice_value_without_prompts(workdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    given = ["python_version=3.10", "team=billing", "function_name=digest"]
    first = run([COOKIECUTTER, "--no-input", str(ROOT), "--output-dir", str(out), *given], workdir)

    output = first.stdout + first.stderr
    assert first.returncode != 0
    assert not TRACEBACK.search(output), output
    assert len(output.splitlines()) < 15, output
    assert "python_version = '3.10': is not a supported Lambda Python runtime" in output
    assert "choose one of ('3.13', '3.14', '3.12', '3.11')" in output
    command = retry_command(output)
    assert command == [
        "cookiecutter",
        "--output-dir",
        str(out),
        str(ROOT),
        "team=billing",
        "function_name=digest",
    ]

    # As the report says: without questions, with the fixed answer added.
    second = run([COOKIECUTTER, *command[1:], "--no-input", "python_version=3.12"], workdir)

    assert second.returncode == 0, second.stdout + second.stderr
    answers = answers_of(out / "billing-digest-report")
    assert answers["python_version"] == "3.12" and answers["team"] == "billing"


def test_called_as_a_library_it_raises_and_prints_only_the_report(tmp_path, capfd) -> None:
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(ROOT), no_input=True, extra_context={"team": "X"}, output_dir=str(tmp_path)
        )
    out, err = capfd.readouterr()
    assert "team = 'X'" in err and "cookiecutter " in err
    # cookiecutter's own log record of the failure (and its stack) is dropped.
    assert not TRACEBACK.search(out + err) and "Stopping generation" not in out + err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_wrong_answer_given_to_cruft_create(workdir: Path, tmp_path: Path) -> None:
    template = git_template(tmp_path / "template")
    given = json.dumps({"team": "Bad", "function_name": "digest"})

    first = run([*CRUFT, "create", str(template), "--no-input", "--extra-context", given], workdir)

    output = first.stdout + first.stderr
    assert first.returncode != 0
    assert not TRACEBACK.search(output), output
    assert "team = 'Bad'" in output
    assert "Or add --no-input to it, and to --extra-context the fixed answers (team)." in output
    command = retry_command(output)
    assert command == [
        "cruft",
        "create",
        str(template),
        "--extra-context",
        '{"function_name": "digest"}',
    ]

    second = run([*CRUFT, *command[1:]], workdir, typed({"team": "billing"}))

    assert second.returncode == 0, second.stdout + second.stderr
    project = workdir / "billing-digest-report"
    assert answers_of(project)["function_name"] == "digest"
    assert json.loads((project / ".cruft.json").read_text())["template"] == str(template)


# --- the parts of the command ------------------------------------------------------------------


def test_kept_answers_leave_out_what_the_template_would_derive(pre_gen) -> None:
    answers = {
        "team": "Bad",
        "function_name": "digest",
        "project_name": "Bad digest report",  # derived from the wrong team
        "project_slug": "bad-digest-report",
        "package_name": "bad_digest_report",
        "default_channel": "billing-alerts",
        "aws_region": "eu-west-1",  # the default
    }
    problems = ["team = 'Bad': must be ...\n      fix: ..."]
    defaults = pre_gen.template_defaults(ROOT, answers)
    assert defaults["project_name"] == "Bad digest report"

    kept = pre_gen.answers_to_keep(answers, problems, defaults)

    assert kept == {"function_name": "digest", "default_channel": "billing-alerts"}
    # Without the template's defaults at hand, every right answer is kept.
    assert set(pre_gen.answers_to_keep(answers, problems, {})) == set(answers) - {"team"}


def test_retry_command_repeats_how_the_template_was_reached(pre_gen, tmp_path) -> None:
    project = tmp_path / "out" / "p"
    kept = {"project_name": "Billing digest", "reads": "s3://b/p/"}
    run = {"template": "../slackgate", "checkout": "v2", "cruft_commit": ""}
    assert pre_gen.retry_command(run, kept, project, str(tmp_path / "out")) == (
        "cookiecutter --checkout v2 ../slackgate 'project_name=Billing digest' reads=s3://b/p/"
    )
    # Run from elsewhere (or with --output-dir): the output directory is repeated.
    assert pre_gen.retry_command({"template": "gh:o/s"}, {}, project, str(tmp_path)) == (
        f"cookiecutter --output-dir {tmp_path / 'out'} gh:o/s"
    )
    assert pre_gen.retry_command({"template": "", "cruft_commit": "ab"}, {}, project, None) == (
        f"cruft create gh:org/slackgate --output-dir {tmp_path / 'out'}"
    )


def test_the_hook_reserves_the_team_slugs_the_registry_reserves(pre_gen) -> None:
    from shared_gateway.relay.registry import RESERVED_TEAM_SLUGS

    assert pre_gen.RESERVED_TEAMS == RESERVED_TEAM_SLUGS
