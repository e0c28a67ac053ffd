"""The Slack incoming-webhook stand-in: each scripted behaviour, recording, and the process."""

from __future__ import annotations

import http.client
import json
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shared_gateway.local.slack_standin import (
    DEFAULT_HOOK_PATH,
    Behaviour,
    SlackStandin,
    parse_script,
)

RunStandin = Callable[..., subprocess.Popen[str]]
MESSAGE = {"text": "nightly run finished", "unfurl_links": False}


def post(
    url: str, payload: object = MESSAGE, *, raw: bytes | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    body = raw if raw is not None else json.dumps(payload).encode()
    try:
        connection.request(
            "POST", parts.path, body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def scripted() -> Iterator[list[SlackStandin]]:
    """Starts stand-ins with a given script; stops them all at the end."""
    started: list[SlackStandin] = []
    yield started
    for standin in started:
        standin.stop()


def start(
    started: list[SlackStandin],
    script: str | list[str],
    *,
    path: str = DEFAULT_HOOK_PATH,
    record_path: Path | None = None,
) -> SlackStandin:
    standin = SlackStandin(script, path=path, record_path=record_path).start()
    started.append(standin)
    return standin


def test_ok_answers_like_slack_and_records_the_request(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, ["ok"])
    assert slack.url == f"http://127.0.0.1:{slack.port}{DEFAULT_HOOK_PATH}"
    status, _, text = post(slack.url)
    assert (status, text) == (200, "ok")
    [received] = slack.received
    assert received.method == "POST"
    assert received.path == DEFAULT_HOOK_PATH
    assert received.headers["content-type"] == "application/json"
    assert received.payload == MESSAGE
    assert received.behaviour == "ok"
    assert slack.payloads == [MESSAGE]


@pytest.mark.parametrize(
    ("behaviour", "status", "text"),
    [
        ("invalid_payload", 400, "invalid_payload"),
        ("not_found", 404, "no_service"),
        ("server_error", 500, "server_error"),
    ],
)
def test_error_behaviours(
    scripted: list[SlackStandin], behaviour: str, status: int, text: str
) -> None:
    slack = start(scripted, [behaviour])
    assert post(slack.url)[0::2] == (status, text)
    assert slack.received[0].behaviour == behaviour


def test_rate_limited_sends_retry_after(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, ["rate_limited", "rate_limited:7"])
    status, headers, text = post(slack.url)
    assert (status, text, headers["Retry-After"]) == (429, "rate_limited", "1")
    status, headers, _ = post(slack.url)
    assert (status, headers["Retry-After"]) == (429, "7")


def test_slow_waits_then_answers_ok(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, ["slow:0.5"])
    started = time.monotonic()
    assert post(slack.url)[0::2] == (200, "ok")
    assert time.monotonic() - started >= 0.5


def test_slow_makes_a_short_client_timeout_fire(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, ["slow:3"])
    with pytest.raises(TimeoutError):
        post(slack.url, timeout=0.3)


def test_drop_closes_the_connection_without_an_answer(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, ["drop", "ok"])
    with pytest.raises(http.client.RemoteDisconnected):
        post(slack.url)
    assert post(slack.url)[0] == 200  # the next request is served normally
    assert [r.behaviour for r in slack.received] == ["drop", "ok"]
    assert slack.payloads == [MESSAGE, MESSAGE]  # a dropped request still arrived


def test_the_script_runs_in_order_then_answers_ok(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, "server_error,rate_limited:2,ok")
    statuses = [post(slack.url)[0] for _ in range(5)]
    assert statuses == [500, 429, 200, 200, 200]


def test_behaviours_can_be_pushed_later(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, [])
    assert post(slack.url)[0] == 200
    slack.push("server_error", Behaviour("rate_limited", 3))
    assert [post(slack.url)[0] for _ in range(3)] == [500, 429, 200]


def test_a_body_that_is_not_a_json_object_is_invalid_payload_and_keeps_the_script(
    scripted: list[SlackStandin],
) -> None:
    slack = start(scripted, ["server_error"])
    assert post(slack.url, raw=b"text=hello")[0::2] == (400, "invalid_payload")
    assert post(slack.url, raw=b'["a list"]')[0] == 400
    assert post(slack.url)[0] == 500  # the script was not consumed by the bad requests
    assert [r.behaviour for r in slack.received] == [
        "rejected:invalid_payload",
        "rejected:invalid_payload",
        "server_error",
    ]
    assert slack.payloads == [MESSAGE]


def test_another_path_is_no_service(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, ["server_error"])
    wrong = f"http://127.0.0.1:{slack.port}/services/T000/B000/OTHER"
    assert post(wrong)[0::2] == (404, "no_service")
    assert post(slack.url)[0] == 500


def test_a_custom_hook_path(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, [], path="/hook")
    assert slack.url.endswith(f":{slack.port}/hook")
    assert post(slack.url)[0] == 200


def test_wait_for_returns_once_requests_arrived(scripted: list[SlackStandin]) -> None:
    slack = start(scripted, [])
    post(slack.url)
    assert len(slack.wait_for(1, timeout=1)) == 1
    with pytest.raises(TimeoutError, match="got 1 request"):
        slack.wait_for(2, timeout=0.1)


def test_requests_are_appended_to_the_record_file(
    scripted: list[SlackStandin], tmp_path: Path
) -> None:
    record = tmp_path / "received.jsonl"
    slack = start(scripted, ["ok", "rate_limited"], record_path=record)
    post(slack.url)
    post(slack.url, {"text": "second"})
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [line["payload"] for line in lines] == [MESSAGE, {"text": "second"}]
    assert [line["behaviour"] for line in lines] == ["ok", "rate_limited:1"]
    assert lines[0]["path"] == DEFAULT_HOOK_PATH
    assert lines[0]["headers"]["content-type"] == "application/json"


def test_stop_cuts_a_slow_answer_short_and_is_idempotent() -> None:
    slack = SlackStandin(["slow:30"]).start()
    url = slack.url

    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", slack.port, timeout=10)
    connection.request("POST", urlsplit(url).path, body=json.dumps(MESSAGE))
    slack.wait_for(1)
    slack.stop()
    slack.stop()
    connection.close()
    assert time.monotonic() - started < 5
    with pytest.raises(OSError):
        post(url, timeout=1)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("ok,teapot", "unknown Slack stand-in behaviour 'teapot'"),
        ("slow", "give a number of seconds"),
        ("slow:soon", "give a number of seconds"),
        ("rate_limited:-1", "whole seconds"),
        ("rate_limited:1.5", "whole seconds"),
        ("ok:3", "takes no argument"),
    ],
)
def test_a_bad_script_is_refused_with_a_clear_message(script: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        parse_script(script)


def test_parse_script() -> None:
    assert parse_script(" ok, slow:1.5 ,drop,,rate_limited ") == [
        Behaviour("ok"),
        Behaviour("slow", 1.5),
        Behaviour("drop"),
        Behaviour("rate_limited", 1),
    ]


# As a process.


def first_line(proc: subprocess.Popen[str], timeout: float = 20) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"the stand-in printed nothing within {timeout} s")
    return proc.stdout.readline().strip()


@pytest.fixture
def run_standin() -> Iterator[RunStandin]:
    started: list[subprocess.Popen[str]] = []

    def run(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared_gateway.local.slack_standin", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_the_process_prints_its_url_records_and_stops_by_itself(
    run_standin: RunStandin, tmp_path: Path
) -> None:
    record = tmp_path / "received.jsonl"
    script = ["--script", "ok,rate_limited,ok", "--record", str(record)]
    proc = run_standin("--port", "0", *script, "--max-seconds", "3")
    url = first_line(proc)
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith(DEFAULT_HOOK_PATH)
    assert [post(url)[0] for _ in range(3)] == [200, 429, 200]
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "3 request(s)" in stderr
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [line["payload"] for line in lines] == [MESSAGE] * 3


def test_the_process_stops_on_sigterm(run_standin: RunStandin) -> None:
    proc = run_standin("--port", "0")
    first_line(proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_the_process_refuses_a_bad_script(run_standin: RunStandin) -> None:
    proc = run_standin("--script", "ok,explode")
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "unknown Slack stand-in behaviour 'explode'" in stderr
