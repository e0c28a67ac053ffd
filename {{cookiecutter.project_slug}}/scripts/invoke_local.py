"""`make local`: runs the function once on this machine, through the relay's real policy.

    python scripts/invoke_local.py [EVENT_FILE] [--relay-url URL]

Without --relay-url it starts a local relay for this run only (slackgate_local/: the relay
that runs in AWS, with this team's channels and link domains from infra/settings.py, and
keys made now for slackgate-<team>-<function>), prints what it decided about each message
and what Slack would have received, and stops it. With --relay-url it posts to the relay
`make local-relay` keeps running, signing with the keys that one wrote to
.slackgate/local-relay.json.

Exit status: 0 when every message was delivered; 1 when the function raised, a message was
refused or SQS records failed (batchItemFailures); 2 when it could not run (event file,
settings, no relay at --relay-url).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT / "src"), str(REPO_ROOT)]
# infra/ imports the CDK, whose Node.js runtime would print its end-of-life banner on Node 20.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.settings import SETTINGS  # noqa: E402
from slackgate_local.local.team_commands import STATE_FILE, invoke  # noqa: E402
from slackgate_local.local.team_loop import TeamSpec  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "event", nargs="?", default=f"events/{SETTINGS.trigger}.json", help="the event (JSON)"
    )
    parser.add_argument("--relay-url", help="a running local relay (make local-relay)")
    args = parser.parse_args(argv)
    return invoke(
        lambda: importlib.import_module(f"{SETTINGS.package_name}.handler").handler,
        Path(args.event),
        TeamSpec.from_settings(SETTINGS),
        relay_url=args.relay_url,
        state_file=REPO_ROOT / STATE_FILE,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
