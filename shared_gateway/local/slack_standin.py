"""A Slack incoming-webhook stand-in on 127.0.0.1 that records requests and answers from a script.

Each POST to the hook path takes the next behaviour from the script; once the script is used
up every request gets "ok". Behaviours, with Slack's own answers:

    ok                 200 "ok"
    invalid_payload    400 "invalid_payload"
    not_found          404 "no_service"
    rate_limited[:N]   429 "rate_limited", Retry-After: N whole seconds (default 1)
    server_error       500 "server_error"
    slow:SECONDS       waits, then 200 "ok" (to test timeouts)
    drop               closes the connection without answering

Independently of the script, like Slack: a body that is not a JSON object gets 400
"invalid_payload", and another path or method gets 404 "no_service".

In-process::

    with SlackStandin(script=["rate_limited", "ok"]) as slack:
        post_to(slack.url)              # http://127.0.0.1:<port>/services/T000/B000/XXXX
        assert slack.payloads == [...]

As a process (prints its URL on the first line; one JSON record per request in --record)::

    python -m shared_gateway.local.slack_standin --port 0 --script ok,rate_limited,ok \\
        --record received.jsonl --max-seconds 60
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

HOST = "127.0.0.1"
DEFAULT_HOOK_PATH = "/services/T000/B000/XXXX"
MAX_BODY_BYTES = 1024 * 1024  # far above Slack's own message limits

# name -> (status, body); "slow" and "drop" are handled apart.
_ANSWERS: dict[str, tuple[int, str]] = {
    "ok": (200, "ok"),
    "invalid_payload": (400, "invalid_payload"),
    "not_found": (404, "no_service"),
    "rate_limited": (429, "rate_limited"),
    "server_error": (500, "server_error"),
}
BEHAVIOURS = (*_ANSWERS, "slow", "drop")
_REJECTED = "rejected:"  # recorded behaviour of requests refused before the script


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One scripted answer; `seconds` is the delay of "slow" or the Retry-After of
    "rate_limited"."""

    name: str
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Behaviour:
        name, _, argument = text.strip().partition(":")
        if name not in BEHAVIOURS:
            raise ValueError(
                f"unknown Slack stand-in behaviour {text!r} — use one of "
                "ok, invalid_payload, not_found, rate_limited[:N], server_error, slow:SECONDS, "
                "drop"
            )
        if name == "slow":
            return cls(name, _seconds(text, argument, required=True))
        if name == "rate_limited":
            if not argument:
                return cls(name, 1)
            if not argument.isdigit():
                raise ValueError(
                    f"behaviour {text!r}: Retry-After is whole seconds, e.g. rate_limited:3"
                )
            return cls(name, int(argument))
        if argument:
            raise ValueError(f"behaviour {text!r}: {name!r} takes no argument")
        return cls(name)

    def __str__(self) -> str:
        return (
            f"{self.name}:{self.seconds:g}" if self.name in ("slow", "rate_limited") else self.name
        )


def _seconds(text: str, argument: str, *, required: bool) -> float:
    try:
        seconds = float(argument)
    except ValueError:
        seconds = -1.0
    if seconds < 0 or (required and not argument):
        raise ValueError(f"behaviour {text!r}: give a number of seconds, e.g. slow:2.5")
    return seconds


def parse_script(script: str | Iterable[str | Behaviour]) -> list[Behaviour]:
    """`"ok,rate_limited:3,ok"` or a list of names/Behaviours; raises ValueError on a typo."""
    items = script.split(",") if isinstance(script, str) else script
    return [
        item if isinstance(item, Behaviour) else Behaviour.parse(item)
        for item in items
        if not (isinstance(item, str) and not item.strip())
    ]


@dataclass(frozen=True, slots=True)
class SlackRequest:
    """One request the stand-in received. `headers` has lowercase names; `payload` is the
    parsed JSON body (None when it is not JSON); `behaviour` is how it was answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any
    behaviour: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_record(self) -> dict[str, Any]:
        """The JSON line written to the --record file."""
        record: dict[str, Any] = {
            "received_at": self.received_at.isoformat(),
            "method": self.method,
            "path": self.path,
            "behaviour": self.behaviour,
            "headers": self.headers,
            "payload": self.payload,
        }
        if self.payload is None:
            record["body"] = self.body.decode("utf-8", errors="replace")
        return record


class SlackStandin:
    """The stand-in server. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        script: str | Iterable[str | Behaviour] = (),
        *,
        port: int = 0,
        path: str = DEFAULT_HOOK_PATH,
        record_path: str | Path | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path if path.startswith("/") else "/" + path
        self.record_path = Path(record_path) if record_path else None
        self._log = log or (lambda line: None)
        self._script: deque[Behaviour] = deque(parse_script(script))
        self._received: list[SlackRequest] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server = _StandinHTTPServer((HOST, port), self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The webhook URL to configure (e.g. as a registry channel's `url`)."""
        return f"http://{HOST}:{self.port}{self.path}"

    @property
    def received(self) -> list[SlackRequest]:
        with self._changed:
            return list(self._received)

    @property
    def payloads(self) -> list[Any]:
        """The JSON bodies of the requests answered from the script (not rejected ones)."""
        return [r.payload for r in self.received if not r.behaviour.startswith(_REJECTED)]

    def push(self, *behaviours: str | Behaviour) -> None:
        """Appends behaviours to the script, e.g. between two steps of a test."""
        parsed = parse_script(behaviours)
        with self._changed:
            self._script.extend(parsed)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[SlackRequest]:
        """Waits until at least `count` requests arrived; raises TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(
                    f"Slack stand-in got {len(self._received)} request(s), expected {count} "
                    f"within {timeout:g} s"
                )
            return list(self._received)

    def start(self) -> SlackStandin:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"slack-standin:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving; a request still sleeping in "slow" is cut short. Safe to call twice."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SlackStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Called from request threads.

    def _next_behaviour(self) -> Behaviour:
        with self._changed:
            return self._script.popleft() if self._script else Behaviour("ok")

    def _record(self, request: SlackRequest) -> None:
        with self._changed:
            self._received.append(request)
            if self.record_path is not None:
                with self.record_path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(request.to_record()) + "\n")
            self._changed.notify_all()
        self._log(f"{request.method} {request.path} -> {request.behaviour}")


class _StandinHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: SlackStandin) -> None:
        self.standin = standin
        super().__init__(address, _StandinRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (timeouts, dropped connections) is normal here, not an error.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _StandinRequestHandler(BaseHTTPRequestHandler):
    server: _StandinHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "slack-standin"
    timeout = 60

    def version_string(self) -> str:
        return self.server_version

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the stand-in logs one line per request itself

    def _serve(self) -> None:
        standin = self.server.standin
        body = self._read_body()
        if body is None:
            self._answer(413, "request_too_large", close=True)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = self.path.partition("?")[0]
        payload = _json_object(body)

        def record(behaviour: str) -> None:
            standin._record(
                SlackRequest(self.command, self.path, headers, body, payload, behaviour)
            )

        if self.command != "POST" or path != standin.path:
            record(_REJECTED + "no_service")
            self._answer(404, "no_service")
            return
        if payload is None:
            record(_REJECTED + "invalid_payload")
            self._answer(400, "invalid_payload")
            return
        behaviour = standin._next_behaviour()
        record(str(behaviour))
        if behaviour.name == "drop":
            self.close_connection = True  # the connection closes with no answer at all
            return
        if behaviour.name == "slow":
            standin._stopping.wait(behaviour.seconds)
            self._answer(200, "ok")
            return
        status, text = _ANSWERS[behaviour.name]
        extra = [("Retry-After", str(int(behaviour.seconds)))] if status == 429 else []
        self._answer(status, text, extra)

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _answer(
        self, status: int, text: str, headers: Sequence[tuple[str, str]] = (), close: bool = False
    ) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        if close:
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared_gateway.local.slack_standin",
        description="A Slack incoming-webhook stand-in on 127.0.0.1 (prints its URL first).",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    parser.add_argument(
        "--script",
        default="",
        help="comma-separated behaviours, e.g. ok,rate_limited:2,slow:5,drop (then: ok)",
    )
    parser.add_argument("--record", metavar="FILE", help="append one JSON line per request")
    parser.add_argument("--path", default=DEFAULT_HOOK_PATH, help="the webhook path")
    parser.add_argument("--max-seconds", type=float, metavar="N", help="stop after N seconds")
    args = parser.parse_args(argv)
    try:
        script = parse_script(args.script)
    except ValueError as exc:
        print(f"--script: {exc}", file=sys.stderr)
        return 2
    try:
        standin = SlackStandin(
            script,
            port=args.port,
            path=args.path,
            record_path=args.record,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    with standin:
        print(standin.url, flush=True)
        started = time.monotonic()
        stop.wait(args.max_seconds)
        print(
            f"slack stand-in stopped after {time.monotonic() - started:.1f} s, "
            f"{len(standin.received)} request(s)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
