"""`make demo`: a team repo baked, both stacks synthesized, one message delivered, one blocked.

The team repo declares that its function reads an S3 prefix, and the gateway enables S3 in
its data perimeter; the handler reads "its" bucket and posts a summary of what it found.
Everything runs on this machine: the local relay (SigV4-verifying, in place of API Gateway),
a Slack stand-in and an AWS stand-in (moto, holding the bucket) listen on 127.0.0.1 only,
are started as child processes, and are stopped before this script exits, whatever
happens. Nothing reaches AWS or Slack.
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

from shared_gateway.iampolicy import resolve_cfn  # noqa: E402
from shared_gateway.local.processes import ServerProcess, client_env, start_server  # noqa: E402

BUILD = ROOT / "build" / "demo"
PACKAGE = "payments_nightly_report"
LOCAL_KEYS = ("LOCALPAYMENTSNIGHTLY", "local-secret-payments")  # credentials.example.toml
# Assembled at run time so that no file in the repository holds a key-shaped string.
FAKE_KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"
LEAKY_TEXT = "debug dump: aws_access_key_id=" + FAKE_KEY
SERVER_LIFETIME_SECONDS = 120
STEPS = 7
# What the demo team's function declares it reads, and what the bucket holds.
DATA_BUCKET = "payments-reports"
DATA_PREFIX = "daily/"
DEMO_READS = f"s3://{DATA_BUCKET}/{DATA_PREFIX}"
DEMO_OBJECTS = {
    "daily/2026-12-01.csv": "day,settled,failed\n2026-12-01,1183,2\n",
    "daily/2026-12-02.csv": "day,settled,failed\n2026-12-02,1241,0\n",
    "private/salaries.csv": "outside the declared prefix: the function may not read this\n",
}
GATEWAY_SERVICES = ["s3"]  # the gateway's data perimeter: S3 through a gateway endpoint
QUIET_CDK = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_VERSION_CHECK": "1",
}


class DemoFailed(Exception):
    pass


def step(number: int, title: str) -> None:
    print(f"\n[{number}/{STEPS}] {title}", flush=True)


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
    with timed(f"baked with the template's defaults, reading {DEMO_READS}"):
        repo = cookiecutter(
            str(ROOT),
            no_input=True,
            output_dir=str(BUILD),
            extra_context={"deploy": "no", "reads": DEMO_READS},
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


def function_environment(templates: list[Path]) -> dict[str, str]:
    """The environment the team stack gives its function (names of what it reads, ...)."""
    for template in templates:
        for resource in json.loads(template.read_text()).get("Resources", {}).values():
            if resource.get("Type") == "AWS::Lambda::Function":
                variables = resource["Properties"].get("Environment", {}).get("Variables", {})
                return {k: v for k, v in variables.items() if isinstance(v, str)}
    raise DemoFailed("the team stack has no function")


def describe_perimeter(templates: list[Path]) -> None:
    resources = json.loads(templates[0].read_text()).get("Resources", {}).values()
    endpoints = [r["Properties"] for r in resources if r.get("Type") == "AWS::EC2::VPCEndpoint"]
    for endpoint in endpoints:
        service = resolve_cfn(endpoint.get("ServiceName"), {"AWS::Region": "eu-west-1"})
        kind = endpoint.get("VpcEndpointType", "Gateway")
        conditions = {
            key
            for statement in (endpoint.get("PolicyDocument") or {}).get("Statement", [])
            for key in statement.get("Condition", {}).get("StringEquals", {})
        }
        perimeter = ", ".join(sorted(conditions)) or "the relay API only"
        detail(f"  endpoint {service} ({kind}): {perimeter}")


def seed_bucket(aws_url: str) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=aws_url,
        region_name="eu-west-1",
        aws_access_key_id="demo",
        aws_secret_access_key="demo",
    )
    s3.create_bucket(
        Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    for key, body in DEMO_OBJECTS.items():
        s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body.encode())
    detail(f"bucket {DATA_BUCKET}: {', '.join(DEMO_OBJECTS)}")


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
    repo: Path, relay_url: str, code: list[str], function_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = client_env(
        relay_url,
        *LOCAL_KEYS,
        channel="payments-alerts",  # set on the deployed function by its stack
        pythonpath=repo / "src",
    )
    env.update(function_env or {})
    return subprocess.run(
        [sys.executable, *code], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


def deliver_one(
    repo: Path, relay: ServerProcess, record: Path, function_env: dict[str, str]
) -> None:
    detail(f"SLACKGATE_READS (from the synthesized team stack): {function_env['SLACKGATE_READS']}")
    # The Lambda entry point with the schedule event, as Lambda would call it.
    code = (
        "import json, pathlib\n"
        f"from {PACKAGE} import handler\n"
        "event = json.loads(pathlib.Path('events/schedule.json').read_text())\n"
        "print(json.dumps(handler.handler(event, None)))\n"
    )
    result = run_in_team_repo(repo, relay.url, ["-c", code], function_env)
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
    sections = [
        block["text"]["text"]
        for block in payload.get("blocks", [])
        if block.get("type") == "section" and isinstance(block.get("text"), dict)
    ]
    for line in "\n".join(sections).splitlines():
        detail(f"    {line}")
    if DATA_BUCKET not in "\n".join(sections) or "2026-12-02.csv" not in "\n".join(sections):
        raise DemoFailed("the report does not summarise what the function read from S3")
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
        step(2, f"Synthesize the shared gateway stack (data perimeter: {GATEWAY_SERVICES})")
        gateway = synthesize(
            ROOT / "shared_gateway",
            BUILD / "cdk.out" / "gateway",
            "gateway stack",
            # cdk-nag as `make gateway-synth` does, and S3 enabled for team functions.
            {"slackgate:nag": "true", "slackgate:services": GATEWAY_SERVICES},
        )
        describe_perimeter(gateway)
        step(3, "Synthesize the team's stack and check its confinement")
        team = synthesize(repo, BUILD / "cdk.out" / "team", "team stack")
        check_confinement(repo)
        with ExitStack() as servers:
            step(4, "Start the Slack stand-in, the local relay and the AWS stand-in (moto)")
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
            aws = servers.enter_context(
                start_server(
                    "AWS stand-in",
                    [str(ROOT / "scripts" / "aws_standin.py"), "--port", "0"],
                    max_seconds=SERVER_LIFETIME_SECONDS,
                )
            )
            detail(f"AWS stand-in: {aws.url}")
            step(5, f"Put the team's data in its bucket ({DEMO_READS})")
            seed_bucket(aws.url)
            step(6, "Run the team's handler: it reads its bucket, and its report goes out")
            function_env = {**function_environment(team), "AWS_ENDPOINT_URL_S3": aws.url}
            deliver_one(repo, relay, record, function_env)
            step(7, "Post a message carrying an AWS key: the relay blocks it")
            block_one(repo, relay, record)
        servers_used = (slack, relay, aws)
        left = [server.url for server in servers_used if still_listening(server.url)]
        if left:
            raise DemoFailed(f"still listening after stop: {', '.join(left)}")
        detail("all three servers stopped; nothing left listening")
    except DemoFailed as failure:
        print(f"\ndemo failed: {failure}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(f"\ndone in {elapsed:.1f} s — a report read from S3 delivered, a leaky message blocked.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
