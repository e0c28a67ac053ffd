"""Runs the handler on this machine against a slackgate relay: `make local`.

The platform repository runs the local relay with `make local-relay` (127.0.0.1:8787); it
accepts requests signed with the local keys its credentials file maps to
slackgate-<team>-<function>, and posts to a Slack stand-in.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from {{ cookiecutter.package_name }} import handler, slack


def main(argv: list[str]) -> int:
    event_file = Path(argv[1]) if len(argv) > 1 else Path("events/{{ cookiecutter.trigger }}.json")
    event = json.loads(event_file.read_text(encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        result = handler.handler(event, None)
    except slack.MessageBlocked as blocked:
        print(f"blocked by slackgate ({blocked.error}):", file=sys.stderr)
        for reason in blocked.reasons:
            print(
                f"  {reason.get('path')}: [{reason.get('rule')}] {reason.get('message')}",
                file=sys.stderr,
            )
        return 1
    except slack.SlackgateError as error:
        print(f"not delivered: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
