"""Decoders: each encoding a secret can hide in is read, says how it was encoded, and stays
bounded in work (counted by the decoders, not timed) however hostile the input."""

from __future__ import annotations

import base64
import gzip
import random
import re
import string
import unicodedata
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_gateway.relay import decoders
from shared_gateway.relay.scanner import scan, scan_many

UPPER_BASE32 = string.ascii_uppercase + "234567"
AWS_KEY_ID = "AKIA" + "".join(random.Random(7).choice(UPPER_BASE32) for _ in range(16))
LINE = f"aws key {AWS_KEY_ID} for the nightly job"


def found(text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.encoding) for f in scan(text)]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- each encoding is read ------------------------------------------------------------------

ENCODED = {
    "hex": (LINE.encode().hex(), "hex"),
    "hex-upper-colons": (":".join(f"{b:02X}" for b in LINE.encode()), "hex"),
    "hex-spaced": (" ".join(f"{b:02x}" for b in LINE.encode()), "hex"),
    "hex-0x": (", ".join(f"0x{b:02x}" for b in LINE.encode()), "hex"),
    "hex-backslash-x": ("".join(f"\\x{b:02x}" for b in LINE.encode()), "hex"),
    "base32": (base64.b32encode(LINE.encode()).decode(), "base32"),
    "base32-unpadded-lower": (
        base64.b32encode(LINE.encode()).decode().rstrip("=").lower(),
        "base32",
    ),
    "base64": (b64(LINE.encode()), "base64"),
    "base64url": (base64.urlsafe_b64encode(LINE.encode() + b"\xfb\xff").decode(), "base64url"),
    "base64-wrapped-lf": (
        "\n".join(b64(LINE.encode() * 3)[i : i + 20] for i in range(0, 140, 20)),
        "base64",
    ),
    "base64-wrapped-crlf": (
        "\r\n".join(b64(LINE.encode() * 3)[i : i + 24] for i in range(0, 144, 24)),
        "base64",
    ),
    "base64-wrapped-space": (
        " ".join(b64(LINE.encode() * 3)[i : i + 32] for i in range(0, 160, 32)),
        "base64",
    ),
    "base64-misaligned": ("Zz" + b64(LINE.encode()), "base64"),
    "gzip-in-base64": (b64(gzip.compress(LINE.encode())), "base64 → gzip"),
    "zlib-in-base64": (b64(zlib.compress(LINE.encode())), "base64 → gzip"),
    "base64-in-base64": (b64(b64(LINE.encode()).encode()), "base64 → base64"),
    "base64-three-deep": (
        b64(b64(b64(LINE.encode()).encode()).encode()),
        "base64 → base64 → base64",
    ),
    "reversed": (LINE[::-1], "reversed"),
    "html-decimal": ("".join(f"&#{ord(c)};" for c in AWS_KEY_ID), "html"),
    "html-hex": ("".join(f"&#x{ord(c):x};" for c in AWS_KEY_ID), "html"),
    "html-named": ("key&colon;" + AWS_KEY_ID[:10] + "&NoBreak;" + AWS_KEY_ID[10:], "html"),
    "percent-then-base64": (b64(LINE.encode()).replace("=", "%3D").replace("+", "%2B"), "base64"),
}


@pytest.mark.parametrize(("text", "encoding"), ENCODED.values(), ids=ENCODED.keys())
def test_secret_in_an_encoding_is_found_and_says_how(text: str, encoding: str) -> None:
    findings = [f for f in scan(f"blob: {text} end") if f.rule == "aws-access-key-id"]
    assert findings, text
    finding = findings[0]
    assert finding.encoding == encoding
    assert f"({encoding})" in finding.description
    assert AWS_KEY_ID not in finding.masked
    assert finding.masked.startswith("AKIA") and "*" in finding.masked


def test_base64_of_a_readable_prefix_then_url_escapes() -> None:
    text = "q=" + "".join(f"%{b:02X}" for b in b64(LINE.encode()).encode())
    assert ("aws-access-key-id", "url → base64") in found(text)


# --- look-alikes -------------------------------------------------------------------------------

LOOK_ALIKES = {
    "cyrillic-a-k-i": "\u0410\u041a\u0406\u0410" + AWS_KEY_ID[4:],
    "greek-capitals": "\u0391\u039a\u0399\u0391" + AWS_KEY_ID[4:],
    "arabic-indic-digits": AWS_KEY_ID.translate(str.maketrans("234567", "٢٣٤٥٦٧")),
    "combining-mark-after-ascii": "A\u0332KIA" + AWS_KEY_ID[4:],
}


@pytest.mark.parametrize("text", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_look_alike_characters_read_as_their_ascii_skeleton(text: str) -> None:
    assert "aws-access-key-id" in [f.rule for f in scan(f"key {text} end")]


def test_the_blocks_skipped_when_looking_for_combining_marks_hold_none() -> None:
    # The prefilter for marks after ASCII skips these blocks: a mark among them would be missed.
    skipped = re.compile(f"[{decoders.NO_MARKS}]")
    marks = [
        f"U+{code:04X}"
        for code in range(0x3000, 0x10000)
        if skipped.fullmatch(chr(code)) and unicodedata.category(chr(code)).startswith("M")
    ]
    assert marks == []


def test_every_combining_mark_is_seen_by_the_mark_prefilter() -> None:
    marks = [chr(c) for c in range(0x80, 0x10000) if unicodedata.category(chr(c)).startswith("M")]
    missed = [f"U+{ord(m):04X}" for m in marks if not decoders.may_hold_mark(f"処理A{m}です")]
    assert missed == []
    assert decoders.may_hold_mark("A\U0001d165")  # beyond the BMP: always looked at


def test_the_mark_prefilter_passes_over_ordinary_japanese_and_latin_text() -> None:
    texts = [
        "本日のバッチ処理は正常に完了しました。処理件数は1234件、エラーは0件です。",
        "ｶﾀｶﾅ（全角）：１２３ — Café crème, naïve façade",
        "Отчёт за ночь: обработано 4832 заказа",
    ]
    assert [decoders.may_hold_mark(text) for text in texts] == [False, False, False]


def test_combining_mark_after_ascii_is_read_inside_japanese_text() -> None:
    text = "処理件数は1234件です。キー: A\u0332KIA" + AWS_KEY_ID[4:] + " を確認"
    assert "aws-access-key-id" in [f.rule for f in scan(text)]


def test_card_number_in_other_scripts_digits() -> None:
    card = "4111111111111111".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert [f.rule for f in scan(f"card {card}")] == ["payment-card-number"]
    devanagari = "4111111111111111".translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    assert [f.rule for f in scan(f"card {devanagari}")] == ["payment-card-number"]


def test_ordinary_text_in_other_scripts_stays_clean() -> None:
    texts = [
        "Отчёт за ночь: обработано 4832 заказа, ошибок нет. Следующий запуск в 06:00.",
        "Η αναφορά ολοκληρώθηκε χωρίς σφάλματα· ΑΒΓΔ ΚΑΙ ΟΛΑ ΚΑΛΑ",
        "本日のバッチ処理は正常に完了しました。ノード〇番、処理件数は一二三件です。",
        "تم إنجاز ٤٨٣٢ طلبًا الليلة دون أخطاء",
        "Café crème, naïve façade, Ångström, Øresund — ÀÉÎÕÜ",
    ]
    assert scan_many(texts) == [[] for _ in texts]


# --- ordinary encoded-looking text is left alone -------------------------------------------------


def test_digests_ids_and_binary_do_not_decode_to_findings() -> None:
    texts = [
        "commit 3f5e2a9c1b7d4e6f8a0b2c4d6e8f0a1b3c5d7e9f and 9b2f6c1e-3d4a-4b5c-8d7e-000000001234",
        "sha256:" + "ab" * 32,
        b64(bytes(range(256))),
        base64.b32encode(bytes(range(40))).decode(),
        "&amp; &lt;b&gt; Tom &amp; Jerry &lt;https://example.com&gt;",
        "deploy done — see the changelog; reverted yesterday's change",
    ]
    assert scan_many(texts) == [[] for _ in texts]


# --- bounds: work counted by the decoders ---------------------------------------------------------


@pytest.fixture
def work() -> decoders.Counter[str]:
    decoders.WORK.clear()
    return decoders.WORK


def test_gzip_bomb_costs_no_more_than_the_inflate_bound(work: decoders.Counter[str]) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB of zeros in about 50 KB
    findings = scan(f"attached {b64(bomb)}")
    assert work["inflated"] <= decoders.MAX_INFLATE
    assert [f.rule for f in findings] == ["encoded-content"]
    assert "inflates past" in findings[0].description


def test_many_gzip_bombs_stay_within_the_decode_budget(work: decoders.Counter[str]) -> None:
    bomb = b64(gzip.compress(b"A" * 10_000_000))
    findings = scan(" ".join([bomb] * 40))
    assert work["inflated"] <= decoders.DECODE_BUDGET + decoders.MAX_INFLATE
    assert work["decoded"] <= decoders.DECODE_BUDGET
    assert findings and {f.rule for f in findings} == {"encoded-content"}


def test_a_legitimate_gzip_log_is_read(work: decoders.Counter[str]) -> None:
    log = "\n".join(f"line {n} ok" for n in range(500)) + f"\n{LINE}\n"
    assert ("aws-access-key-id", "base64 → gzip") in found(b64(gzip.compress(log.encode())))


def test_nesting_deeper_than_the_bound_is_reported_not_passed(work: decoders.Counter[str]) -> None:
    nested = LINE.encode()
    for _ in range(decoders.MAX_DEPTH + 2):
        nested = b64(nested).encode()
    findings = scan(nested.decode())
    assert [f.rule for f in findings] == ["encoded-content"]
    assert "layers of encoding" in findings[0].description


def test_huge_hex_is_decoded_in_linear_work(work: decoders.Counter[str]) -> None:
    size = 200_000
    text = ("41" * (size // 2)) + " " + ("4b:" * (size // 6))
    scan(text)
    # Each hex run is decoded once per layer: the bytes decoded stay a small multiple of size.
    assert work["decoded_bytes"] <= 4 * size


def test_a_hex_run_repeated_across_strings_is_decoded_once(work: decoders.Counter[str]) -> None:
    digest = "3f5e2a9c1b7d4e6f8a0b2c4d6e8f0a1b3c5d7e9f"
    scan_many([f"commit {digest} line {n}" for n in range(50)])
    once = work["decoded_bytes"]
    work.clear()
    scan(f"commit {digest} line 0")
    assert once == work["decoded_bytes"] > 0
    # ... and a secret in a repeated run is still reported in every string that holds it.
    hexed = b"password=hunter2xyQ7".hex()
    assert [[f.rule for f in found] for found in scan_many([hexed, "x", hexed])] == [
        ["generic-secret"],
        [],
        ["generic-secret"],
    ]


def test_a_base64_run_repeated_across_strings_is_decoded_once(
    work: decoders.Counter[str],
) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9"  # a JWT header: readable JSON in base64
    scan_many([f"header {token} request {n}" for n in range(50)])
    once = work["decoded_bytes"]
    work.clear()
    scan(f"header {token} request 0")
    assert once == work["decoded_bytes"] > 0
    # ... and a secret in a repeated run is still reported in every string that holds it,
    # wrapped or not (the run is known by its characters, line breaks removed).
    encoded = b64(LINE.encode())
    wrapped = "\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20))
    results = scan_many([encoded, "x", wrapped, encoded])
    assert [[f.rule for f in found] for found in results] == [
        ["aws-access-key-id"],
        [],
        ["aws-access-key-id"],
        ["aws-access-key-id"],
    ]
    assert {f.encoding for found in results for f in found} == {"base64"}


def _readable_by_definition(raw: bytes) -> bool:
    """Printable UTF-8: at most a tenth of the first 4096 characters unprintable."""
    text = raw.decode("utf-8", "replace")
    unprintable = re.findall("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]", text[:4096])
    return bool(text) and len(unprintable) * 10 <= min(len(text), 4096)


@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.lists(st.one_of(st.text(max_size=20).map(str.encode), st.binary(max_size=4))).map(
            b"".join
        ),
        st.integers(4000, 4200).map(lambda n: "ア".encode() * n + bytes(range(32)) * 20),
    )
)
def test_the_quick_refusal_of_random_bytes_decides_as_the_full_count_does(raw: bytes) -> None:
    if decoders._compressed(raw):
        return  # inflated first: another path
    got = decoders._readable(raw, "base64", decoders.Budget())
    assert (got is not None) == _readable_by_definition(raw)


@pytest.mark.parametrize("size", [10_000, 40_000, 160_000])
def test_many_short_candidate_runs_cost_work_proportional_to_size(
    work: decoders.Counter[str], size: int
) -> None:
    pieces = ["%41", "&#65;", "QUtJQUFBQUFBQUFBQUFBQUFB", "AIKA", "deadbeefdeadbeefdeadbeef"]
    text = " ".join(pieces[n % len(pieces)] for n in range(size // 8))
    scan(text)
    assert work["candidates"] <= len(text) // 4  # at most one or two per run of 4-24 characters
    # Each decoder reads the text once (the whole text when it holds many escapes), and a
    # text two decoders lead to is scanned once: a small constant times the size.
    assert work["decoded"] <= 5 * len(text)


@pytest.mark.parametrize(
    "assignment",
    [
        "password=" + "Zq8rT2mK9pL4xW",
        "db_pass: " + "Zq8rT2mK9pL4xW",
        "pwd = " + "Zq8rT2mK9pL4xW",
        "api_key = " + "Zq8rT2mK9pL4xWv3N",
        "client_secret=" + "Zq8rT2mK9pL4xWv3N",
    ],
)
def test_a_reversed_assignment_in_ordinary_text_is_read_the_right_way_round(
    assignment: str,
) -> None:
    # The keyword of a key=value secret is an ordinary word (not the start of a long token),
    # so it is looked for reversed in the whole text, not only in the long runs.
    found = scan(f"nightly run done. {assignment[::-1]} see you tomorrow")
    assert [(f.rule, f.encoding) for f in found] == [("generic-secret", "reversed")]


def test_reversed_windows_read_each_character_at_most_once(work: decoders.Counter[str]) -> None:
    text = "AIKA" * 50_000  # a reversed keyword at every fourth character
    scan(text)
    assert work["decoded"] <= 2 * len(text)
