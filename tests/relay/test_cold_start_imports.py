"""What a cold start imports: the relay as Lambda runs it (its package alone, the bundled JSON
registry, no site-packages) serves a message in a fresh interpreter, and the standard-library
modules that cost most of a cold start are never loaded.

The benchmark (`bench/relay_bench.py`) measures the time; this test holds the cause, so a
change that pulls one of them back onto the hot path fails here rather than showing up as a
slower figure later.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from shared_gateway.infra.bundling import write_bundled_registry
from shared_gateway.local.slack_standin import SlackStandin

RELAY = Path(__file__).resolve().parents[2] / "shared_gateway" / "relay"
CALLER = "arn:aws:sts::123456789012:assumed-role/slackgate-payments-nightly/fn"
# Each costs milliseconds to import (http.client pulls in the email package; pathlib pulls in
# fnmatch and urllib.parse; typing's NamedTuple compiles every field's annotation), and the
# relay needs none of them to check and deliver a message.
NEVER_IMPORTED = (
    "http.client",
    "email",
    "pathlib",
    "tomllib",
    "urllib.request",
    "boto3",
    "logging",
    "typing",
    "urllib",
    "encodings.idna",  # and stringprep: an ASCII domain in the registry needs no codec
    "stringprep",
    "relay.japanese_names",  # Japanese secret names: only for messages with non-ASCII text
)

PROBE = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
sys.stdout = open(os.devnull, "w")
from relay.handler import handler
event = {
    "body": json.dumps({"channel": "payments-alerts", "text": "nightly run: 3 batches, 0 errors"}),
    "requestContext": {"requestId": "r", "identity": {"userArn": sys.argv[2]}},
}
status = handler(event, None)["statusCode"]
sys.stdout = sys.__stdout__
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def test_a_cold_start_delivers_without_the_costly_modules(tmp_path: Path) -> None:
    shutil.copytree(
        RELAY, tmp_path / "task" / "relay", ignore=shutil.ignore_patterns("__pycache__")
    )
    with SlackStandin() as slack:
        written = tmp_path / "registry.toml"
        written.write_text(
            '[teams.payments]\nchannels = ["payments-alerts"]\nlink_domains = ["example.com"]\n'
            f'[channels.payments-alerts]\nurl = "{slack.url}"\n'
        )
        registry = tmp_path / "registry.json"
        write_bundled_registry(written, registry)
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "SLACKGATE_CONFIG": str(registry),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        out = subprocess.run(
            # -I: no environment or user site; -S: no site-packages, as in the Lambda package.
            [sys.executable, "-I", "-S", "-c", PROBE, str(tmp_path / "task"), CALLER],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        result = json.loads(out.stdout)
        assert result["status"] == 200, out.stderr
        assert len(slack.payloads) == 1
    loaded = set(result["modules"])
    assert "socket" in loaded  # the probe did reach the network code
    costly = [
        m for m in NEVER_IMPORTED if m in loaded or any(x.startswith(m + ".") for x in loaded)
    ]
    assert costly == []
