"""Secrets named in Japanese: ``パスワード: ...``, ``パスワードは ... です``, ``APIキー：...``.

The rules read an ASCII view of the text, where a Japanese word is a row of ``?``: a value
after ``パスワード`` had no name before it. Where a text holds one of the names below, the
line from the name on is read again with the name in English and its particle as a sentence
has it (``は``, ``が``, ``を`` become "is"), ``「」`` quotes as ``"``, and a space wherever
ASCII meets Japanese (``はZq8...です`` has none), so the key=value and sentence rules see
``password is Zq8...``. What they find is reported on that stretch of the text, like a decoded run.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["NAMES", "japanese_name_windows"]

# Names of secrets in Japanese business text, and how the rules name them.
NAMES = {
    "パスワード": "password",
    "パスフレーズ": "passphrase",
    "合言葉": "passphrase",
    "暗証番号": "passcode",
    "シークレットキー": "secret key",
    "シークレット": "secret",
    "アクセストークン": "access token",
    "トークン": "token",
    "アクセスキー": "access key",
    "APIキー": "api key",
    "API キー": "api key",
    "秘密鍵": "private key",
    "認証情報": "credentials",
}
WINDOW = 200  # characters from a name on, at most to the end of its line
_PARTICLES = {"は": " is ", "が": " is ", "を": " is "}
_QUOTES = str.maketrans(dict.fromkeys("「」『』", '"'))  # what a Japanese value is quoted with


@cache
def _name_finder() -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in sorted(NAMES, key=len, reverse=True))
    # The name, a particle or a separator after it ("は", "：" is ":" after NFKC), and the
    # rest of the line.
    return re.compile(rf"(?P<name>{names})(?P<particle>[はがを]?)(?P<rest>[^\n\x00]{{0,{WINDOW}}})")


@cache
def _any_name() -> re.Pattern[str]:
    # One pass over all the Japanese text: half the time of a `str.find` per name there.
    return re.compile("|".join(re.escape(name) for name in NAMES))


@cache
def _script_joint() -> re.Pattern[str]:
    return re.compile(r"(?<=[!-~])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[!-~])")


def japanese_name_windows(texts: list[str]) -> list[tuple[int, int, int, str]]:
    """(index of the text, start, end, the stretch as the rules read it) for each Japanese
    secret name in the normalised `texts`; [] when they hold none, which one pass over all
    their non-ASCII texts together tells."""
    foreign = [(index, text) for index, text in enumerate(texts) if not text.isascii()]
    if not foreign or _any_name().search("\n".join(text for _, text in foreign)) is None:
        return []
    found = []
    for index, text in foreign:
        for match in _name_finder().finditer(text):
            particle = _PARTICLES.get(match.group("particle"), "")
            rest = _script_joint().sub(" ", match.group("rest").translate(_QUOTES))
            english = NAMES[match.group("name")] + (particle or " ")
            found.append((index, match.start(), match.end(), english + rest.lstrip(" ")))
    return found
