"""Finishes a freshly generated team repository.

1. Removes the files of options that were not chosen (the other triggers' code and tests).
   Checks the copy of the relay in slackgate_local/ and records its files' hashes.
2. Makes the first git commit, when git is available and this is a new repository.
3. Deploys (`make deploy`) when asked to. A failed deploy prints what to do next and the
   hook still succeeds, so cookiecutter keeps the repository.

cruft re-runs this hook on every `cruft update`, in a scratch directory, to compute the
update; so is a re-generation over an existing repository. In both cases only step 1 runs:
it is deterministic, and steps 2 and 3 have effects outside the files. Nothing here reads
from a terminal; only cdk, under step 3, may ask at one, as `make deploy` does. The answers
are rendered below as JSON text and parsed as data.

The relay's code reaches slackgate_local/ through symbolic links in the template
(slackgate_local/relay -> ../../shared_gateway/relay, copied without rendering): cookiecutter
copies what they point to, and under cruft that is the template at the very commit being
generated, which a hook could not find by itself (cruft gives it no template directory).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ANSWERS_JSON = r"""
{
  "project_slug": {{ cookiecutter.project_slug | tojson }},
  "package_name": {{ cookiecutter.package_name | tojson }},
  "trigger": {{ cookiecutter.trigger | tojson }},
  "aws_region": {{ cookiecutter.aws_region | tojson }},
  "ssm_prefix": {{ cookiecutter.ssm_prefix | tojson }},
  "deploy": {{ cookiecutter.deploy | tojson }},
  "cruft_commit": {{ cookiecutter._commit | default("") | tojson }}
}
"""

# Files that belong to one trigger only; the others' are removed.
FILES_BY_TRIGGER: dict[str, tuple[str, ...]] = {
    "schedule": (
        "infra/schedule_trigger.py",
        "tests/test_schedule_trigger.py",
        "events/schedule.json",
    ),
    "sqs": (
        "infra/sqs_trigger.py",
        "tests/test_sqs_trigger.py",
        "events/sqs.json",
    ),
    "none": ("events/none.json",),
}

FIRST_COMMIT_MESSAGE = "Generate from the slackgate template"
# Used only when git has no identity configured at all, and only in this repository.
FALLBACK_GIT_USER = ("slackgate template", "slackgate-template@localhost")
DEPLOY_TIMEOUT_SECONDS = 3600
RELAY_COPY = "slackgate_local"


class GenerationError(Exception):
    """The repository cannot be finished; the message says why and what to do."""


def load_answers(text: str = ANSWERS_JSON) -> dict[str, Any]:
    return json.loads(text)


def say(message: str) -> None:
    print(f"slackgate: {message}", flush=True)


def remove_unused_files(project_dir: Path, trigger: str) -> list[Path]:
    """Deletes the files of the triggers not chosen; safe to run again."""
    removed: list[Path] = []
    for other, files in FILES_BY_TRIGGER.items():
        if other == trigger:
            continue
        for relative in files:
            path = project_dir / relative
            if path.is_file():
                path.unlink()
                removed.append(path)
    for directory in (project_dir / "events",):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    return removed


def finish_relay_copy(project_dir: Path) -> int:
    """Checks that the relay arrived as code, drops Python's caches from it, and writes its
    manifest; returns how many files it holds. Safe to run again."""
    copy = project_dir / RELAY_COPY
    if not copy.is_dir():
        return 0  # not part of this template version
    for name in ("relay", "local"):
        if not (copy / name).is_dir():
            raise GenerationError(
                f"{RELAY_COPY}/{name} arrived as a file, not as the relay's code: the "
                "template's symbolic links were not kept (a zip download, or git with "
                "core.symlinks=false on Windows). Generate from a git URL or clone: "
                "cookiecutter gh:<org>/slackgate (on Windows: git config --global "
                "core.symlinks true, then clone again)"
            )
        for cache in sorted((copy / name).rglob("__pycache__"), reverse=True):
            shutil.rmtree(cache)
    # The repository's own module writes the manifest, so that writing and checking it
    # (tests/test_slackgate_local.py) can never disagree.
    sys.path.insert(0, str(project_dir))
    try:
        import slackgate_local

        slackgate_local.write_manifest(copy)
        return len(slackgate_local.file_hashes(copy))
    finally:
        sys.path.remove(str(project_dir))
        sys.modules.pop("slackgate_local", None)


def rerun_reason(project_dir: Path, answers: Mapping[str, Any]) -> str | None:
    """Why this is not a first generation (then nothing but file removal may happen)."""
    if answers.get("cruft_commit"):
        return "generated through cruft, which re-runs this hook on every update"
    if (project_dir / ".git").exists():
        return "the directory is already a git repository"
    return None


def _quiet_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for child processes: never prompt, whatever the terminal."""
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.update(extra or {})
    return env


def _git(project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=project_dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_quiet_env(),
        check=False,
    )


def init_git(project_dir: Path) -> bool:
    """`git init` and a first commit; returns whether a commit was made. Never raises."""
    if shutil.which("git") is None:
        say(
            "git was not found, so the repository was not initialised. Once git is "
            "installed: git init -b main && git add -A && git commit -m 'First commit'"
        )
        return False
    inside = _git(project_dir, "rev-parse", "--is-inside-work-tree")
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        say("the project sits inside another git repository; leaving version control to it")
        return False
    steps: list[Sequence[str]] = [
        ("init", "--quiet"),
        # `init -b` needs git 2.28; this works everywhere.
        ("symbolic-ref", "HEAD", "refs/heads/main"),
    ]
    for step in steps:
        if _git(project_dir, *step).returncode != 0:
            say(f"'git {' '.join(step)}' failed; initialise the repository yourself")
            return False
    name, email = FALLBACK_GIT_USER
    if not _git(project_dir, "config", "user.email").stdout.strip():
        _git(project_dir, "config", "user.email", email)
        say(f"git has no user.email configured; set {email!r} for this repository only")
    if not _git(project_dir, "config", "user.name").stdout.strip():
        _git(project_dir, "config", "user.name", name)
    _git(project_dir, "add", "--all")
    # No signing and no commit hooks: either could wait for input nobody can give here.
    commit = _git(
        project_dir,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        FIRST_COMMIT_MESSAGE,
    )
    if commit.returncode != 0:
        say(f"the first commit failed ({commit.stderr.strip()}); commit the files yourself")
        return False
    say("initialised git (branch main) with a first commit")
    return True


def next_steps(project_dir: Path, answers: Mapping[str, Any], exit_code: int | None) -> str:
    """What to do when `make deploy` did not get through."""
    missing = [tool for tool in ("make", "node", "npx") if shutil.which(tool) is None]
    why = (
        f"'make deploy' exited with status {exit_code}"
        if exit_code is not None
        else f"{', '.join(missing)} not found on PATH"
    )
    region = answers.get("aws_region", "")
    prefix = answers.get("ssm_prefix", "/slackgate")
    team = str(answers.get("team", ""))  # its bootstrap: cdk.json's qualifier and toolkit stack
    lines = [
        f"The repository is ready at {project_dir}, but it was not deployed: {why}.",
        "Nothing was lost; to deploy:",
        f"  1. cd {project_dir}",
    ]
    if missing:
        lines.append(f"  2. Install what is missing: {', '.join(missing)} (Node.js 18 or newer).")
    else:
        lines.append("  2. Check the tools: make, Node.js 18 or newer (node --version), npx.")
    lines += [
        "  3. Get credentials for your team's AWS account, e.g. `aws sso login` and",
        "     `export AWS_PROFILE=<profile>`; check with `aws sts get-caller-identity`.",
        f"  4. The account must run the slackgate gateway (its parameters under {prefix}/ in",
        f"     Parameter Store) and have your team's own CDK bootstrap in {region}, made once",
        "     with administrator credentials (or by the platform team):",
        f"     npx cdk bootstrap aws://<account>/{region} --qualifier {team[:10]}"
        f" --toolkit-stack-name SlackgateToolkit-{team} --tags slackgate:team={team}",
        "     ('make deploy' checks it first and prints the exact command for your account).",
        "  5. make deploy",
    ]
    return "\n".join(lines)


def deploy(project_dir: Path, answers: Mapping[str, Any]) -> bool:
    """Runs `make deploy`; on failure prints the next steps. Never raises."""
    if shutil.which("make") is None:
        say(next_steps(project_dir, answers, None))
        return False
    # The approval policy of `make deploy` itself (its REQUIRE_APPROVAL): cdk asks before it
    # widens permissions, which a first deploy does (it creates the role). It can ask only at a
    # terminal; without one it refuses, and nothing is ever approved on the user's behalf.
    at_terminal = sys.stdin is not None and sys.stdin.isatty()
    say("deploying: make deploy")
    try:
        completed = subprocess.run(
            ["make", "deploy"],
            cwd=project_dir,
            stdin=sys.stdin if at_terminal else subprocess.DEVNULL,
            env=_quiet_env(),
            timeout=DEPLOY_TIMEOUT_SECONDS,
            check=False,
        )
        exit_code: int | None = completed.returncode
    except (OSError, subprocess.TimeoutExpired) as error:
        say(f"make deploy could not run: {error}")
        exit_code = -1
    if exit_code == 0:
        say("deployed")
        return True
    if not at_terminal:
        say(
            "no terminal was attached, so cdk could not ask before widening permissions (it "
            "asks before it creates or changes roles and policies, and refuses when it cannot "
            "ask); if that is what stopped it, run make deploy at a terminal"
        )
    say(next_steps(project_dir, answers, exit_code))
    return False


def main(answers: Mapping[str, Any], project_dir: Path) -> int:
    removed = remove_unused_files(project_dir, answers["trigger"])
    if removed:
        say(f"removed {len(removed)} file(s) of the triggers not chosen")
    try:
        copied = finish_relay_copy(project_dir)
    except GenerationError as error:
        print(f"slackgate: {error}", file=sys.stderr, flush=True)
        return 1
    if copied:
        say(f"{RELAY_COPY}/: the relay's code for local runs and tests ({copied} files)")
    reason = rerun_reason(project_dir, answers)
    if reason:
        say(f"{reason}: skipping git initialisation and deploy")
        return 0
    init_git(project_dir)
    if answers.get("deploy") == "yes":
        deploy(project_dir, answers)
    else:
        say(f"done. Next: cd {answers['project_slug']} && make test")
    # Always 0: a failed deploy must not make cookiecutter delete the repository.
    return 0


if __name__ == "__main__":
    sys.exit(main(load_answers(), Path.cwd()))
