"""`make demo`: a team repo baked, both stacks synthesized, one message delivered, one blocked.

Everything runs on this machine: the local relay (SigV4-verifying, in place of API Gateway)
and a Slack stand-in listen on 127.0.0.1 only, are started as child processes, and are
stopped before this script exits, whatever happens. Nothing reaches AWS or Slack.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared_gateway.local.processes import ServerProcess, client_env, start_server  # noqa: E402

BUILD = ROOT / "build" / "demo"
PACKAGE = "payments_nightly_report"
LOCAL_KEYS = ("LOCALPAYMENTSNIGHTLY", "local-secret-payments")  # credentials.example.toml
# Assembled at run time so that no file in the repository holds a key-shaped string.
FAKE_KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"
LEAKY_TEXT = "debug dump: aws_access_key_id=" + FAKE_KEY
SERVER_LIFETIME_SECONDS = 120
QUIET_CDK = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_VERSION_CHECK": "1",
}


class DemoFailed(Exception):
    pass


def step(number: int, title: str) -> None:
    print(f"\n[{number}/6] {title}", flush=True)


def detail(text: str) -> None:
    print(f"      {text}", flush=True)


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    detail(f"{label} ({time.perf_counter() - started:.1f} s)")


def bake_team_repo() -> Path:
    from cookiecutter.main import cookiecutter

    shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir(parents=True)
    with timed("baked with the template's defaults"):
        repo = cookiecutter(
            str(ROOT), no_input=True, output_dir=str(BUILD), extra_context={"deploy": "no"}
        )
    repo_path = Path(repo)
    detail(f"team repo: {repo_path.relative_to(ROOT)}/ (handler: src/{PACKAGE}/handler.py)")
    return repo_path


def synthesize(
    app_dir: Path, outdir: Path, label: str, extra_context: dict[str, object] | None = None
) -> list[Path]:
    """Runs a CDK app the way the CDK CLI does (context from cdk.json), offline."""
    context = json.loads((app_dir / "cdk.json").read_text()).get("context", {})
    context.update(extra_context or {})
    env = {
        **os.environ,
        **QUIET_CDK,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
    }
    with timed(f"{label} synthesized, cdk-nag checks passed"):
        result = subprocess.run(
            [sys.executable, "app.py"],
            cwd=app_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise DemoFailed(f"synthesis of the {label} failed:\n{result.stderr[-3000:]}")
    templates = sorted(outdir.glob("*.template.json"))
    for template in templates:
        resources = json.loads(template.read_text()).get("Resources", {})
        detail(f"{template.relative_to(ROOT)} ({len(resources)} resources)")
    return templates


def check_confinement(repo: Path) -> None:
    """The team repo's own confinement tests: its function can only reach the relay."""
    with timed("confinement tests of the team stack passed"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/test_confinement.py",
            ],
            cwd=repo,
            env={**os.environ, **QUIET_CDK},
            capture_output=True,
            text=True,
            check=False,
        )
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1]
    if result.returncode != 0:
        raise DemoFailed(f"the team stack's confinement tests failed:\n{result.stdout[-3000:]}")
    detail(f"pytest tests/test_confinement.py: {summary}")


def write_local_registry(slack_url: str) -> Path:
    registry = BUILD / "registry.toml"
    registry.write_text(
        "# Written by `make demo`: the channel points at the Slack stand-in.\n"
        '[teams.payments]\nchannels = ["payments-alerts"]\nlink_domains = ["example.com"]\n\n'
        f'[channels.payments-alerts]\nurl = "{slack_url}"\n'
    )
    return registry


def run_in_team_repo(
    repo: Path, relay_url: str, code: list[str]
) -> subprocess.CompletedProcess[str]:
    env = client_env(
        relay_url,
        *LOCAL_KEYS,
        channel="payments-alerts",  # set on the deployed function by its stack
        pythonpath=repo / "src",
    )
    return subprocess.run(
        [sys.executable, *code], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


def deliver_one(repo: Path, relay: ServerProcess, record: Path) -> None:
    result = run_in_team_repo(repo, relay.url, ["scripts/invoke_local.py", "events/schedule.json"])
    if result.returncode != 0:
        raise DemoFailed(f"the handler did not deliver:\n{result.stderr[-3000:]}")
    answer = json.loads(result.stdout)
    detail(f"handler returned {answer} (relay message id)")
    received = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    if not received:
        raise DemoFailed("the Slack stand-in received nothing")
    payload = received[-1]["payload"]
    detail("the Slack stand-in received:")
    detail(f"  text: {payload.get('text')!r}")
    detail(f"  blocks: {', '.join(block.get('type', '?') for block in payload.get('blocks', []))}")
    flags = {key: payload.get(key) for key in ("unfurl_links", "unfurl_media")}
    leftovers = {"channel", "username", "icon_url", "icon_emoji"} & set(payload)
    if any(flags.values()) or leftovers:
        raise DemoFailed(f"the relay forwarded {flags} and {sorted(leftovers)}")
    detail(f"  {flags} (forced off by the relay); no channel, username or icon fields")


def block_one(repo: Path, relay: ServerProcess, record: Path) -> None:
    before = record.read_text().count("\n")
    code = (
        "import json, sys\n"
        f"from {PACKAGE} import slack\n"
        "try:\n"
        f"    slack.post(channel='payments-alerts', text={LEAKY_TEXT!r})\n"
        "except slack.MessageBlocked as blocked:\n"
        "    print(json.dumps({'error': blocked.error, 'reasons': blocked.reasons}))\n"
        "    sys.exit(0)\n"
        "sys.exit('the message was not blocked')\n"
    )
    result = run_in_team_repo(repo, relay.url, ["-c", code])
    if result.returncode != 0:
        raise DemoFailed(f"the leaky message was not blocked: {result.stderr[-2000:]}")
    refusal = json.loads(result.stdout)
    shown = LEAKY_TEXT.replace(FAKE_KEY, FAKE_KEY[:4] + "…")
    detail(f"posted {shown!r} through the team's Slack helper")
    detail(f"relay answered {refusal['error']}:")
    for reason in refusal["reasons"]:
        detail(f"  {reason['path']}: [{reason['rule']}] {reason['message']}")
    if record.read_text().count("\n") != before:
        raise DemoFailed("the blocked message reached the Slack stand-in")
    detail("the Slack stand-in received nothing new")


def still_listening(url: str) -> bool:
    port = int(url.split(":")[2].split("/")[0])
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def main() -> int:
    started = time.perf_counter()
    print("slackgate demo — everything local: 127.0.0.1 only, no AWS, no Slack")
    try:
        step(1, "Bake a team repo from the template")
        repo = bake_team_repo()
        step(2, "Synthesize the shared gateway stack")
        synthesize(
            ROOT / "shared_gateway",
            BUILD / "cdk.out" / "gateway",
            "gateway stack",
            {"slackgate:nag": "true"},  # as `make gateway-synth` does
        )
        step(3, "Synthesize the team's stack and check its confinement")
        synthesize(repo, BUILD / "cdk.out" / "team", "team stack")
        check_confinement(repo)
        with ExitStack() as servers:
            step(4, "Start the Slack stand-in and the local relay (SigV4, like API Gateway)")
            record = BUILD / "slack-received.jsonl"
            record.touch()
            slack = servers.enter_context(
                start_server(
                    "Slack stand-in",
                    [
                        "-m",
                        "shared_gateway.local.slack_standin",
                        "--port",
                        "0",
                        "--record",
                        str(record),
                    ],
                    max_seconds=SERVER_LIFETIME_SECONDS,
                )
            )
            detail(f"Slack stand-in: {slack.url}")
            relay = servers.enter_context(
                start_server(
                    "local relay",
                    [
                        "-m",
                        "shared_gateway",
                        "relay",
                        "--port",
                        "0",
                        "--registry",
                        str(write_local_registry(slack.url)),
                    ],
                    max_seconds=SERVER_LIFETIME_SECONDS,
                )
            )
            detail(f"local relay: {relay.url}/v1/messages")
            step(5, "Run the team's handler: its report goes out")
            deliver_one(repo, relay, record)
            step(6, "Post a message carrying an AWS key: the relay blocks it")
            block_one(repo, relay, record)
        left = [server.url for server in (slack, relay) if still_listening(server.url)]
        if left:
            raise DemoFailed(f"still listening after stop: {', '.join(left)}")
        detail("both servers stopped; nothing left listening")
    except DemoFailed as failure:
        print(f"\ndemo failed: {failure}", file=sys.stderr)
        return 1
    print(f"\ndone in {time.perf_counter() - started:.1f} s — one message delivered, one blocked.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
