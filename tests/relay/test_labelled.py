"""A string value is read with the object key it sits under: {"db_password": "..."} in a
message's metadata is a password, as `db_password: ...` in a configuration file is."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_gateway.relay import labelled
from shared_gateway.relay.normalize import normalize
from shared_gateway.relay.payload import Message, PayloadRejected
from shared_gateway.relay.policy import evaluate
from shared_gateway.relay.registry import parse_registry

REGISTRY = parse_registry(
    '[teams.payments]\nchannels = ["a"]\n[teams.search]\nchannels = ["b"]\naction = "redact"\n'
    '[channels.a]\nsecret = "s/a"\n[channels.b]\nsecret = "s/b"\n'
)
PASSWORD = "Zq8rT2" + "mK9pL4xW"
DATADOG = "a1b2c3d4e5f6a7b8" + "c9d0e1f2a3b4c5d6"  # 32 hex, the shape of a Datadog API key


def metadata(payload: object) -> dict[str, object]:
    return {"text": "nightly run", "metadata": {"event_type": "run", "event_payload": payload}}


def blocked_rules(fields: dict[str, object]) -> list[str]:
    try:
        evaluate(Message("a", fields), REGISTRY.teams["payments"])
    except PayloadRejected as refused:
        assert refused.error == "content_blocked"
        return sorted({reason.rule for reason in refused.reasons})
    return []


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        ({"password": PASSWORD}, "generic-secret"),
        ({"db_password": PASSWORD}, "generic-secret"),
        ({"DB_PASS": PASSWORD}, "generic-secret"),
        ({"api_key": PASSWORD + "v3N"}, "generic-secret"),
        ({"clientSecret": PASSWORD + "v3N"}, "generic-secret"),
        ({"ＰＡＳＳＷＯＲＤ": PASSWORD}, "generic-secret"),  # full-width key
        ({"db": {"credentials": {"password": PASSWORD}}}, "generic-secret"),  # nested
        ({"users": [{"name": "ops", "pwd": PASSWORD}]}, "generic-secret"),  # in a list
        ({"DATADOG_API_KEY": DATADOG}, "datadog-api-key"),
        # ~/.docker/config.json as metadata: base64 of deploy:<password> under "auth"
        ({"auths": {"registry": {"auth": "ZGVwbG95OlpxOHJUMm1LOXBMNHhX"}}}, "auth-credentials"),
    ],
)
def test_a_secret_under_a_key_that_names_it_is_found(payload: object, rule: str) -> None:
    assert blocked_rules(metadata(payload)) == [rule]


@pytest.mark.parametrize(
    "payload",
    [
        {"password": "changeme"},  # no entropy: a placeholder, as in text
        {"secretName": "db-creds", "existingSecret": "tls-cert"},  # Kubernetes names
        {"token_count": "1234", "keyboard": "qwertyuiopasdf"},
        {"passed": "all 1432 checks in 12 suites"},
        {"status": PASSWORD},  # a key that names nothing: the value alone is a word
    ],
)
def test_a_value_under_an_ordinary_or_harmless_key_passes(payload: object) -> None:
    assert blocked_rules(metadata(payload)) == []


def test_an_attachment_field_is_named_by_its_title() -> None:
    field = {"title": "DB password", "value": PASSWORD, "short": True}
    assert blocked_rules({"attachments": [{"fields": [field]}]}) == ["generic-secret"]
    harmless = {"title": "Passed checks", "value": "1432 of 1432"}
    assert blocked_rules({"attachments": [{"fields": [harmless]}]}) == []


def test_block_kit_keys_name_no_secret() -> None:
    keys = ["text", "type", "blocks", "elements", "value", "url", "alt_text", "block_id"]
    keys += ["action_id", "fields", "placeholder", "initial_value", "image_url", "title"]
    assert labelled.keys_naming_secrets(keys) == set()
    assert labelled.keys_naming_secrets(["Api_Token", "ＰＷＤ", "status"]) == {
        "Api_Token",
        "ＰＷＤ",
    }


def test_a_redacting_team_gets_the_value_redacted_and_the_key_kept() -> None:
    fields = metadata({"db_password": PASSWORD, "rows": "12"})
    verdict = evaluate(Message("b", fields), REGISTRY.teams["search"])
    forwarded = verdict.payload["metadata"]["event_payload"]  # type: ignore[index]
    assert forwarded == {"db_password": "[redacted:generic-secret]", "rows": "12"}
    assert [reason.rule for reason in verdict.redactions] == ["generic-secret"]


def test_a_token_the_value_holds_on_its_own_is_reported_once() -> None:
    key = "AKIA" + "Q3EGRT5EXAMPLEZ7"
    try:
        evaluate(Message("a", metadata({"aws_key": key})), REGISTRY.teams["payments"])
    except PayloadRejected as refused:
        assert [reason.rule for reason in refused.reasons] == ["aws-access-key-id"]
    else:
        pytest.fail("the key was not found")


@given(st.text(max_size=12), st.text(max_size=30))
def test_a_label_leaves_the_value_where_the_scanner_reads_it(key: str, value: str) -> None:
    # The scanner normalises `label + value` as a whole; the value must start at the label's
    # length and read as it does alone, so that spans move back by that length.
    label = labelled.label(key)
    assert normalize(label + value) == label + normalize(value)
