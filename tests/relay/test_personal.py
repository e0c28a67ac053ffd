"""Personal data: each class found (and its look-alikes left alone), and a team's policy per
class (block / redact / allow) applied end to end through the handler."""

from __future__ import annotations

import io
import json

import pytest

from shared_gateway.local.slack_standin import SlackStandin
from shared_gateway.relay.forwarder import Forwarder
from shared_gateway.relay.handler import Relay
from shared_gateway.relay.payload import PayloadRejected, check_message
from shared_gateway.relay.personal import PERSONAL_RULES
from shared_gateway.relay.policy import evaluate
from shared_gateway.relay.registry import parse_registry
from shared_gateway.relay.rules import RULES, my_number_check_digit
from shared_gateway.relay.scanner import scan

from .test_handler import ACCOUNT, PAYMENTS, SEARCH, call, log, log_records, slack

__all__ = ["log", "slack"]  # the handler tests' fixtures, used here by name

CARD = "4111111111111111"  # the card networks' published test number
MY_NUMBER = "123456789018"  # check digit computed, not a real person's
EMAIL = "taro.yamada@example.co.jp"


def rules_in(text: str) -> list[str]:
    return [finding.rule for finding in scan(text)]


def test_personal_rules_are_in_the_rule_table_with_their_class() -> None:
    assert set(PERSONAL_RULES) <= set(RULES)
    categories = {rule.id: rule.category for rule in RULES}
    assert categories["payment-card-number"] == "card"
    assert categories["jp-my-number"] == categories["jp-my-number-bare"] == "my-number"
    assert {categories[r.id] for r in PERSONAL_RULES} == {
        "email",
        "phone",
        "iban",
        "ssn",
        "my-number",
    }


# --- per class ---------------------------------------------------------------------------


def test_email_span_covers_the_local_part() -> None:
    text = f"ask {EMAIL} today"
    [finding] = scan(text)
    assert finding.rule == "email-address"
    assert text[finding.start : finding.end] == EMAIL


@pytest.mark.parametrize(
    "text",
    [
        "+81 3-1234-5678",  # Japan: 9 national digits after 81
        "+81 90 1234 5678",  # Japanese mobile: 10
        "+819012345678",
        "+1 415 555 2671",
        "+33 1 23 45 67 89",
    ],
)
def test_e164_numbers_within_their_country_lengths(text: str) -> None:
    assert rules_in(f"call {text} now") == ["phone-number-e164"]


@pytest.mark.parametrize(
    "text",
    [
        "+81 3-1234-567",  # Japan: too short
        "+81 90 1234 56789",  # too long
        "+1 415 555 267",  # NANP needs 10
        "+1 415 155 2671",  # NANP exchange cannot start with 1
        "+81 03 1234 5678",  # the trunk 0 is never written after +81
        "+999 1234567890123",  # past E.164's 15 digits
    ],
)
def test_e164_lookalikes_outside_the_numbering_plan(text: str) -> None:
    assert "phone-number-e164" not in rules_in(f"call {text} now")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("090-1234-5678", True),
        ("03-1234-5678", True),
        ("050 1234 5678", True),
        ("090-1234 5678", False),  # mixed separators
        ("01-1234-5678-9", False),
        ("2024-03-1234-5678", False),
    ],
)
def test_japanese_domestic_phone_formats(text: str, found: bool) -> None:
    assert (rules_in(f"連絡先 {text} まで") == ["phone-number-jp"]) is found


def test_iban_needs_its_country_length_and_mod97() -> None:
    good = "GB82WEST12345698765432"
    assert rules_in(good) == ["iban"]
    assert rules_in(good[:-1] + "3") == []  # one digit changed: mod 97 fails
    assert rules_in("GB82WEST1234569876543") == []  # one character short for GB
    assert rules_in("ZZ82WEST12345698765432") == []  # not a country with IBANs
    assert rules_in("IBAN DE89 3704 0044 0532 0130 00") == ["iban-labelled"]


@pytest.mark.parametrize(
    ("number", "found"),
    [
        ("078-05-1120", True),
        ("665-12-3456", True),
        ("000-12-3456", False),  # area 000
        ("666-12-3456", False),  # area 666
        ("912-12-3456", False),  # area 9xx
        ("123-00-4567", False),  # group 00
        ("123-45-0000", False),  # serial 0000
        ("123-45 6789", False),  # mixed separators
    ],
)
def test_ssn_area_group_and_serial_rules(number: str, found: bool) -> None:
    assert (rules_in(f"SSN: {number}") == ["us-ssn"]) is found
    assert rules_in(f"ref {number}") == []  # nine digits need the SSN named


def test_bare_my_number_needs_its_check_digit() -> None:
    wrong = MY_NUMBER[:11] + str((int(MY_NUMBER[11]) + 1) % 10)
    assert my_number_check_digit(MY_NUMBER[:11]) == int(MY_NUMBER[11])
    assert rules_in(f"登録 {MY_NUMBER}") == ["jp-my-number-bare"]
    assert rules_in(f"登録 {wrong}") == []


@pytest.mark.parametrize(
    "label",
    ["注文番号", "伝票番号:", "お問い合わせ番号", "order", "Invoice #", "tracking no.", "口座"],
)
def test_bare_my_number_is_an_other_number_after_such_a_label(label: str) -> None:
    assert rules_in(f"{label} {MY_NUMBER}") == []
    # Named as a My Number, the keyword rule still finds it whatever else is near.
    assert "jp-my-number" in rules_in(f"個人番号 {MY_NUMBER}（注文とは別）")


@pytest.mark.parametrize(
    "text",
    [
        "release v1.23.4567 built 2024-05-01T09:00:00Z",
        "2024/05/01 12:34:56.789012 request_id=123456789018 done",
        "id 0f8fad5b-d9cb-469f-a165-708677289501 created",
        "client 192.168.100.200 port 50123",
        "arn:aws:iam::123456789018:role/deploy",
        "2024年5月1日 お見積り金額 1,234,567,890円（税込）、納期 2024年6月30日",
        "受注番号 1234-5678-9018 を発送しました",
        "epoch 1714521600123 ms",
        "job 090-1234-5678 exited with 0",
    ],
)
def test_ordinary_log_and_business_text_is_left_alone(text: str) -> None:
    assert [f for f in scan(text) if f.rule in {r.id for r in PERSONAL_RULES}] == []


# --- numbers that are not strings -----------------------------------------------------------

BLOCK = parse_registry(
    '[teams.payments]\nchannels=["a"]\n[channels.a]\nurl="http://127.0.0.1:1/h"\n'
).teams["payments"]
REDACT = BLOCK._replace(action="redact")


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"metadata": {"event_type": "e", "event_payload": {"n": int(CARD)}}}, "metadata"),
        ({"metadata": {"event_type": "e", "event_payload": {"v": [1, int(MY_NUMBER)]}}}, "[1]"),
        ({"metadata": {"event_type": "e", "event_payload": {"n": float(CARD)}}}, ".n"),
    ],
)
def test_a_card_number_or_my_number_sent_as_a_json_number_is_found(
    fields: dict[str, object], path: str
) -> None:
    message = check_message({"channel": "a", "text": "x", **fields})
    with pytest.raises(PayloadRejected) as caught:
        evaluate(message, BLOCK)
    [reason] = caught.value.reasons
    assert path in reason.path
    assert CARD not in reason.message and MY_NUMBER not in reason.message


def test_a_redacted_number_becomes_the_marker_and_small_numbers_are_untouched() -> None:
    payload = {"event_type": "e", "event_payload": {"n": int(CARD), "count": 42, "ok": True}}
    message = check_message({"channel": "a", "text": "x", "metadata": payload})
    forwarded = evaluate(message, REDACT).payload["metadata"]["event_payload"]
    assert forwarded == {"n": "[redacted:payment-card-number]", "count": 42, "ok": True}


def test_a_number_is_read_with_its_key_as_its_label() -> None:
    # An order number is an order number whether it is written in text or sent as a number.
    payload = {"event_type": "e", "event_payload": {"order_id": int(MY_NUMBER)}}
    message = check_message({"channel": "a", "text": "x", "metadata": payload})
    assert evaluate(message, BLOCK).redactions == []


# --- the team's policy, end to end -------------------------------------------------------


def registry_text(hook: str) -> str:
    return f"""
[teams.payments]
channels = ["payments-alerts"]
[teams.payments.personal_data]
email = "block"
card = "redact"

[teams.search]
channels = ["search-reports"]
action = "redact"
[teams.search.personal_data]
email = "allow"
phone = "allow"

[channels.payments-alerts]
url = "{hook}"
[channels.search-reports]
url = "{hook}"
"""


@pytest.fixture
def relay(slack: SlackStandin, log: io.StringIO) -> Relay:
    return Relay(
        registry=parse_registry(registry_text(slack.url)),
        forwarder=Forwarder(deadline_seconds=3, attempt_timeout_seconds=1),
        expected_account=ACCOUNT,
        log=log,
    )


def test_block_refuses_and_masks_the_personal_data(
    relay: Relay, slack: SlackStandin, log: io.StringIO
) -> None:
    status, body = call(relay, {"channel": "payments-alerts", "text": f"from {EMAIL}"}, PAYMENTS)
    assert (status, body["error"]) == (422, "content_blocked")
    assert [r["rule"] for r in body["reasons"]] == ["email-address"]
    assert slack.received == []
    assert EMAIL not in json.dumps(body) and EMAIL not in log.getvalue()
    assert log_records(log)[0]["rules"] == ["email-address"]


def test_redact_forwards_without_the_personal_data_in_a_blocking_team(
    relay: Relay, slack: SlackStandin, log: io.StringIO
) -> None:
    # payments blocks secrets (`action` default) but redacts cards and, by default, phones.
    text = f"card {CARD} / tel 090-1234-5678"
    status, body = call(relay, {"channel": "payments-alerts", "text": text}, PAYMENTS)
    assert status == 200
    [forwarded] = slack.payloads
    assert (
        forwarded["text"] == "card [redacted:payment-card-number] / tel [redacted:phone-number-jp]"
    )
    assert [r["rule"] for r in body["redacted"]] == ["payment-card-number", "phone-number-jp"]
    assert CARD not in json.dumps(body) and CARD not in log.getvalue()
    assert "5678" not in log.getvalue()


def test_allow_forwards_the_class_as_written_and_the_rest_still_applies(
    relay: Relay, slack: SlackStandin
) -> None:
    text = f"owner {EMAIL}, +81 90-1234-5678, my number {MY_NUMBER}"
    status, body = call(relay, {"channel": "search-reports", "text": text}, SEARCH)
    assert status == 200
    [forwarded] = slack.payloads
    # e-mail and phone allowed; My Number follows the team's action (redact).
    assert (
        forwarded["text"] == f"owner {EMAIL}, +81 90-1234-5678, my number [redacted:jp-my-number]"
    )
    assert [r["rule"] for r in body["redacted"]] == ["jp-my-number"]


def test_one_blocking_class_refuses_the_whole_message(relay: Relay, slack: SlackStandin) -> None:
    # A redacted card and a blocked e-mail address in one message: the message is refused.
    text = f"card {CARD} for {EMAIL}"
    status, body = call(relay, {"channel": "payments-alerts", "text": text}, PAYMENTS)
    assert status == 422
    assert {r["rule"] for r in body["reasons"]} == {"payment-card-number", "email-address"}
    assert slack.received == []


def test_secrets_still_follow_action(relay: Relay, slack: SlackStandin) -> None:
    key = "AKIA" + "Q3EGRT5EXAMPLEZ7"
    assert call(relay, {"channel": "payments-alerts", "text": key}, PAYMENTS)[0] == 422
    status, _ = call(relay, {"channel": "search-reports", "text": key}, SEARCH)
    assert status == 200
    assert slack.payloads[0]["text"] == "[redacted:aws-access-key-id]"
