"""A team repository's `make local-relay` and `make local`, with honest exit codes.

`serve` keeps a `LocalLoop` up on 127.0.0.1 (default port 8787) until Ctrl-C, SIGTERM or its
lifetime limit, printing every message, and writes its URL and keys to a state file so that
`make local RELAY_URL=...` signs with them.

`invoke` runs the function once on an event. Without a relay URL it runs a `LocalLoop` of its
own for the duration of the call (nothing to start first, nothing left running); with one, it
posts to that relay. Exit codes:

    0  the function returned and every message it sent was delivered
    1  what ran failed: the function raised, the relay refused a message, a request was
       refused before the relay (signature), or SQS records failed (`batchItemFailures`)
    2  it could not run: the event file is missing or not JSON, the registry made from the
       settings is invalid, no relay listens at the URL given, or no keys to sign with
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TextIO
from urllib.parse import urlsplit

from ..relay.registry import RegistryError
from .command import StopSignals
from .credentials import AMBIENT_CREDENTIAL_VARIABLES, signing_variables
from .team_loop import LocalLoop, TeamSpec

OK, FAILED, CANNOT_RUN = 0, 1, 2
DEFAULT_PORT = 8787
DEFAULT_MAX_SECONDS = 3600.0
START_RELAY = "make local-relay"
# Where `serve` says which URL and keys it has, under the repository (gitignored).
STATE_FILE = Path(".slackgate") / "local-relay.json"

Handler = Callable[[dict[str, Any], Any], Any]


def serve(
    spec: TeamSpec,
    *,
    port: int = DEFAULT_PORT,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    state_file: Path | None = None,
    out: TextIO | None = None,
) -> int:
    """`make local-relay`: serve until stopped; returns the exit code."""
    out = out or sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    if max_seconds <= 0:
        say(f"the lifetime limit must be a positive number of seconds, not {max_seconds:g}")
        return CANNOT_RUN
    try:
        loop = LocalLoop(spec, port=port, report=say)
    except RegistryError as exc:
        say(f"{exc}\nfix infra/settings.py (channels, link_domains), then run it again")
        return CANNOT_RUN
    except OSError as exc:
        say(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}) - is {START_RELAY} "
            "already running? Stop it, or choose another port: make local-relay "
            "LOCAL_RELAY_PORT=0 (a free one)"
        )
        return CANNOT_RUN
    with StopSignals() as stop, loop:
        key = loop.principal
        if state_file is not None:  # before the ready line: whoever waits for it reads this
            write_state(state_file, loop, time.time() + max_seconds)
        say(loop.describe())  # the first line carries the URL: scripts wait for it
        say(
            f"  sign as {spec.role_arn} with\n"
            f"    AWS_ACCESS_KEY_ID={key.access_key_id} "
            f"AWS_SECRET_ACCESS_KEY={key.secret_access_key} AWS_REGION={spec.region}\n"
            f"  from this repository: make local RELAY_URL={loop.url}  (uses these keys)\n"
            f"  stops by itself after {max_seconds:g} s, or on Ctrl-C"
        )
        try:
            reason = stop.wait(max_seconds, f"its lifetime limit of {max_seconds:g} s")
        finally:
            if state_file is not None:
                state_file.unlink(missing_ok=True)
    delivered = len(loop.exchanges) - len(loop.refused)
    say(
        f"local relay stopped ({reason}): {len(loop.exchanges)} message(s), {delivered} "
        f"delivered, {len(loop.refused)} refused, {len(loop.gateway_refusals)} refused before "
        "the relay"
    )
    return OK


def write_state(path: Path, loop: LocalLoop, expires_at: float) -> None:
    """Where the running relay is and which keys it made (local, made-up keys only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "url": loop.url,
        "access_key_id": loop.principal.access_key_id,
        "secret_access_key": loop.principal.secret_access_key,
        "role_arn": loop.principal.role_arn,
        "region": loop.spec.region,
        "pid": os.getpid(),
        "expires_at": expires_at,
    }
    path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


class Outcome(NamedTuple):
    result: Any = None
    error: str | None = None  # "ExceptionType: message" when the function raised


def invoke(
    load_handler: Callable[[], Handler],
    event_file: Path,
    spec: TeamSpec,
    *,
    relay_url: str | None = None,
    state_file: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`make local`: the function once, on the event in `event_file`; returns the exit code.

    `load_handler` imports the function's handler; it is called once the environment is set,
    so an import error counts as the function failing.
    """
    out, err = out or sys.stdout, err or sys.stderr

    def say(text: str, stream: TextIO = out) -> None:
        print(text, file=stream, flush=True)

    try:
        event = json.loads(event_file.read_text(encoding="utf-8"))
    except OSError as exc:
        say(f"cannot read the event file {event_file}: {exc.strerror or exc}", err)
        return CANNOT_RUN
    except ValueError as exc:
        say(f"the event file {event_file} is not JSON: {exc}", err)
        return CANNOT_RUN

    if relay_url:
        variables = _variables_for_running_relay(relay_url, spec, state_file)
        if isinstance(variables, str):
            say(variables, err)
            return CANNOT_RUN
        with environment(variables):
            outcome = call_function(load_handler, event, err)
        return verdict(outcome, None, say, err)

    try:
        loop = LocalLoop(spec, report=say)
    except RegistryError as exc:
        say(f"{exc}\nfix infra/settings.py (channels, link_domains), then run it again", err)
        return CANNOT_RUN
    with loop, environment(loop.signing_variables()):
        say(f"{loop.describe()}\n  (for this run only; {START_RELAY} keeps one running)")
        outcome = call_function(load_handler, event, err)
    return verdict(outcome, loop, say, err)


def _variables_for_running_relay(
    relay_url: str, spec: TeamSpec, state_file: Path | None
) -> dict[str, str] | str:
    """The signing environment for a relay that should be running, or why there is none."""
    parts = urlsplit(relay_url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme not in ("http", "https") or not host:
        return (
            f"RELAY_URL={relay_url!r} is not an http(s) URL, e.g. http://127.0.0.1:{DEFAULT_PORT}"
        )
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return (
            f"no relay is listening at {relay_url} - start one with `{START_RELAY}` (in "
            "another terminal; it stays up and prints every message), or run `make local` "
            "without RELAY_URL to use one for this run only"
        )
    state = read_state(state_file) if state_file else None
    if state and state.get("url") == relay_url.rstrip("/"):
        key, secret = state["access_key_id"], state["secret_access_key"]
    elif os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        # Some other local relay (e.g. the platform's): the keys are the caller's to give.
        key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    else:
        return (
            f"no keys for the relay at {relay_url}: {START_RELAY} writes the keys it made to "
            f"{state_file}; for another relay, export AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY with keys it knows"
        )
    variables = signing_variables(key, secret, relay_url.rstrip("/"), spec.region)
    return {**variables, "SLACKGATE_CHANNEL": spec.channels[0]}


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Sets `variables` and removes ambient credentials for the block, then restores all."""
    names = {*variables, *AMBIENT_CREDENTIAL_VARIABLES}
    saved = {name: os.environ.get(name) for name in names}
    for name in AMBIENT_CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def call_function(load_handler: Callable[[], Handler], event: Any, err: TextIO) -> Outcome:
    """Imports and calls the handler as Lambda would (context None); never raises."""
    try:
        return Outcome(result=load_handler()(event, None))
    except Exception as exc:
        traceback.print_exc(file=err)
        return Outcome(error=f"{type(exc).__name__}: {exc}")


def batch_item_failures(result: Any) -> list[str]:
    """The ids of failed SQS records in a partial-batch response, or []."""
    if not isinstance(result, Mapping):
        return []
    failures = result.get("batchItemFailures")
    if not isinstance(failures, list):
        return []
    return [
        str(item.get("itemIdentifier")) if isinstance(item, Mapping) else repr(item)
        for item in failures
    ]


def verdict(outcome: Outcome, loop: LocalLoop | None, say: Callable[..., None], err: TextIO) -> int:
    """Prints what the function returned and every failure; returns the exit code."""
    problems: list[str] = []
    if outcome.error:
        problems.append(f"the function raised {outcome.error}")
    else:
        say(f"the function returned: {json.dumps(outcome.result, default=str)}")
    failed = batch_item_failures(outcome.result)
    if failed:
        problems.append(
            f"{len(failed)} SQS record(s) failed and would go back to the queue "
            f"(batchItemFailures): {', '.join(failed)}"
        )
    if loop is not None:
        if loop.refused:
            problems.append(
                f"the relay refused {len(loop.refused)} message(s): "
                + ", ".join(f"#{x.number} {x.error or x.decision}" for x in loop.refused)
            )
        if loop.gateway_refusals:
            problems.append(
                f"{len(loop.gateway_refusals)} request(s) were refused before the relay: "
                + "; ".join(refusal.why for refusal in loop.gateway_refusals)
            )
    if problems:
        say("FAILED:\n" + "\n".join(f"  - {problem}" for problem in problems), err)
        return FAILED
    if loop is not None:
        count = len(loop.exchanges)
        say(f"ok: {count} message(s) delivered" if count else "ok: no message was sent")
    else:
        say("ok (the relay's own output shows what it received)")
    return OK
