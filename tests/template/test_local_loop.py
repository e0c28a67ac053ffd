"""A baked team repository's local loop, for a team and function in no example file: `make local`
and `make local-relay` run the relay's real policy with this team's registry, report every
message, and exit non-zero when anything failed; its tests refuse what the relay refuses; and
its copy of the relay is the template's, unmodified.

The baked repositories run with this repository's virtual environment (the pins are the same,
test_bake.py checks it): `make ... BIN=<this venv>`, with the install stamp in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
]

BIN = Path(sys.executable).parent
TEAM = {
    "project_name": "Billing digest",
    "team": "billing",
    "function_name": "digest",
    "default_channel": "billing-alerts",
    "link_domains": "example.com",
    "aws_region": "eu-west-2",
}
FAKE_KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"  # the shape of an AWS access key id, not a real one
# A handler that posts what the event says: the team's code, as it might be written.
PROBE_HANDLER = """
from . import slack


def handler(event, context):
    if "raise" in event:
        raise ValueError(event["raise"])
    return {"message_id": slack.post(**event["message"])}
"""


def bake(output: Path, **answers: str) -> Path:
    project = Path(
        cookiecutter(str(ROOT), no_input=True, output_dir=str(output), extra_context=answers)
    )
    # As if `make setup` had run: make uses BIN's python and installs nothing.
    (project / ".venv").mkdir()
    (project / ".venv" / ".installed-stamp").touch()
    return project


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("baked"), **TEAM)


@pytest.fixture(scope="module")
def probe_repo(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    probe = tmp_path_factory.mktemp("probe") / repo.name
    shutil.copytree(repo, probe, symlinks=True)
    (probe / "src" / "billing_digest" / "handler.py").write_text(PROBE_HANDLER)
    return probe


def clean_env() -> dict[str, str]:
    """No credentials or relay settings of this machine leak into the baked repo's run."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "SLACKGATE_", "MAKE")) and key != "MFLAGS"
    }


def make(project: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"BIN={BIN}"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def make_local(project: Path, event: object | None = None, *args: str):  # type: ignore[no-untyped-def]
    if event is not None:
        (project / "event.json").write_text(json.dumps(event))
        args = ("EVENT=event.json", *args)
    return make(project, "local", *args)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# make local: the function once, through the relay's real policy.


def test_make_local_delivers_the_handlers_report_and_shows_what_slack_received(repo: Path) -> None:
    run = make_local(repo)

    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "slackgate local relay for slackgate-billing-digest on http://127.0.0.1:" in out
    assert "team billing: channels billing-alerts; link domains example.com" in out
    assert "#1 delivered -> billing-alerts (200; id " in out
    assert "signed by slackgate-billing-digest" in out
    assert "blocks   3: header, section, context" in out
    assert "[0] header   Billing digest — 2026-01-31" in out
    assert "unfurl   links false, media false" in out
    assert out.rstrip().endswith("ok: 1 message(s) delivered")


@pytest.mark.parametrize(
    ("message", "headline", "shown"),
    [
        (
            {"text": f"deploy key {FAKE_KEY}"},
            "#1 blocked -> billing-alerts (422 content_blocked",
            "[aws-access-key-id]",
        ),
        (
            {"text": "report: <https://reports.example.net/x|open>"},
            "#1 blocked -> billing-alerts (422 content_blocked",
            "[link_not_allowed]",
        ),
        (
            {"channel": "search-reports", "text": "hello"},
            "#1 denied -> search-reports (403 channel_not_allowed",
            "team 'billing' may post to billing-alerts, not 'search-reports'",
        ),
    ],
    ids=["secret", "link outside link_domains", "another team's channel"],
)
def test_make_local_exits_1_when_the_relay_refuses(
    probe_repo: Path, message, headline, shown
) -> None:
    run = make_local(probe_repo, {"message": message})

    assert run.returncode != 0, run.stdout
    assert headline in run.stdout and shown in run.stdout
    assert "Slack received nothing." in run.stdout
    assert "FAILED:" in run.stderr and "the relay refused 1 message(s)" in run.stderr
    assert FAKE_KEY not in run.stdout + run.stderr  # reasons are masked


def test_make_local_delivers_a_link_to_the_teams_domain(probe_repo: Path) -> None:
    run = make_local(probe_repo, {"message": {"text": "<https://status.example.com/b|status>"}})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "links    https://status.example.com/b" in run.stdout


def test_make_local_exits_1_when_the_function_raises(probe_repo: Path) -> None:
    run = make_local(probe_repo, {"raise": "no figures today"})
    assert run.returncode != 0
    assert "the function raised ValueError: no figures today" in run.stderr
    assert "Traceback" in run.stderr


def test_make_local_exits_1_for_a_failed_sqs_record(tmp_path: Path) -> None:
    project = bake(tmp_path, **{**TEAM, "function_name": "ingest", "trigger": "sqs"})
    records = [
        {"messageId": "good-1", "body": json.dumps({"day": "2026-01-31"})},
        {"messageId": "bad-2", "body": "not json"},
    ]
    run = make_local(project, {"Records": records})

    assert run.returncode != 0, run.stdout
    assert "#1 delivered -> billing-alerts" in run.stdout  # the good record got through
    assert "signed by slackgate-billing-ingest" in run.stdout
    assert "1 SQS record(s) failed and would go back to the queue (batchItemFailures): bad-2" in (
        run.stderr
    )


def test_make_local_exits_2_and_says_how_to_start_a_relay_that_is_not_running(repo: Path) -> None:
    run = make_local(repo, None, f"RELAY_URL=http://127.0.0.1:{free_port()}")
    assert run.returncode != 0
    assert "no relay is listening at http://127.0.0.1:" in run.stderr
    assert "start one with `make local-relay`" in run.stderr


# make local-relay: a relay that stays up, and make local posting to it.


def test_make_local_relay_serves_make_local_and_stops_by_itself(repo: Path) -> None:
    command = ["make", "--no-print-directory", "local-relay", f"BIN={BIN}", "LOCAL_RELAY_PORT=0"]
    relay = subprocess.Popen(
        [*command, "LOCAL_RELAY_SECONDS=6"],
        cwd=repo,
        env={**clean_env(), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert relay.stdout is not None
        first = relay.stdout.readline()
        assert first.startswith("slackgate local relay for slackgate-billing-digest on "), first
        url = next(word for word in first.split() if word.startswith("http://127.0.0.1:"))
        state = json.loads((repo / ".slackgate" / "local-relay.json").read_text())
        assert state["url"] == url and state["access_key_id"].startswith("LOCALBILLINGDIGEST")

        run = make_local(repo, None, f"RELAY_URL={url}")
        assert run.returncode == 0, run.stdout + run.stderr

        # Not communicate(timeout=...): that reads the raw pipe and loses what readline()
        # above already buffered. The relay's lifetime limit ends the read.
        output = relay.stdout.read()
        relay.wait(timeout=30)
    finally:
        if relay.poll() is None:
            relay.kill()
    assert relay.returncode == 0
    assert f"AWS_ACCESS_KEY_ID={state['access_key_id']}" in output
    assert "#1 delivered -> billing-alerts" in output
    assert "local relay stopped (its lifetime limit of 6 s): 1 message(s), 1 delivered" in output
    assert not (repo / ".slackgate" / "local-relay.json").exists()


# The repository's own tests, and its copy of the relay.


def run_tests(project: Path, *tests: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_repositorys_tests_run_the_real_policy(repo: Path) -> None:
    run = run_tests(repo, "tests/test_policy.py", "tests/test_slackgate_local.py")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "7 passed" in run.stdout


def test_a_handler_posting_a_link_outside_link_domains_fails_the_tests(
    repo: Path, tmp_path: Path
) -> None:
    copy = tmp_path / repo.name
    shutil.copytree(repo, copy, symlinks=True)
    handler = copy / "src" / "billing_digest" / "handler.py"
    source = handler.read_text()
    assert '"Generated {day:%H:%M} UTC"' in source
    handler.write_text(
        source.replace('"Generated {day:%H:%M} UTC"', '"Generated <https://evil.example.net|here>"')
    )
    run = run_tests(
        copy, "tests/test_policy.py::test_what_the_handler_posts_passes_the_relays_policy"
    )
    assert run.returncode == 1
    assert "link_not_allowed" in run.stdout


def sources(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in directory.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_copy_is_the_templates_relay_to_the_byte(repo: Path) -> None:
    copy = repo / "slackgate_local"
    for name in ("relay", "local"):
        assert sources(copy / name) == sources(ROOT / "shared_gateway" / name), name
    manifest = json.loads((copy / "manifest.json").read_text())["files"]
    assert manifest == {
        f"{name}/{path}": digest
        for name in ("relay", "local")
        for path, digest in sources(copy / name).items()
    }
    assert not list(copy.rglob("__pycache__"))  # nothing of the template's working tree


def test_a_changed_copy_fails_the_repositorys_tests(repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / repo.name
    shutil.copytree(repo, copy, symlinks=True)
    policy = copy / "slackgate_local" / "relay" / "policy.py"
    policy.write_text(policy.read_text() + "\n# let it through\n")
    (copy / "slackgate_local" / "relay" / "extra.py").write_text("")
    run = run_tests(copy, "tests/test_slackgate_local.py")
    assert run.returncode == 1
    assert "relay/policy.py: changed" in run.stdout
    assert "relay/extra.py: added (not in the manifest)" in run.stdout


def test_the_relay_imports_in_place_and_as_the_copy(repo: Path) -> None:
    code = (
        "import slackgate_local.local.server as s, slackgate_local.relay.handler as h\n"
        "server = s.make_server(principals={})\n"
        "print(server.handler is h.handler)\n"
        "server.server_close()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False
    )
    assert run.stdout.strip() == "True", run.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cruft_update_brings_the_templates_new_relay(tmp_path: Path) -> None:
    template = tmp_path / "template"
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ruff_cache")
    for part in (
        "hooks",
        "{{cookiecutter.project_slug}}",
        "shared_gateway/relay",
        "shared_gateway/local",
    ):
        # symlinks=True: the template's links into shared_gateway/ stay links, as in git.
        shutil.copytree(ROOT / part, template / part, symlinks=True, ignore=ignore)
    shutil.copy(ROOT / "cookiecutter.json", template)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]

    def commit(directory: Path, message: str) -> None:
        for args in (["add", "-A"], ["commit", "-q", "--no-verify", "-m", message]):
            subprocess.run([*git, *args], cwd=directory, check=True, capture_output=True)

    subprocess.run(["git", "init", "-q"], cwd=template, check=True)
    commit(template, "template")
    cruft = [sys.executable, "-m", "cruft"]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(TEAM))
    out = tmp_path / "out"
    create = [*cruft, "create", str(template), "--no-input", "--output-dir", str(out)]
    created = subprocess.run(
        [*create, "--extra-context-file", str(answers)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    project = out / "billing-digest"
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    commit(project, "generated")

    policy = template / "shared_gateway" / "relay" / "policy.py"
    policy.write_text(policy.read_text() + "\n# a newer relay\n")
    commit(template, "relay: a newer policy")
    updated = subprocess.run(
        [*cruft, "update", "--skip-apply-ask", "--allow-untracked-files"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert updated.returncode == 0, updated.stdout + updated.stderr
    copied = project / "slackgate_local" / "relay" / "policy.py"
    assert copied.read_text().endswith("\n# a newer relay\n")
    run = run_tests(project, "tests/test_slackgate_local.py")  # the manifest came along
    assert run.returncode == 0, run.stdout[-2000:]
