"""Start the local servers as child processes and stop them for sure (demo and end-to-end tests).

Both the local relay and the Slack stand-in print their URL on the first line of stdout once
they listen; `start_server` waits for that line, so callers never race the bind. Every
process also gets --max-seconds, so nothing outlives a crashed caller by long.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .credentials import AMBIENT_CREDENTIAL_VARIABLES, signing_variables

_URL = re.compile(r"http://127\.0\.0\.1:\d+\S*")
READY_TIMEOUT_SECONDS = 20.0


@dataclass
class ServerProcess:
    name: str
    process: subprocess.Popen[str]
    url: str
    stderr_lines: list[str] = field(default_factory=list)
    stdout_lines: list[str] = field(default_factory=list)  # after the ready line
    readers: list[threading.Thread] = field(default_factory=list)

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        for reader in self.readers:  # so that the output lines are complete on return
            reader.join(timeout)
        return self.process.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(
    name: str,
    args: Sequence[str],
    *,
    max_seconds: float = 300,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
) -> ServerProcess:
    """Runs `python <args> --max-seconds N` and returns once it printed its URL."""
    process = subprocess.Popen(
        [sys.executable, *args, "--max-seconds", str(max_seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    assert process.stdout is not None and process.stderr is not None
    stderr_lines: list[str] = []
    # Drain stderr continuously: a full pipe would block the server.
    threading.Thread(
        target=lambda: stderr_lines.extend(process.stderr),
        daemon=True,  # type: ignore[arg-type]
    ).start()
    first_line: list[str] = []
    reader = threading.Thread(
        target=lambda: first_line.append(process.stdout.readline()),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    reader.join(READY_TIMEOUT_SECONDS)
    match = _URL.search(first_line[0]) if first_line else None
    if match is None:
        process.kill()
        process.wait()
        raise RuntimeError(
            f"{name} did not start: {(first_line or [''])[0].strip() or 'no output'}\n"
            + "".join(stderr_lines[-20:])
        )
    stdout_lines: list[str] = []
    # Keep draining stdout too (the relay's log lines), for the same reason as stderr.
    threading.Thread(
        target=lambda: stdout_lines.extend(process.stdout),  # type: ignore[arg-type]
        daemon=True,
    ).start()
    return ServerProcess(name, process, match.group(0).rstrip(".,;)"), stderr_lines, stdout_lines)


def client_env(
    relay_url: str,
    access_key_id: str,
    secret_access_key: str,
    *,
    channel: str | None = None,
    pythonpath: str | Path | None = None,
    region: str = "eu-west-1",
) -> dict[str, str]:
    """Environment for a team's code posting to the local relay with local credentials.

    The Slack helper signs with whatever credentials botocore finds: here the local keys,
    never a profile or a real session token that happens to be in the caller's environment.
    """
    env = {
        key: value for key, value in os.environ.items() if key not in AMBIENT_CREDENTIAL_VARIABLES
    }
    env.update(signing_variables(access_key_id, secret_access_key, relay_url, region))
    if channel:
        env["SLACKGATE_CHANNEL"] = channel
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return env
