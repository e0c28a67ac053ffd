"""The message as a reader sees it: a secret split across strings, spaces or mrkdwn markers is
found, always blocks, and is reported with the strings it spans; ordinary messages pass."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_gateway.relay import rendered, scanner
from shared_gateway.relay.payload import Message, PayloadRejected
from shared_gateway.relay.policy import evaluate
from shared_gateway.relay.registry import parse_registry

REGISTRY = parse_registry(
    '[teams.payments]\nchannels = ["a"]\n'
    '[teams.search]\nchannels = ["b"]\naction = "redact"\n'
    '[teams.search.personal_data]\nemail = "allow"\n'
    '[channels.a]\nsecret = "s/a"\n[channels.b]\nsecret = "s/b"\n'
)
# Assembled here, so that this file holds no whole token.
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
AWS = "AKIA" + "Q3EGRT5EXAMPLEZ7"


def refusal(fields: dict[str, Any], team: str = "payments") -> PayloadRejected:
    with pytest.raises(PayloadRejected) as caught:
        evaluate(Message("a", fields), REGISTRY.teams[team])
    assert caught.value.error == "content_blocked"
    return caught.value


def passes(fields: dict[str, Any], team: str = "payments") -> dict[str, Any]:
    return evaluate(Message("a", fields), REGISTRY.teams[team]).payload


def rich_text(*texts: str) -> dict[str, Any]:
    elements = [{"type": "text", "text": text} for text in texts]
    return {
        "blocks": [
            {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}
        ]
    }


def section_fields(*texts: str) -> dict[str, Any]:
    fields = [{"type": "mrkdwn", "text": text} for text in texts]
    return {"blocks": [{"type": "section", "fields": fields}]}


# --- split across strings ------------------------------------------------------------------------


def test_a_token_split_across_two_rich_text_elements_blocks_with_both_named() -> None:
    fields = rich_text("deploy with " + GITHUB[:11], GITHUB[11:])
    assert scanner.scan_many([GITHUB[:11], GITHUB[11:]]) == [[], []]  # each half is clean
    (reason,) = refusal(fields).reasons
    assert reason.rule == "github-token"
    assert reason.path == "blocks[0].elements[0].elements[0..1]"
    assert "across 2 strings" in reason.message
    assert "cannot be redacted in place" in reason.message
    assert "ghp_****" in reason.message and GITHUB not in reason.message


def test_a_key_name_in_one_element_and_its_value_in_the_next_is_one_secret() -> None:
    # Every rule reads the rendered view, key=value ones too: the reader sees one line.
    value = "Zq8" + "vW2nR5tY7uK1mX4"
    (reason,) = refusal(rich_text("db_password = ", value, " (rotate monthly)")).reasons
    assert reason.rule == "generic-secret"
    assert reason.path == "blocks[0].elements[0].elements[1].text"  # where the value is
    assert "with the strings around it" in reason.message


def test_a_token_split_across_section_fields_blocks() -> None:
    (reason,) = refusal(section_fields(GITHUB[:20], GITHUB[20:])).reasons
    assert (reason.rule, reason.path) == ("github-token", "blocks[0].fields[0..1]")
    assert "spaces and formatting marks" in reason.message


def test_a_label_in_one_section_field_names_the_value_in_the_next() -> None:
    value = "Zq8" + "vW2nR5tY7uK1mX4"
    (reason,) = refusal(section_fields("*DB password:*", value, "*Owner:*", "ops")).reasons
    assert (reason.rule, reason.path) == ("generic-secret", "blocks[0].fields[1].text")
    assert "with the strings around it" in reason.message
    # Labels that name no secret, or values that are words, pass.
    passes(section_fields("*Status:*", "passed", "*Owner:*", value))
    passes(section_fields("*Token:*", "expired"))


def test_a_token_split_across_the_text_and_a_block_blocks() -> None:
    fields = {
        "text": "key " + AWS[:8],
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": AWS[8:] + " ok"}}],
    }
    (reason,) = refusal(fields).reasons
    assert (reason.rule, reason.path) == ("aws-access-key-id", "text .. blocks[0].text.text")


def test_a_token_split_across_attachment_fields_blocks() -> None:
    attachment = {"fields": [{"title": "id", "value": AWS[:10]}, {"title": "", "value": AWS[10:]}]}
    (reason,) = refusal({"attachments": [attachment]}).reasons
    assert reason.path == "attachments[0].fields[0..1]"


def test_a_split_secret_blocks_even_for_a_team_that_redacts() -> None:
    reasons = refusal(rich_text(GITHUB[:11], GITHUB[11:]), team="search").reasons
    assert [reason.rule for reason in reasons] == ["github-token"]
    # An unsplit secret is still redacted for that team, as before.
    payload = passes({"text": "key " + AWS}, team="search")
    assert payload["text"] == "key [redacted:aws-access-key-id]"


def test_personal_data_split_across_elements_follows_the_teams_policy() -> None:
    fields = rich_text("write to ops", "@corp.internal today")
    assert [reason.rule for reason in refusal(fields).reasons] == ["email-address"]
    assert passes(fields, team="search") == fields  # e-mail is allowed there


# --- split inside one string ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "id " + " ".join(AWS[i : i + 4] for i in range(0, 20, 4)),  # AKIA Q3EG RT5E ...
        "see\n" + GITHUB[:9] + "\n" + GITHUB[9:],
        "see *" + GITHUB[:9] + "*" + GITHUB[9:],
        "see " + GITHUB[:9] + " _" + GITHUB[9:20] + "_ " + GITHUB[20:],
        "see `" + GITHUB[:9] + "` `" + GITHUB[9:] + "`",
        "see ~" + GITHUB[:9] + "~ " + GITHUB[9:],
        "see gh p_" + GITHUB[4:20] + "  " + GITHUB[20:],  # the prefix itself split
        "see " + GITHUB[:4] + " " + GITHUB[4:] + " thanks",  # a word right after it
        "2026-11-26 ERROR " + GITHUB[:12] + " " + GITHUB[12:],  # token-like words before it
    ],
    ids=[
        "spaces",
        "newlines",
        "bold",
        "italic",
        "backticks",
        "strike",
        "prefix",
        "word-after",
        "words-before",
    ],
)
def test_a_token_split_inside_one_string_blocks(text: str) -> None:
    assert scanner.scan(text) == []  # the per-string scan does not see it
    (reason,) = refusal({"text": text}).reasons
    assert reason.rule in {"aws-access-key-id", "github-token"}
    assert reason.path == "text"
    assert AWS not in reason.message and GITHUB not in reason.message


def test_a_literal_underscore_next_to_a_space_stays_in_the_token() -> None:
    # "ghp_ a1B2..." is ghp_a1B2... to a reader: the _ is the prefix's, not an italic marker.
    (reason,) = refusal({"text": "token: ghp_ " + GITHUB[4:]}).reasons
    assert reason.rule == "github-token"


# --- near misses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "The nightly run finished with 12 batches. Deploy v2 of the API to EC2 now."},
        {"text": "Bump pypa/gh-action-pypi-publish from 1.8.10 to 1.8.11 (#12345) by @dependabot"},
        rich_text("Hello ", "there", ", the deploy of ", "api-v2", " is done."),
        rich_text("secret", "Name: prod-db"),  # a Kubernetes field, not a secret
        section_fields("*Status:*\nOK", "*Duration:*\n12 ms"),
        section_fields("*Order*\n4111 1111", "*Amount*\n1111 1111"),  # digits never compacted
        {"text": "```\nx = 1\ny_2 = x + 3\nfor i in range(10): print(i, x, y_2)\n```"},
        {"text": "```\nSK_AB = 1\nAC_DC = 2\nghp = None\npat_id = 3\nsk_x = 4\n```"},
        {"text": "ids: AC12 AC34 AC56 SK78 SK90 i-0abc123def4567890 i-0123456789abcdef0"},
        {"text": "pods: sk-batch-runner-7d9f8b6c5-x2k4p sk-batch-runner-7d9f8b6c5-q8w2e"},
        {"text": "commits 3f5e2a9c 1b7d4e6f 8a0b2c4d 6e8f0a1b 3c5d7e9f landed in v1.2.3"},
        {"text": "keys: AKIA AKIA AKIA, see the AKIA-prefixed ids in the IAM console"},
        rich_text("Use the ", "AKIA", " prefix to spot access key ids"),
    ],
    ids=[
        "prose",
        "dependabot",
        "rich-text-words",
        "k8s",
        "fields",
        "card-like-digits",
        "code",
        "code-identifiers",
        "id-list",
        "pod-names",
        "hashes",
        "keyword-words",
        "keyword-element",
    ],
)
def test_ordinary_messages_pass(fields: dict[str, Any]) -> None:
    assert rendered.split_findings(fields) == []
    passes(fields)


# --- the criterion and the bounds ----------------------------------------------------------------


def test_only_token_shaped_secret_rules_read_the_compact_view() -> None:
    shaped = rendered.TOKEN_SHAPED
    assert {"aws-access-key-id", "github-token", "slack-token", "jwt", "npm-token"} <= shaped
    # key=value, generic, multi-word and personal-data rules are left out
    left_out = {"generic-secret", "bearer-token", "datadog-api-key", "private-key", "iban"}
    assert not shaped & (left_out | {"email-address", "payment-card-number", "jp-my-number"})


def test_a_single_string_without_a_keyword_scans_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(texts: object) -> object:
        raise AssertionError("scanned")

    monkeypatch.setattr(scanner, "scan_many", fail)
    assert rendered.split_findings({"text": "all good " * 1000}) == []
    assert rendered.split_findings(section_fields("ok", "fine")) == []


def test_the_views_are_bounded_by_the_visible_text(monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[int] = []
    real = scanner.scan_many

    def counting(texts: list[str]) -> list[list[scanner.Finding]]:
        scanned.append(sum(len(text) for text in texts))
        return real(texts)

    monkeypatch.setattr(scanner, "scan_many", counting)
    # Worst shapes: every joint inline, and keyword-bearing runs everywhere.
    pieces = [f"AKIA {i:04d} ghp_ ab" for i in range(400)]
    for fields in (rich_text(*pieces), {"text": " ".join(pieces)}):
        visible = len(rendered.render(fields).text)
        scanned.clear()
        reasons = rendered.split_findings(fields)
        # Either read within the bound, or refused for what the bound left unread.
        assert (scanned and scanned[0] <= visible + rendered.COMPACT_MAX + visible // 4) or [
            reason.rule for reason in reasons
        ] == ["split-content"]
        assert len(scanned) <= 1  # one batch


def test_more_split_token_text_than_the_bound_is_refused_not_passed_unread() -> None:
    # 3,000 spaced "ghp_ a1B2 c3D4" pieces compact to more than COMPACT_MAX characters.
    text = "ghp_ a1B2 c3D4 " * 3_000
    reasons = refusal({"text": text}).reasons
    assert [reason.rule for reason in reasons] == ["split-content"]
    assert f"{rendered.COMPACT_MAX // 1024} KiB" in reasons[0].message
    # Spread over many short runs instead, the run bound holds the same way.
    runs = ", ".join(["ghp_ a1B2 c3D4"] * (rendered.MAX_RUNS + 1))
    assert [reason.rule for reason in refusal({"text": runs}).reasons] == ["split-content"]


def test_a_long_wrapped_base64_blob_with_keyword_look_alikes_passes() -> None:
    # 24 KB of base64 over 76-character lines joins into one run longer than COMPACT_MAX;
    # only the stretches after keyword-like letters ("dapi", "pat") are read, not the whole.
    blob = base64.b64encode(bytes((7 * i * i + 3 * i) % 256 for i in range(18_000))).decode()
    blob = blob[:5_000] + "dapi" + blob[5_000:12_000] + "pat" + blob[12_000:]
    text = "\n".join(blob[i : i + 76] for i in range(0, len(blob), 76))
    assert len(text) > rendered.COMPACT_MAX
    assert rendered.split_findings({"text": text}) == []
    # A token split over two of those lines, deep inside the run, is still found there.
    middle = text.index("\n", 10_000)
    planted = text[:middle] + "\n" + GITHUB[:20] + "\n" + GITHUB[20:] + text[middle:]
    (reason,) = rendered.split_findings({"text": planted})
    assert (reason.rule, reason.path) == ("github-token", "text")


def test_paths_of_spans() -> None:
    assert rendered._span_path("a.b[1].text", "a.b[3].text") == "a.b[1..3]"
    assert rendered._span_path("text", "blocks[0].text.text") == "text .. blocks[0].text.text"
    assert rendered._span_path("text", "text") == "text"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="Tlg.", min_size=1, max_size=200))
def test_compact_runs_start_only_where_a_chunk_starts(mask_text: str) -> None:
    """Work bound of the compact view: the run pattern never starts inside a chunk, so one
    long chunk is read once, not again from each of its characters (which made a 250 KB
    base64 string cost minutes)."""
    mask = mask_text.encode()
    pattern = rendered._compact_run()
    for position in range(1, len(mask)):
        if mask[position - 1 : position] in (b"T", b"l"):
            assert pattern.match(mask, position) is None
