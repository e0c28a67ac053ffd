"""slackgate_local/ is the relay as the template shipped it. Changed, `make local` and the tests
would pass messages that the relay in AWS refuses (or the other way round)."""

from __future__ import annotations

import slackgate_local


def test_the_relay_copy_is_unmodified() -> None:
    changes = slackgate_local.changes()
    assert not changes, (
        "slackgate_local/ differs from what the template generated (its manifest.json):\n  "
        + "\n  ".join(changes)
        + "\nrestore it with `git checkout -- slackgate_local`, or take the template's new "
        "version with `cruft update`"
    )


def test_the_copy_holds_the_relay_and_the_local_gateway() -> None:
    files = slackgate_local.file_hashes()
    for needed in ("relay/handler.py", "relay/policy.py", "local/server.py", "local/sigv4.py"):
        assert needed in files
