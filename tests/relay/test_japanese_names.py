"""Secrets named in Japanese: the line after パスワード, APIキー, 暗証番号... is read with the name
in English, so the key=value and sentence rules see it; ordinary Japanese about passwords
passes."""

from __future__ import annotations

import pytest

from shared_gateway.relay.japanese_names import NAMES, japanese_name_windows
from shared_gateway.relay.scanner import redact, scan

PASSWORD = "Zq8rT2" + "mK9pL4xW"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (f"パスワード: {PASSWORD}", "generic-secret"),
        (f"パスワード：{PASSWORD}", "generic-secret"),  # full-width colon
        (f"パスワードは {PASSWORD} です", "prose-secret"),
        (f"パスワードは{PASSWORD}です。", "prose-secret"),  # no space on either side
        (f"本番DBのパスワードは「{PASSWORD}」です", "prose-secret"),
        (f"APIキー＝{PASSWORD}v3N", "generic-secret"),
        ("新しい暗証番号は 8h2Kq9xL です", "prose-secret"),
        (f"アクセストークン: {PASSWORD}v3N", "generic-secret"),
        (f"秘密鍵: {PASSWORD}v3N", "generic-secret"),
    ],
)
def test_a_secret_after_a_japanese_name_is_found(text: str, rule: str) -> None:
    found = scan(text)
    assert [(f.rule, f.encoding) for f in found] == [(rule, "Japanese key name")]
    assert PASSWORD[:8] not in redact(text, found)


@pytest.mark.parametrize(
    "text",
    [
        "パスワードは定期的に変更してください",
        "パスワードを忘れた場合はこちらから再設定できます",
        "トークンの有効期限が切れました。再ログインしてください",
        "パスワードは8文字以上にしてください",
        "パスワード：********",
        "パスワードは社内Wikiを参照してください",
        "APIキーは環境変数 API_KEY に設定してください",
        "秘密鍵はVaultに保管されています",
    ],
)
def test_ordinary_japanese_about_secrets_passes(text: str) -> None:
    assert scan(text) == []


def test_a_text_without_a_name_is_not_read_again() -> None:
    assert japanese_name_windows(["本日のバッチ処理は正常に完了しました", "パス", "ワード"]) == []
    assert japanese_name_windows(["password: ascii text is the rules' own"]) == []


def test_the_window_stops_at_the_end_of_the_line() -> None:
    texts = ["本日", f"前置き パスワードは {PASSWORD}\n次の行"]
    ((index, start, end, read),) = japanese_name_windows(texts)
    assert read == f"password is {PASSWORD}"
    assert (index, start, end) == (1, 4, 4 + len(f"パスワードは {PASSWORD}"))


def test_every_name_is_read_in_english() -> None:
    for name, english in NAMES.items():
        ((_, _, _, read),) = japanese_name_windows([f"{name}: x"])
        assert read.startswith(english) and read.isascii()
