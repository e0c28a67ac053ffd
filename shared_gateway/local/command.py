"""Run the relay locally behind an API Gateway stand-in (SigV4 checked) on 127.0.0.1.

Requests must be signed (SigV4, service execute-api) with a key from the local credentials
file; the relay then sees the caller as that key's role ARN, as it would in AWS. The server
listens on 127.0.0.1 only. It prints its base URL on one line when ready, logs one line per
request to stderr, and stops on Ctrl-C, SIGTERM or after --max-seconds.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

DEFAULT_PORT = 8787


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        required=True,
        metavar="PATH",
        help="the registry of teams and channels (TOML); exported to the relay as SLACKGATE_CONFIG",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one and prints it)",
    )
    parser.add_argument(
        "--credentials",
        metavar="FILE",
        help="local credentials file (TOML: access key -> secret and role ARN); default: the "
        "example file shipped with slackgate, for local use only",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        metavar="N",
        help="stop by itself after N seconds (for scripts and tests)",
    )


def run(args: argparse.Namespace) -> int:
    from ..relay.registry import RegistryError, load_registry
    from .credentials import DEFAULT_CREDENTIALS_PATH, CredentialsError, load_credentials
    from .server import make_server

    if not 0 <= args.port <= 65535:
        print(f"--port {args.port}: use 0-65535 (0 picks a free port)", file=sys.stderr)
        return 2
    if args.max_seconds is not None and args.max_seconds <= 0:
        print(f"--max-seconds {args.max_seconds:g}: use a positive number", file=sys.stderr)
        return 2
    registry_path = Path(args.registry).resolve()
    try:
        registry = load_registry(registry_path)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 2
    from_secrets = sorted(set(registry.channels) - set(registry.local_url_channels()))
    if from_secrets:
        # Reading a `secret` would call Secrets Manager with whatever AWS credentials this
        # shell has: a local tool must not reach a real account behind the developer's back.
        print(
            f"{registry_path}: channel(s) {', '.join(from_secrets)} use `secret`; the local "
            "relay posts only to channels with a local `url` — use "
            "shared_gateway/registry.local.toml (make local-relay) or give each channel a url",
            file=sys.stderr,
        )
        return 2
    credentials_path = Path(args.credentials or DEFAULT_CREDENTIALS_PATH)
    try:
        principals = load_credentials(credentials_path)
    except CredentialsError as exc:
        print(exc, file=sys.stderr)
        return 2

    # The relay handler finds its registry here, exactly as the deployed function does.
    os.environ["SLACKGATE_CONFIG"] = str(registry_path)
    try:
        server = make_server(
            principals=principals,
            port=args.port,
            unknown_key_hint=f"it is not in the credentials file {credentials_path}",
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"port {args.port} on 127.0.0.1 is already in use — stop the other process or "
                "pass --port 0 to pick a free port",
                file=sys.stderr,
            )
        else:
            print(f"cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(
            f"cannot load the relay handler (shared_gateway.relay.handler): {exc}", file=sys.stderr
        )
        return 2

    # The signal handlers go in before the ready line: a caller may stop us right after it.
    with StopSignals() as stop, server:
        default_note = " (example credentials)" if args.credentials is None else ""
        print(
            f"slackgate local relay on {server.url} (registry {registry_path}: "
            f"{len(registry.teams)} team(s); {len(principals)} principal(s) from "
            f"{credentials_path}{default_note}); POST /v1/messages",
            flush=True,
        )
        reason = stop.wait(args.max_seconds, "--max-seconds")
    print(f"slackgate local relay stopped ({reason})", file=sys.stderr)
    return 0


class StopSignals:
    """Ctrl-C and SIGTERM end `wait` instead of the process, while the block runs. Signals
    are caught in the main thread only (the only one that may); elsewhere only the time
    limit ends the wait."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._stopped_by: list[str] = []
        self._previous: dict[signal.Signals, Any] = {}

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopped_by.append(signal.Signals(signum).name)
        self._stop.set()

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def wait(self, max_seconds: float | None, limit_name: str) -> str:
        """Blocks until a signal or `max_seconds`; returns the signal's name or `limit_name`."""
        self._stop.wait(max_seconds)
        return self._stopped_by[0] if self._stopped_by else limit_name
