"""`make local-relay`: the local relay on 127.0.0.1:8787 and a Slack stand-in on :9000.

The platform's example registry (teams payments and search) and example credentials, for
trying the relay by hand (curl, botocore) and for a team repo pointed at it:
`make local RELAY_URL=http://127.0.0.1:8787` with the example keys exported. A team repo
needs none of this for itself: its own `make local` and `make local-relay` run the same
relay with its own registry and keys. Whatever reaches "Slack" is printed here. Both
servers stop on Ctrl-C, or by themselves after --max-seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared_gateway.local.processes import start_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relay-port", type=int, default=8787)
    parser.add_argument("--slack-port", type=int, default=9000)
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()
    registry = ROOT / "shared_gateway" / "registry.local.toml"
    if args.slack_port != 9000:
        print("the local registry's channels post to port 9000; keep --slack-port 9000")
        return 2
    slack_args = ["-m", "shared_gateway.local.slack_standin", "--port", str(args.slack_port)]
    relay_args = ["-m", "shared_gateway", "relay", "--port", str(args.relay_port)]
    with start_server("Slack stand-in", slack_args, max_seconds=args.max_seconds) as slack:
        relay_args += ["--registry", str(registry)]
        with start_server("local relay", relay_args, max_seconds=args.max_seconds) as relay:
            print(f"local relay:    {relay.url}  (registry {registry.relative_to(ROOT)})")
            print(f"Slack stand-in: {slack.url}")
            print(
                "From a team repo: AWS_ACCESS_KEY_ID=LOCALPAYMENTSNIGHTLY "
                "AWS_SECRET_ACCESS_KEY=local-secret-payments make local "
                f"RELAY_URL={relay.url}  — Ctrl-C here stops both.",
                flush=True,
            )
            shown = 0
            try:
                while relay.process.poll() is None and slack.process.poll() is None:
                    # The stand-in logs each request it answers on stderr: echo them here.
                    for line in slack.stderr_lines[shown:]:
                        print(f"slack: {line.rstrip()}", flush=True)
                    shown = len(slack.stderr_lines)
                    time.sleep(0.2)
            except KeyboardInterrupt:
                pass
    print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
