"""The team loop: one team's local relay with the real policy and keys made at start, the
report it prints per message, and `make local`'s and `make local-relay`'s exit codes."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared_gateway.local import team_commands
from shared_gateway.local.summary import (
    Exchange,
    describe_exchange,
    describe_payload,
    gist,
    links_in,
)
from shared_gateway.local.team_loop import (
    UNKNOWN_KEY_HINT,
    LocalLoop,
    TeamSpec,
    make_principal,
    registry_toml,
)
from tests.local.conftest import json_body, send, sign

SPEC = TeamSpec(
    team="billing",
    function_name="digest",
    channels=("billing-alerts",),
    link_domains=("example.com",),
    region="eu-west-1",
)
FAKE_KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"  # the shape of an AWS key id, not a real one
REPORT = {
    "text": "Billing digest: 12 invoices",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Billing digest"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Invoices*\n12"},
                {"type": "mrkdwn", "text": "<https://status.example.com/b|Status>"},
            ],
            "accessory": {
                "type": "image",
                "image_url": "https://img.example.com/chart.png",
                "alt_text": "chart",
            },
        },
        {"type": "divider"},
    ],
}


def post_from_environment(message: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What a function does: sign with the environment's keys, post to SLACKGATE_URL."""
    signed = sign(
        "POST",
        os.environ["SLACKGATE_URL"] + "/v1/messages",
        json.dumps({"channel": os.environ["SLACKGATE_CHANNEL"], **message}),
        key=(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
        region=os.environ["AWS_REGION"],
    )
    status, _, raw = send(signed)
    return status, json_body(raw)


@pytest.fixture
def loop() -> Iterator[LocalLoop]:
    reports: list[str] = []
    with LocalLoop(SPEC, report=reports.append) as running:
        running.reports = reports  # type: ignore[attr-defined]
        with team_commands.environment(running.signing_variables()):
            yield running


# The registry and the keys.


def test_the_registry_is_this_team_with_its_channels_and_domains() -> None:
    text = registry_toml(SPEC._replace(channels=("billing-alerts", "billing-ops")), "http://h/x")
    assert text.splitlines()[:4] == [
        "[teams.billing]",
        'channels = ["billing-alerts", "billing-ops"]',
        'link_domains = ["example.com"]',
        'action = "block"',
    ]
    assert text.count('url = "http://h/x"') == 2


def test_keys_are_made_for_the_functions_role_and_new_each_time() -> None:
    first, second = make_principal(SPEC), make_principal(SPEC)
    assert first.role_arn == "arn:aws:sts::000000000000:assumed-role/slackgate-billing-digest/local"
    assert first.access_key_id.startswith("LOCALBILLINGDIGEST")
    assert first.access_key_id != second.access_key_id
    assert first.secret_access_key != second.secret_access_key


def test_settings_of_a_team_repository_make_the_spec() -> None:
    class Settings:
        team, function_name, default_channel, aws_region = "billing", "digest", "b-a", "eu-west-1"
        link_domains = ("example.com",)

    assert TeamSpec.from_settings(Settings()) == SPEC._replace(channels=("b-a",))


def test_an_invalid_link_domain_is_a_registry_error_naming_it() -> None:
    from shared_gateway.relay.registry import RegistryError

    with pytest.raises(RegistryError, match=r"'https://example\.com' is not a domain name"):
        LocalLoop(SPEC._replace(link_domains=("https://example.com",)))


# The real policy, end to end on 127.0.0.1.


def test_a_report_is_delivered_and_shown_as_slack_received_it(loop: LocalLoop) -> None:
    status, answer = post_from_environment(REPORT)

    assert (status, answer["ok"]) == (200, True)
    [exchange] = loop.exchanges
    assert (exchange.decision, exchange.channel, exchange.message_id) == (
        "delivered",
        "billing-alerts",
        answer["id"],
    )
    assert exchange.slack is not None and exchange.slack["unfurl_links"] is False
    assert "channel" not in exchange.slack
    [report] = loop.reports  # type: ignore[attr-defined]
    assert report.startswith("#1 delivered -> billing-alerts (200; id ")
    assert "signed by slackgate-billing-digest" in report
    assert "blocks   3: header, section, divider" in report
    assert "https://status.example.com/b, https://img.example.com/chart.png" in report


def test_a_secret_is_blocked_masked_and_never_reaches_slack(loop: LocalLoop) -> None:
    status, answer = post_from_environment({"text": f"creds {FAKE_KEY}"})

    assert (status, answer["error"]) == (422, "content_blocked")
    [exchange] = loop.exchanges
    assert (exchange.decision, exchange.slack) == ("blocked", None)
    assert loop.slack.received == []
    [report] = loop.reports  # type: ignore[attr-defined]
    assert "[aws-access-key-id]" in report and "Slack received nothing." in report
    assert FAKE_KEY not in report


def test_a_link_outside_the_teams_domains_is_blocked(loop: LocalLoop) -> None:
    status, answer = post_from_environment({"text": "see <https://evil.example.net/x|this>"})
    assert (status, answer["reasons"][0]["rule"]) == (422, "link_not_allowed")
    assert loop.refused == loop.exchanges and loop.slack.received == []


def test_another_teams_channel_is_refused(loop: LocalLoop, monkeypatch) -> None:
    monkeypatch.setenv("SLACKGATE_CHANNEL", "search-reports")
    status, answer = post_from_environment({"text": "hello"})
    assert (status, answer["error"]) == (403, "channel_not_allowed")
    assert loop.exchanges[0].decision == "denied"


def test_a_key_from_an_earlier_run_is_named_as_unknown(loop: LocalLoop, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", make_principal(SPEC).access_key_id)
    status, answer = post_from_environment({"text": "hello"})

    assert status == 403
    assert answer["message"].startswith("The security token included in the request is invalid.")
    assert answer["message"].endswith(f": {UNKNOWN_KEY_HINT}.")
    assert loop.exchanges == []
    [refusal] = loop.gateway_refusals
    assert refusal.status == 403 and "unknown access key id" in refusal.why


def test_the_signature_must_be_scoped_to_the_functions_region(loop: LocalLoop, monkeypatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    status, answer = post_from_environment({"text": "hello"})
    assert status == 403
    assert answer["message"] == "Credential should be scoped to a valid region, not 'us-west-2'. "


# The report.


def test_the_summary_lists_text_blocks_by_type_and_every_link() -> None:
    payload = {**REPORT, "unfurl_links": False, "unfurl_media": False}
    lines = describe_payload(payload)
    assert lines[0] == "text     Billing digest: 12 invoices"
    assert lines[1] == "blocks   3: header, section, divider"
    assert lines[2] == "  [0] header   Billing digest"
    assert (
        lines[3] == "  [1] section  *Invoices* 12 | <https://status.example.com/b|Status> | chart"
    )
    assert lines[4] == "  [2] divider"
    assert lines[-1] == "unfurl   links false, media false (the relay always sends false)"
    assert links_in(payload) == [
        "https://status.example.com/b",
        "https://img.example.com/chart.png",
    ]


def test_the_summary_reads_each_string_in_its_format_as_the_relay_does() -> None:
    payload = {
        "blocks": [
            {"type": "markdown", "text": "See [the docs](https://docs.example.com/a)"},
            {"type": "header", "text": {"type": "plain_text", "text": "a <b> c"}},
        ]
    }
    assert links_in(payload) == ["https://docs.example.com/a"]


def test_attachments_and_long_text_are_summarised_on_one_line_each() -> None:
    payload = {"attachments": [{"color": "#f00", "text": "x" * 300}], "thread_ts": "1.2"}
    lines = describe_payload(payload)
    assert lines[:2] == ["attachments 1", f"  [0] color #f00  {'x' * 107}..."]
    assert "thread_ts 1.2" in lines and lines[-1] == "links    none"
    assert gist("a\n\n  b") == "a b"


def test_a_refusal_shows_every_reason() -> None:
    reasons = [
        {"rule": "link_not_allowed", "path": "text", "message": "evil.net is not allowed"},
        {"rule": "aws-access-key-id", "path": "", "message": "AKIA************Z7XX"},
    ]
    exchange = Exchange(1, "arn:aws:sts::1:assumed-role/r/s", "c", 422, "blocked", "x", reasons)
    assert describe_exchange(exchange).splitlines() == [
        "#1 blocked -> c (422 x; signed by r)",
        "   reasons:",
        "     text  [link_not_allowed] evil.net is not allowed",
        "     (message)  [aws-access-key-id] AKIA************Z7XX",
        "   Slack received nothing.",
    ]


# make local: exit codes.


def run_invoke(tmp_path: Path, handler: Any, event: Any = None, **kwargs: Any) -> tuple[int, str]:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event if event is not None else {}))
    out = io.StringIO()
    code = team_commands.invoke(lambda: handler, event_file, SPEC, out=out, err=out, **kwargs)
    return code, out.getvalue()


def posting(*messages: dict[str, Any], raise_on_refusal: bool = True) -> Any:
    def handler(event: Any, context: Any) -> dict[str, Any]:
        for message in messages:
            status, answer = post_from_environment(message)
            if status != 200 and raise_on_refusal:
                raise RuntimeError(f"refused: {answer}")
        return {"posted": len(messages)}

    return handler


def test_make_local_exits_0_when_everything_was_delivered(tmp_path: Path) -> None:
    code, output = run_invoke(tmp_path, posting(REPORT))
    assert code == team_commands.OK, output
    assert "#1 delivered -> billing-alerts" in output
    assert 'the function returned: {"posted": 1}' in output
    assert output.rstrip().endswith("ok: 1 message(s) delivered")


def test_make_local_exits_1_when_the_function_raises(tmp_path: Path) -> None:
    code, output = run_invoke(tmp_path, posting({"text": f"creds {FAKE_KEY}"}))
    assert code == team_commands.FAILED
    assert "the function raised RuntimeError" in output
    assert "the relay refused 1 message(s): #1 content_blocked" in output
    assert "Traceback" in output


def test_make_local_exits_1_for_a_refusal_the_function_swallowed(tmp_path: Path) -> None:
    handler = posting({"text": "see https://evil.example.net"}, raise_on_refusal=False)
    code, output = run_invoke(tmp_path, handler)
    assert code == team_commands.FAILED
    assert "the relay refused 1 message(s): #1 content_blocked" in output


def test_make_local_exits_1_for_failed_sqs_records(tmp_path: Path) -> None:
    def handler(event: Any, context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "local-0002"}]}

    code, output = run_invoke(tmp_path, handler)
    assert code == team_commands.FAILED
    assert "1 SQS record(s) failed and would go back to the queue" in output
    assert "local-0002" in output


def test_make_local_exits_1_when_the_handler_does_not_import(tmp_path: Path) -> None:
    def broken() -> Any:
        raise ImportError("No module named 'pydantic'")

    event_file = tmp_path / "event.json"
    event_file.write_text("{}")
    out = io.StringIO()
    assert team_commands.invoke(broken, event_file, SPEC, out=out, err=out) == 1
    assert "the function raised ImportError: No module named 'pydantic'" in out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"), [(None, "cannot read the event file"), ("{", "is not JSON")]
)
def test_make_local_exits_2_for_an_unusable_event_file(tmp_path: Path, content, message) -> None:
    event_file = tmp_path / "event.json"
    if content is not None:
        event_file.write_text(content)
    out = io.StringIO()
    code = team_commands.invoke(lambda: posting(), event_file, SPEC, out=out, err=out)
    assert (code, message in out.getvalue()) == (team_commands.CANNOT_RUN, True)


def test_make_local_exits_2_with_the_command_when_no_relay_is_running(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, output = run_invoke(tmp_path, posting(REPORT), relay_url=f"http://127.0.0.1:{port}")
    assert code == team_commands.CANNOT_RUN
    assert f"no relay is listening at http://127.0.0.1:{port}" in output
    assert "start one with `make local-relay`" in output


def test_make_local_signs_with_the_keys_a_running_relay_wrote(tmp_path: Path) -> None:
    state = tmp_path / "local-relay.json"
    with LocalLoop(SPEC, report=lambda text: None) as running:
        team_commands.write_state(state, running, time.time() + 60)
        code, output = run_invoke(
            tmp_path, posting(REPORT), relay_url=running.url, state_file=state
        )
        assert code == team_commands.OK, output
        assert [x.decision for x in running.exchanges] == ["delivered"]
        # Keys from another run: the relay says so, and the function's failure is exit 1.
        stale = {**json.loads(state.read_text()), "access_key_id": "LOCALSTALE0000"}
        state.write_text(json.dumps(stale))
        code, output = run_invoke(
            tmp_path, posting(REPORT), relay_url=running.url, state_file=state
        )
    assert code == team_commands.FAILED
    assert "'LOCALSTALE0000': this key is not one the local relay made" in output


# make local-relay.


def test_make_local_relay_serves_reports_and_stops_by_itself(tmp_path: Path) -> None:
    state = tmp_path / ".slackgate" / "local-relay.json"
    out = io.StringIO()
    codes: list[int] = []
    server = threading.Thread(
        target=lambda: codes.append(
            team_commands.serve(SPEC, port=0, max_seconds=2, state_file=state, out=out)
        )
    )
    server.start()
    deadline = time.monotonic() + 10
    while team_commands.read_state(state) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    written = team_commands.read_state(state)
    assert written is not None and written["role_arn"].endswith("slackgate-billing-digest/local")
    variables = {
        "SLACKGATE_URL": written["url"],
        "SLACKGATE_CHANNEL": "billing-alerts",
        "AWS_ACCESS_KEY_ID": written["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": written["secret_access_key"],
        "AWS_REGION": "eu-west-1",
    }
    with team_commands.environment(variables):
        assert post_from_environment({"text": "hello"})[0] == 200
    server.join(10)

    assert codes == [team_commands.OK]
    assert not state.exists()  # removed once it stopped
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(
        f"slackgate local relay for slackgate-billing-digest on {written['url']}"
    )
    assert f"AWS_ACCESS_KEY_ID={written['access_key_id']}" in out.getvalue()
    assert "#1 delivered -> billing-alerts" in out.getvalue()
    assert lines[-1] == (
        "local relay stopped (its lifetime limit of 2 s): 1 message(s), 1 delivered, "
        "0 refused, 0 refused before the relay"
    )


def test_make_local_relay_says_when_its_port_is_taken() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        out = io.StringIO()
        code = team_commands.serve(SPEC, port=taken.getsockname()[1], max_seconds=1, out=out)
    assert code == team_commands.CANNOT_RUN
    assert "is make local-relay already running?" in out.getvalue()
