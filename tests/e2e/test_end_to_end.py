"""End to end across real process boundaries: a baked team repo's handler in its own process
→ SigV4-signed HTTP → the local relay process → the Slack stand-in process, all on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from shared_gateway.local.processes import ServerProcess, client_env, start_server

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "payments_nightly_report"
PAYMENTS_KEYS = ("LOCALPAYMENTSNIGHTLY", "local-secret-payments")  # credentials.example.toml
OUTSIDER_KEYS = ("LOCALOUTSIDER", "local-secret-outsider")
FAKE_KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def team_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("baked")
    return Path(cookiecutter(str(ROOT), no_input=True, output_dir=str(out)))


class Stack:
    """A Slack stand-in process and a local relay process whose registry points at it."""

    def __init__(self, workdir: Path, script: str) -> None:
        self.record = workdir / "slack.jsonl"
        self.record.touch()
        self.slack = start_server(
            "Slack stand-in",
            [
                "-m",
                "shared_gateway.local.slack_standin",
                "--script",
                script,
                "--record",
                str(self.record),
            ],
            max_seconds=120,
        )
        registry = workdir / "registry.toml"
        registry.write_text(
            '[teams.payments]\nchannels = ["payments-alerts"]\n'
            '[teams.search]\nchannels = ["search-reports"]\n'
            f'[channels.payments-alerts]\nurl = "{self.slack.url}"\n'
            f'[channels.search-reports]\nurl = "{self.slack.url}"\n'
        )
        self.relay = start_server(
            "local relay",
            ["-m", "shared_gateway", "relay", "--port", "0", "--registry", str(registry)],
            max_seconds=120,
        )

    def received(self) -> list[dict[str, object]]:
        lines = self.record.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        for server in (self.relay, self.slack):
            server.stop()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path, script="")
    yield running
    running.stop()


def run_team_code(
    repo: Path, relay: ServerProcess, code: list[str], keys: tuple[str, str] = PAYMENTS_KEYS
) -> subprocess.CompletedProcess[str]:
    env = client_env(relay.url, *keys, channel="payments-alerts", pythonpath=repo / "src")
    return subprocess.run(
        [sys.executable, *code], cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )


def post_with_helper(repo: Path, relay: ServerProcess, keys=PAYMENTS_KEYS, **message) -> dict:  # type: ignore[no-untyped-def]
    """Posts through the baked repo's own Slack helper; returns what it raised or returned."""
    code = (
        "import json, sys\n"
        f"from {PACKAGE} import slack\n"
        "try:\n"
        f"    print(json.dumps({{'id': slack.post(**{message!r})}}))\n"
        "except slack.MessageBlocked as e:\n"
        "    print(json.dumps({'blocked': e.error, 'reasons': e.reasons, 'status': e.status}))\n"
        "except slack.SlackgateError as e:\n"
        "    print(json.dumps({'failed': str(e), 'status': e.status}))\n"
    )
    result = run_team_code(repo, relay, ["-c", code], keys)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_baked_handler_delivers_through_the_relay(team_repo: Path, stack: Stack) -> None:
    # make local's script, pointed at this relay process (it signs with the keys in env).
    invoke = ["scripts/invoke_local.py", "events/schedule.json", "--relay-url", stack.relay.url]
    result = run_team_code(team_repo, stack.relay, invoke)
    assert result.returncode == 0, result.stderr
    returned = "the function returned: "
    [line] = [line for line in result.stdout.splitlines() if line.startswith(returned)]
    message_id = json.loads(line.removeprefix(returned))["message_id"]
    [request] = stack.received()
    payload = request["payload"]
    assert payload["blocks"][0]["type"] == "header"
    assert "Payments nightly report" in payload["text"]
    assert payload["unfurl_links"] is False and "channel" not in payload
    assert len(message_id) == 32
    # The relay's log line names the caller's team and the decision, never the content.
    stack.relay.stop()
    records = [json.loads(line) for line in stack.relay.stdout_lines if line.startswith("{")]
    [record] = [r for r in records if r.get("event") == "relay_request"]
    assert (record["team"], record["decision"], record["message_id"]) == (
        "payments",
        "delivered",
        message_id,
    )
    assert not any("Payments nightly report" in line for line in stack.relay.stdout_lines)


def test_secret_is_blocked_and_never_reaches_slack(team_repo: Path, stack: Stack) -> None:
    answer = post_with_helper(team_repo, stack.relay, text=f"creds: {FAKE_KEY}")
    assert answer["blocked"] == "content_blocked" and answer["status"] == 422
    assert answer["reasons"][0]["rule"] == "aws-access-key-id"
    assert FAKE_KEY not in json.dumps(answer)
    assert stack.received() == []


def test_another_teams_channel_is_refused(team_repo: Path, stack: Stack) -> None:
    answer = post_with_helper(team_repo, stack.relay, channel="search-reports", text="hello")
    assert (answer["blocked"], answer["status"]) == ("channel_not_allowed", 403)
    assert stack.received() == []


def test_a_role_outside_slackgate_is_an_unknown_caller(team_repo: Path, stack: Stack) -> None:
    answer = post_with_helper(team_repo, stack.relay, keys=OUTSIDER_KEYS, text="hello")
    assert (answer["blocked"], answer["status"]) == ("unknown_caller", 403)


def test_unsigned_request_is_refused_before_the_relay(stack: Stack) -> None:
    body = json.dumps({"channel": "payments-alerts", "text": "hello"}).encode()
    request = urllib.request.Request(f"{stack.relay.url}/v1/messages", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 403
    assert json.loads(caught.value.read())["message"] == "Missing Authentication Token"
    assert stack.received() == []


def test_slack_429_then_200_is_delivered(team_repo: Path, tmp_path: Path) -> None:
    flaky = Stack(tmp_path, script="rate_limited:1,ok")
    try:
        answer = post_with_helper(team_repo, flaky.relay, text="nightly report")
        assert "id" in answer, answer
        assert [r["behaviour"] for r in flaky.received()] == ["rate_limited:1", "ok"]
    finally:
        flaky.stop()
