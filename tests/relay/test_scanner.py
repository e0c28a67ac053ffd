"""The scanner as a whole: normalisation, evasions, decoding, batching, masking, redaction."""

from __future__ import annotations

import base64
import random
import re
import string
import unicodedata
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_gateway.relay.normalize import normalize, normalize_many
from shared_gateway.relay.scanner import Finding, redact, scan, scan_many

UPPER_BASE32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits


def fake(prefix: str, alphabet: str, length: int, seed: int) -> str:
    rng = random.Random(seed)
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


AWS_KEY_ID = fake("AKIA", UPPER_BASE32, 16, 101)
GITHUB = fake("ghp" + "_", ALNUM, 36, 102)
SLACK = "xoxb-" + fake("", string.digits, 12, 103) + "-" + fake("", ALNUM, 24, 104)
PASSWORD = "Qz7!" + fake("", ALNUM, 12, 105)
VISA = "4111" + "1111" + "1111" + "1111"  # the well-known test card number
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def rules(text: str) -> list[str]:
    return [f.rule for f in scan(text)]


def reference_normalize(text: str) -> str:
    """What `normalize` promises, computed the slow, obvious way."""
    cf = "".join(
        c
        for c in unicodedata.normalize("NFKC", text)
        if unicodedata.category(c) != "Cf" and c not in INVISIBLE_NOT_CF
    )
    return unicodedata.normalize("NFKC", cf)


# Default-ignorable code points that are not Cf: removed as well.
INVISIBLE_NOT_CF = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


# --- normalisation ---------------------------------------------------------------------


def test_normalize_ascii_is_untouched() -> None:
    text = "plain ASCII text"
    assert normalize(text) is text


def test_normalize_nfkc_and_format_characters() -> None:
    assert normalize("ＡＢＣ１２３") == "ABC123"
    assert normalize("ｶﾞｷﾞ") == "ガギ"
    assert normalize("a\u200bb\u200cc\u200dd\u2060e\ufeff\u00adf") == "abcdef"
    assert normalize("x\u3000y\u00a0z") == "x y z"
    assert normalize("\U0001d400\U0001d40a\U0001d408\U0001d400") == "AKIA"  # mathematical bold
    assert normalize("ﬁle") == "file"
    assert normalize("日本語のテキスト。") == "日本語のテキスト。"


def test_normalize_composes_across_a_removed_character() -> None:
    assert normalize("e\u200b\u0301") == "é"


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
@settings(max_examples=400)
def test_normalize_matches_reference(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


@given(
    st.text(
        alphabet=st.sampled_from(
            list("aAé\u0301か\u3099ｶﾞﾞ\u3000\u00a01Ａ😀\U0001d400\u200b\n。漢한\u11a8\u00bd")
        ),
        max_size=30,
    )
)
@settings(max_examples=400)
def test_normalize_matches_reference_on_tricky_characters(text: str) -> None:
    assert normalize(text) == reference_normalize(text)
    assert normalize(normalize(text)) == normalize(text)


def test_normalize_many_matches_normalize() -> None:
    texts = ["abc", "ＡＢＣ", "ｶﾀｶﾅ\u200b", "x\n\x00\ny", "", "日本"]
    assert normalize_many(texts) == [normalize(t) for t in texts]


# --- evasions --------------------------------------------------------------------------


def test_zero_width_characters_inside_a_key() -> None:
    assert rules("key " + "\u200b".join(AWS_KEY_ID) + " end") == ["aws-access-key-id"]
    assert rules(AWS_KEY_ID[:8] + "\u2060\ufeff" + AWS_KEY_ID[8:]) == ["aws-access-key-id"]


def test_full_width_key() -> None:
    assert rules("キー：" + AWS_KEY_ID.translate(FULL_WIDTH)) == ["aws-access-key-id"]
    assert rules(GITHUB.translate(FULL_WIDTH)) == ["github-token"]


def test_full_width_card_and_my_number_digits() -> None:
    assert rules("カード番号 " + VISA.translate(FULL_WIDTH)) == ["payment-card-number"]
    assert rules("ﾏｲﾅﾝﾊﾞｰ：１２３４５６７８９０１８") == ["jp-my-number"]


def test_nfkc_compatible_characters_split_a_key() -> None:
    # Mathematical bold letters and a full-width digit spell the same key.
    bold = "".join(chr(0x1D400 + ord(c) - 65) if c.isupper() else c for c in AWS_KEY_ID)
    assert rules(bold) == ["aws-access-key-id"]


def test_percent_encoded_secret() -> None:
    encoded = "https://example.com/cb?t=" + quote(GITHUB, safe="").replace("_", "%5F")
    [finding] = scan(encoded)
    assert finding.rule == "github-token"
    assert (finding.start, finding.end) == (0, len(encoded))  # the whole encoded run
    fully = "".join(f"%{b:02X}" for b in AWS_KEY_ID.encode())
    assert rules(f"x={fully}") == ["aws-access-key-id"]


def test_percent_encoded_zero_width_is_removed_after_decoding() -> None:
    hidden = AWS_KEY_ID[:6] + "%E2%80%8B" + AWS_KEY_ID[6:]
    assert rules(hidden) == ["aws-access-key-id"]


def test_base64_encoded_secret_standard_and_urlsafe() -> None:
    payload = f"aws key {AWS_KEY_ID} and {PASSWORD}".encode()
    standard = base64.b64encode(payload).decode()
    urlsafe = base64.urlsafe_b64encode(payload + b"\xfb\xff").decode().rstrip("=")
    for encoded in (standard, urlsafe):
        text = f"blob: {encoded} end"
        findings = scan(text)
        assert "aws-access-key-id" in [f.rule for f in findings]
        assert all((f.start, f.end) == (6, 6 + len(encoded)) for f in findings)


def test_base64_inside_percent_encoding() -> None:
    encoded = quote(base64.b64encode(f"token {SLACK}".encode()).decode(), safe="")
    assert rules(f"q={encoded}") == ["slack-token"]


def test_base64_of_harmless_text_and_binary_is_clean() -> None:
    assert scan(base64.b64encode(b"The quick brown fox jumps over the lazy dog").decode()) == []
    assert scan(base64.b64encode(bytes(range(256))).decode()) == []


# --- findings, masking and redaction -----------------------------------------------------


def test_finding_fields() -> None:
    text = f"id {AWS_KEY_ID}"
    [finding] = scan(text)
    assert finding == Finding(
        rule="aws-access-key-id",
        masked=AWS_KEY_ID[:4] + "*" * 12 + AWS_KEY_ID[-4:],
        start=3,
        end=23,
        description="AWS access key id",
    )


def test_spans_are_in_normalised_text() -> None:
    text = "ＩＤ：\u200b" + AWS_KEY_ID
    [finding] = scan(text)
    assert normalize(text)[finding.start : finding.end] == AWS_KEY_ID


SECRETS = [AWS_KEY_ID, GITHUB, SLACK, VISA, "-----BEGIN " + "PRIVATE KEY-----\n" + "A" * 300]


def test_masked_never_holds_the_secret() -> None:
    for secret in [*SECRETS, f"password={PASSWORD}", "マイナンバー 123456789018"]:
        for finding in scan(f"x {secret} y"):
            assert secret not in finding.masked
            assert len(finding.masked) <= 40
            assert "*" in finding.masked
    [my_number] = scan("マイナンバー 123456789018")
    assert set(my_number.masked) == {"*"}  # personal data: nothing of it shown


def test_redact_replaces_every_finding() -> None:
    text = f"a {AWS_KEY_ID} b password={PASSWORD} c {VISA} d"
    redacted = redact(text, scan(text))
    assert redacted == (
        "a [redacted:aws-access-key-id] b password=[redacted:generic-secret] "
        "c [redacted:payment-card-number] d"
    )


def test_redact_merges_overlapping_spans_and_returns_normalised_text() -> None:
    text = "ＡＢ 0123456789"
    findings = [
        Finding("one", "*", 3, 8, "one"),
        Finding("two", "*", 6, 10, "two"),
        Finding("three", "*", 11, 13, "three"),
    ]
    assert redact(text, findings) == "AB [redacted:one]7[redacted:three]"


def test_redact_without_findings_is_normalised_text() -> None:
    assert redact("ＡＢ\u200bＣ", []) == "ABC"


def test_redact_ignores_spans_out_of_range() -> None:
    assert redact("abc", [Finding("r", "*", 2, 99, "r")]) == "ab[redacted:r]"


# --- batching ------------------------------------------------------------------------------


def test_scan_many_is_index_aligned_and_equals_scan() -> None:
    texts = [
        "clean",
        f"key {AWS_KEY_ID}",
        "",
        "マイナンバー",
        "123456789018",  # its keyword in another string: a My Number by its check digit only
        f"token={GITHUB}",
        "日本語 ＡＢＣ " + SLACK,
        "x" * 5000,
    ]
    batch = scan_many(texts)
    assert len(batch) == len(texts)
    assert batch == [scan(text) for text in texts]
    assert [finding.rule for finding in batch[4]] == ["jp-my-number-bare"]


def test_no_match_across_strings() -> None:
    # Each half is harmless; joined they would be a key and a password.
    texts = [AWS_KEY_ID[:10], AWS_KEY_ID[10:], "password=", PASSWORD, "4111 1111", "1111 1111"]
    assert scan_many(texts) == [[] for _ in texts]


def test_pairing_does_not_cross_strings() -> None:
    secret = fake("", ALNUM + "+/", 40, 106)
    texts = [f"id {AWS_KEY_ID}", secret]
    assert [[f.rule for f in found] for found in scan_many(texts)] == [["aws-access-key-id"], []]
    assert "aws-secret-access-key" in rules(f"id {AWS_KEY_ID}\n{secret}")


def test_strings_holding_the_separator_are_scanned_correctly() -> None:
    texts = [f"a\n\x00\n{AWS_KEY_ID}", "b\x00", f"c {GITHUB}\x00"]
    assert scan_many(texts) == [scan(text) for text in texts]
    assert [[f.rule for f in found] for found in scan_many(texts)] == [
        ["aws-access-key-id"],
        [],
        ["github-token"],
    ]


def test_empty_batch() -> None:
    assert scan_many([]) == []


# --- properties --------------------------------------------------------------------------

planted = st.sampled_from([*SECRETS, f"password={PASSWORD}"])
noise = st.text(max_size=40)


@given(st.text(max_size=300))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_scan_and_redact_never_raise(text: str) -> None:
    findings = scan(text)
    redacted = redact(text, findings)
    assert isinstance(redacted, str)
    normalised = normalize(text)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(normalised)


@given(st.lists(st.text(max_size=80), max_size=8))
@settings(max_examples=200)
def test_batch_equals_one_by_one(texts: list[str]) -> None:
    assert scan_many(texts) == [scan(text) for text in texts]


@given(noise, planted, noise)
@settings(max_examples=300)
def test_redaction_removes_planted_secrets(before: str, secret: str, after: str) -> None:
    text = f"{before} {secret} {after}"
    findings = scan(text)
    assert findings, text
    redacted = redact(text, findings)
    value = secret.removeprefix("password=")
    assert value not in redacted
    # And what redaction leaves behind is clean of that secret's rule at that place.
    assert not any(
        value in redacted[f.start : f.end] for f in scan(redacted) if f.rule != "generic-secret"
    )


@given(noise, noise)
@settings(max_examples=200)
def test_detected_secrets_do_not_survive_redaction(before: str, after: str) -> None:
    text = f"{before} {AWS_KEY_ID} {GITHUB} {after}"
    findings = scan(text)
    normalised = normalize(text)
    redacted = redact(text, findings)
    for finding in findings:
        secret = normalised[finding.start : finding.end]
        if len(secret) >= 8 and re.search(r"\w{8}", secret):
            assert secret not in redacted
