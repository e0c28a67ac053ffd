"""`make local-relay`: this function's local relay, up until Ctrl-C or its lifetime limit.

    python scripts/local_relay.py [--port 8787] [--max-seconds 3600]

The relay that runs in AWS (slackgate_local/), behind a local API Gateway that checks SigV4
signatures as the deployed one does, with this team's channels and link domains from
infra/settings.py and a Slack stand-in. It makes keys for slackgate-<team>-<function> when
it starts, prints them, and writes them to .slackgate/local-relay.json, where
`make local RELAY_URL=...` finds them. For every message it prints the decision, the
reasons and what Slack would have received.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
# infra/ imports the CDK, whose Node.js runtime would print its end-of-life banner on Node 20.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.settings import SETTINGS  # noqa: E402
from slackgate_local.local.team_commands import (  # noqa: E402
    DEFAULT_MAX_SECONDS,
    DEFAULT_PORT,
    STATE_FILE,
    serve,
)
from slackgate_local.local.team_loop import TeamSpec  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free one")
    parser.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS)
    args = parser.parse_args(argv)
    return serve(
        TeamSpec.from_settings(SETTINGS),
        port=args.port,
        max_seconds=args.max_seconds,
        state_file=REPO_ROOT / STATE_FILE,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
