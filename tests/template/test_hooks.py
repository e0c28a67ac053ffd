"""The post-generation hook's functions, and cruft round trips."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .conftest import ROOT
from .template_repo import cruft, git_template

ANSWERS = {
    "team": "paymentsoperations",
    "project_slug": "payments-nightly-report",
    "package_name": "payments_nightly_report",
    "trigger": "schedule",
    "aws_region": "eu-west-1",
    "ssm_prefix": "/slackgate",
    "deploy": "yes",
    "cruft_commit": "",
}


def make_project(root: Path) -> Path:
    project = root / "payments-nightly-report"
    for relative in (
        "README.md",
        "infra/schedule_trigger.py",
        "infra/sqs_trigger.py",
        "tests/test_schedule_trigger.py",
        "tests/test_sqs_trigger.py",
        "events/schedule.json",
        "events/sqs.json",
        "events/none.json",
    ):
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text("x\n")
    return project


@pytest.mark.parametrize("trigger", ["schedule", "sqs", "none"])
def test_removes_the_files_of_other_triggers_and_is_idempotent(post_gen, tmp_path, trigger):
    project = make_project(tmp_path)
    post_gen.remove_unused_files(project, trigger)
    assert post_gen.remove_unused_files(project, trigger) == []
    assert [p.name for p in (project / "events").iterdir()] == [f"{trigger}.json"]
    kept = {p.name for p in (project / "infra").iterdir()}
    assert kept == ({f"{trigger}_trigger.py"} if trigger != "none" else set())


def test_deploys_with_make_deploys_own_approval_policy(
    post_gen, tmp_path, fake_deploy_tools, capsys
):
    make_calls = fake_deploy_tools(exit_code=0)
    project = make_project(tmp_path)

    assert post_gen.main(ANSWERS, project) == 0

    [call] = make_calls.read_text().splitlines()
    # No REQUIRE_APPROVAL of its own: the Makefile's, as for `make deploy` typed by hand.
    assert call == f"{project} deploy"
    makefile = (ROOT / "{{cookiecutter.project_slug}}" / "Makefile").read_text()
    assert "REQUIRE_APPROVAL ?= broadening" in makefile
    assert "deployed" in capsys.readouterr().out


def terminal_recording_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exit_code: int):
    """A `make` first on PATH that records whether its stdin is a terminal, and its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "make.calls"
    make = bin_dir / "make"
    make.write_text(
        "#!/bin/sh\n"
        "if [ -t 0 ]; then stdin=terminal; else stdin=none; fi\n"
        f'echo "$stdin $*" >> "{record}"\n'
        f"exit {exit_code}\n"
    )
    make.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def test_at_a_terminal_cdk_may_ask_for_approval(post_gen, tmp_path, monkeypatch):
    record = terminal_recording_make(tmp_path, monkeypatch, exit_code=0)
    primary, secondary = pty.openpty()
    try:
        with os.fdopen(secondary, "r") as terminal:
            monkeypatch.setattr(sys, "stdin", terminal)
            assert post_gen.deploy(make_project(tmp_path), ANSWERS) is True
    finally:
        os.close(primary)
    assert record.read_text().splitlines() == ["terminal deploy"]


def test_without_a_terminal_nothing_is_approved_for_the_user(
    post_gen, tmp_path, monkeypatch, capsys
):
    # cdk refuses to widen permissions when it cannot ask; make deploy then fails.
    record = terminal_recording_make(tmp_path, monkeypatch, exit_code=2)
    monkeypatch.setattr(sys, "stdin", None)

    assert post_gen.deploy(make_project(tmp_path), ANSWERS) is False

    assert record.read_text().splitlines() == ["none deploy"]
    out = capsys.readouterr().out
    assert "cdk could not ask" in out and "run make deploy at a terminal" in out
    assert "'make deploy' exited with status 2" in out


def test_a_failed_deploy_keeps_the_project_and_says_what_to_do(
    post_gen, tmp_path, fake_deploy_tools, capsys
):
    fake_deploy_tools(exit_code=2)
    project = make_project(tmp_path)

    assert post_gen.main(ANSWERS, project) == 0

    out = capsys.readouterr().out
    assert "'make deploy' exited with status 2" in out
    assert f"cd {project}" in out and "aws sso login" in out and "make deploy" in out
    # The team's own bootstrap (cdk.json's qualifier: the slug's first 10 characters).
    assert (
        "npx cdk bootstrap aws://<account>/eu-west-1 --qualifier paymentsop --toolkit-stack-name "
        "SlackgateToolkit-paymentsoperations --tags slackgate:team=paymentsoperations"
    ) in out
    assert (project / "README.md").is_file()


def test_a_failed_deploy_during_a_bake_keeps_the_repository(bake, fake_deploy_tools, capfd):
    fake_deploy_tools(exit_code=2)
    result = bake(deploy="yes")
    assert result.exit_code == 0, result.exception
    assert (result.project_path / "Makefile").is_file()
    assert "Nothing was lost; to deploy:" in capfd.readouterr().out


def test_never_deploys_or_commits_when_cruft_reruns_the_hook(
    post_gen, tmp_path, fake_deploy_tools, capsys
):
    make_calls = fake_deploy_tools()
    project = make_project(tmp_path)

    assert post_gen.main({**ANSWERS, "cruft_commit": "0" * 40}, project) == 0

    assert not make_calls.exists()
    assert not (project / ".git").exists()
    assert "cruft" in capsys.readouterr().out


def test_never_deploys_over_an_existing_repository(post_gen, tmp_path, fake_deploy_tools):
    make_calls = fake_deploy_tools()
    project = make_project(tmp_path)
    (project / ".git").mkdir()
    assert post_gen.main(ANSWERS, project) == 0
    assert not make_calls.exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_makes_a_first_commit_on_main(post_gen, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no global git identity
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    project = make_project(tmp_path)

    assert post_gen.init_git(project) is True

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git("log", "--format=%s") == post_gen.FIRST_COMMIT_MESSAGE
    assert git("config", "--local", "user.email") == post_gen.FALLBACK_GIT_USER[1]


def test_without_git_the_hook_says_so_and_succeeds(post_gen, tmp_path, monkeypatch, capsys):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    project = make_project(tmp_path)

    assert post_gen.main({**ANSWERS, "deploy": "no"}, project) == 0

    assert not (project / ".git").exists()
    assert "git was not found" in capsys.readouterr().out


def test_deploy_without_make_prints_the_next_steps(post_gen, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    project = make_project(tmp_path)
    assert post_gen.deploy(project, ANSWERS) is False
    out = capsys.readouterr().out
    assert "make, node, npx not found on PATH" in out and "Install what is missing" in out


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cruft_create_then_check(tmp_path):
    template = git_template(tmp_path / "template")
    out = tmp_path / "out"
    out.mkdir()

    created = cruft("create", str(template), "--no-input", "--output-dir", str(out))
    assert created.returncode == 0, created.stdout + created.stderr
    project = out / "payments-nightly-report"
    assert (project / ".cruft.json").is_file()
    assert not (project / "infra" / "sqs_trigger.py").exists()
    assert "cruft" in created.stdout  # the hook noticed and skipped git and deploy

    checked = cruft("check", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


BILLING = {
    "team": "billing",
    "function_name": "digest",
    "default_channel": "billing-alerts",
    "trigger": "sqs",
    "python_version": "3.12",
    "reads": "dynamodb:billing-invoices",
}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cruft_link_reads_the_answers_back_from_the_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # the first commit needs no global identity
    template = git_template(tmp_path / "template")
    project = Path(
        cookiecutter(str(template), no_input=True, extra_context=BILLING, output_dir=str(tmp_path))
    )
    answers = json.loads((project / ".cookiecutter-answers.json").read_text())
    assert answers.items() >= BILLING.items()
    assert answers["project_slug"] == project.name == "billing-digest-report"

    # The command docs/team-template.md and the repository's README give.
    linked = cruft(
        "link", "--no-input", "--extra-context", json.dumps(answers), str(template), cwd=project
    )
    assert linked.returncode == 0, linked.stdout + linked.stderr
    context = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert {key: context[key] for key in answers} == answers
    # The template with those answers makes exactly this repository: updates will apply.
    same = cruft("diff", "--exit-code", cwd=project)
    assert same.returncode == 0, same.stdout + same.stderr

    # Linked without them, cruft records the template's defaults (team payments, schedule).
    (project / ".cruft.json").unlink()
    assert cruft("link", "--no-input", str(template), cwd=project).returncode == 0
    assert cruft("diff", "--exit-code", cwd=project).returncode == 1


def relay_copy(project: Path) -> Path:
    """slackgate_local/ as cookiecutter leaves it: the module, and the copied directories."""
    copy = project / "slackgate_local"
    shutil.copytree(
        ROOT / "{{cookiecutter.project_slug}}" / "slackgate_local",
        copy,
        ignore=shutil.ignore_patterns("relay", "local", "__pycache__"),
    )
    for name in ("relay", "local"):
        (copy / name / "__pycache__").mkdir(parents=True)
        (copy / name / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"\0")
        (copy / name / "module.py").write_text(f"NAME = {name!r}\n")
    return copy


def test_the_relay_copy_loses_its_caches_and_gets_its_manifest(post_gen, tmp_path):
    copy = relay_copy(make_project(tmp_path))

    assert post_gen.finish_relay_copy(copy.parent) == 2
    assert post_gen.finish_relay_copy(copy.parent) == 2  # again: the same result
    assert not list(copy.rglob("__pycache__"))
    manifest = json.loads((copy / "manifest.json").read_text())["files"]
    assert sorted(manifest) == ["local/module.py", "relay/module.py"]
    assert "slackgate_local" not in sys.modules  # the hook's import leaves nothing behind


def test_links_that_arrived_as_files_stop_generation_with_the_reason(post_gen, tmp_path):
    copy = relay_copy(make_project(tmp_path))
    shutil.rmtree(copy / "relay")
    (copy / "relay").write_text("../../shared_gateway/relay")  # git without core.symlinks

    with pytest.raises(post_gen.GenerationError, match="symbolic links were not kept"):
        post_gen.finish_relay_copy(copy.parent)
    assert post_gen.main({**ANSWERS, "deploy": "no"}, copy.parent) == 1
