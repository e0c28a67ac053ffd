"""Detection rules for secrets and personal data, kept as data (the way gitleaks keeps its rules).

Adding a detector is one `Rule` in `RULES` (and one test). How the scanner uses a rule:

* Keyword rules (``keywords`` set): the scanner finds every occurrence of every keyword in one
  pass per leading character and tries ``pattern.match`` *at* each occurrence. So a pattern
  starts with one of its keywords; context before the keyword goes into a look-behind. A
  keyword written in lower case is found case-insensitively, one holding an upper-case letter
  exactly as written. No keyword in the text, no regex run: that is the prefilter.
  With ``token=True`` the keywords are looked for only inside runs of 16 or more characters
  of ``[A-Za-z0-9+/_-]`` (far less text than the message): right for rules whose keyword
  always starts or sits in such a run, such as ``ghp_`` + 36 characters.
* Digit rules (no ``keywords``): the pattern is tried on every run of digits, spaces and
  dashes that holds 12 digits in a row or four digits, a separator and four more. A digit rule with
  ``context`` words runs only when one of them appears somewhere in the batch.

Patterns run over an ASCII view of the normalised text (each non-ASCII character shows as
``?``), so they are written in ASCII. The strings of a batch are joined with ``"\n\x00\n"``:
a pattern must not need to match a NUL (a match that crosses a join anyway is dropped and
the strings involved are scanned one by one, so this costs speed, never correctness).
The secret is the ``secret`` group when the pattern has one, else the whole match; that span
is what a finding reports and what redaction replaces.
"""

from __future__ import annotations

import binascii
import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

Validator = Callable[[re.Match[str]], bool]


class Rule(NamedTuple):
    id: str
    description: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...] = ()  # empty: a digit rule (see the module docstring)
    token: bool = False  # keywords sit inside runs of 16+ base64-alphabet characters
    validator: Validator | None = None  # a final say on a match, e.g. Luhn or entropy
    context: tuple[str, ...] = ()  # one of these (lower case) must appear near the match
    context_window: int = 48  # characters either side of the match searched for `context`
    reveal: int = 4  # characters kept at each end of the masked excerpt; 0 masks it all
    generic: bool = False  # yields to a specific rule that found the same text
    # What the rule is about: "secret", or the personal-data class a team's policy names
    # ("email", "phone", "iban", "ssn", "card", "my-number", ...).
    category: str = "secret"
    # Its evidence, beside it: texts it must find, and look-alikes it must leave alone
    # (tests/relay run every rule over its own examples).
    examples: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()


# --- validators -------------------------------------------------------------------------


def secret_of(match: re.Match[str]) -> str:
    """The secret a match found: its ``secret`` group if the pattern has one."""
    if "secret" in match.re.groupindex and match.group("secret") is not None:
        return match.group("secret")
    return match.group(0)


def shannon_entropy(value: str) -> float:
    """Bits per character; random base64 scores about 5, English words under 3."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_issuer_known(digits: str) -> bool:
    length = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return length in (13, 16, 19)  # Visa
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return length == 16  # Mastercard
    if two in (34, 37):
        return length == 15  # American Express
    if 300 <= int(digits[:3]) <= 305 or two in (36, 38, 39):
        return 14 <= length <= 19  # Diners Club
    if 3528 <= four <= 3589:
        return 16 <= length <= 19  # JCB
    if two in (50, 56, 57, 58) or digits[0] == "6":
        return 13 <= length <= 19  # Discover, UnionPay, Maestro
    return False


def card_number_valid(match: re.Match[str]) -> bool:
    digits = re.sub(r"[ -]", "", secret_of(match))
    return 13 <= len(digits) <= 19 and _card_issuer_known(digits) and luhn_valid(digits)


def my_number_check_digit(first_eleven: str) -> int:
    """The check digit of a Japanese individual number (My Number) from its first 11 digits.

    Official algorithm: P(n) is the n-th digit counting from the right of the 11, Q(n) is
    n + 1 for n <= 6 and n - 5 above; the check digit is 0 when sum(P*Q) mod 11 <= 1, else
    11 minus that remainder.
    """
    total = 0
    for n, char in enumerate(reversed(first_eleven), start=1):
        total += int(char) * (n + 1 if n <= 6 else n - 5)
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def my_number_valid(match: re.Match[str]) -> bool:
    digits = re.sub(r"[ -]", "", secret_of(match))
    return len(digits) == 12 and my_number_check_digit(digits[:11]) == int(digits[11])


def _classes(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def random_looking(min_entropy: float, min_classes: int = 2) -> Validator:
    """A token that is not a word: enough entropy and a mix of character classes."""

    def validator(match: re.Match[str]) -> bool:
        value = secret_of(match)
        return _classes(value) >= min_classes and shannon_entropy(value) >= min_entropy

    return validator


def aws_secret_valid(match: re.Match[str]) -> bool:
    value = secret_of(match)
    # Random base64 always mixes cases; a hex digest (git SHA) has one case only.
    return (
        any(c.islower() for c in value)
        and any(c.isupper() for c in value)
        and shannon_entropy(value) >= 4.0
    )


def jwt_valid(match: re.Match[str]) -> bool:
    import json  # only a JWT-shaped match gets here; keeps import time off the cold start

    header = match.group(0).split(".", 1)[0].translate(_URLSAFE_TO_STANDARD)
    try:
        decoded = json.loads(binascii.a2b_base64(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


# Template variables, masks and empty markers: a key=value that only names or hides a secret.
_PLACEHOLDER = r"""(?ix)
    [*x.#?-]+                                  # ****, xxxx, ...
    | \$\{?[a-z_][\w.]*\}?                     # $VAR, ${VAR}
    | \{\{.*\}\} | \{[a-z_][\w.]*\} | %[sd]    # {{ var }}, {var}, %s
    | \[redacted[^\]]*\]? | redacted | <[^>]*>? | (?:null|none|nil|true|false|undefined)
    | (?:https?://|/|~/|\./).*                 # a URL or path: where a secret lives, not it
    """
# Key names that mention a secret without holding one: token_count, password_policy, ...
_BENIGN_KEY_SUFFIX = (
    r"(?i)[_.-]?(?:count|type|types|len|length|size|limit|min|max|expires?|expiry|expires_in|"
    r"ttl|url|uri|endpoint|path|file|name|names|field|arn|id|ids|policy|hint|prompt|reset|"
    r"changed|updated|created|rotated|version|ref|label|kind|format|usage|used)$"
)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # Validator-only patterns compile on first use, off the import path.
    return re.compile(pattern)


def is_placeholder(value: str) -> bool:
    return _compiled(_PLACEHOLDER).fullmatch(value) is not None


def generic_secret_valid(match: re.Match[str]) -> bool:
    if _compiled(_BENIGN_KEY_SUFFIX).search(match.group("suffix") or ""):
        return False
    value = match.group("secret")
    if is_placeholder(value) or value.isdigit():
        return False
    entropy = shannon_entropy(value)
    if value.isalpha() and (value.islower() or value.isupper()):
        # A single-case word needs to be long and varied to count as a passphrase.
        return len(value) >= 16 and entropy >= 3.3
    return entropy >= 2.5


def url_password_valid(match: re.Match[str]) -> bool:
    return not is_placeholder(match.group("secret"))


# --- the rules --------------------------------------------------------------------------

# Bounded (an 8192-bit RSA key in PEM is under 7,000 characters): an unbounded body lets a
# BEGIN line repeated thousands of times cost one scan to the end of the text each.
_KEY_BODY_MAX = 16_000
_BASE64_BODY = rf"[A-Za-z0-9+/=:,\s-]{{0,{_KEY_BODY_MAX}}}[A-Za-z0-9+/=]"


def _lookbehind_any(words: list[str]) -> str:
    """One look-behind per width (Python needs fixed-width look-behinds) for `words`."""
    by_width: dict[int, list[str]] = {}
    for word in words:
        by_width.setdefault(len(word.replace("[_.-]", "_")), []).append(word)
    return "|".join(f"(?<={'|'.join(group)})" for _, group in sorted(by_width.items()))


# Qualifiers that turn a bare "key" into a secret's name (api_key, PrivateKey, x-api-key).
_KEY_QUALIFIERS = "api access private secret client signing encryption master auth license"
_KEY_LOOKBEHIND = _lookbehind_any(
    [q for word in _KEY_QUALIFIERS.split() for q in (word, word + "[_.-]")]
)
# After a keyword: the rest of the key name (joined by _ . - or camelCase), quotes, operator.
_KEY_REST = r"(?P<suffix>(?:[_.-]|[A-Z])[\w.-]{0,30}?)?[\"']?\s{0,3}(?::=|=>|[:=])\s{0,3}"

RULES: tuple[Rule, ...] = (
    Rule(
        id="aws-access-key-id",
        description="AWS access key id",
        pattern=re.compile(
            r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])"
        ),
        keywords=("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    ),
    Rule(
        id="aws-secret-access-key",
        description="AWS secret access key",
        # Either named by a "secret" key, or following an access key id within a few lines.
        pattern=re.compile(
            r"(?:(?i:secret)[\w.-]{0,30}?[\"']?\s{0,3}(?::=|=>|[:=])\s{0,3}[\"']?"
            r"|(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])[^\x00]{1,160}?)"
            r"(?<![A-Za-z0-9/+])(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        keywords=("secret", "AKIA", "ASIA"),
        validator=aws_secret_valid,
    ),
    Rule(
        id="private-key",
        description="private key",
        pattern=re.compile(
            r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----"
            rf"(?:[^\x00]{{0,{_KEY_BODY_MAX}}}?"
            r"-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----"
            rf"|{_BASE64_BODY})?"
        ),
        keywords=("-----begin",),
    ),
    Rule(
        id="slack-token",
        description="Slack token",
        pattern=re.compile(
            r"(?<![A-Za-z0-9])(?:xox[abeoprs]|xapp)(?:\.xox[bp])?-[0-9A-Za-z][0-9A-Za-z-]{10,250}"
        ),
        keywords=("xox", "xapp-"),
        token=True,
        validator=random_looking(3.0),
    ),
    Rule(
        id="slack-webhook-url",
        description="Slack webhook URL",
        pattern=re.compile(
            r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,250}"
        ),
        keywords=("hooks.slack.com",),
    ),
    Rule(
        id="github-token",
        description="GitHub token",
        pattern=re.compile(r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])"),
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        token=True,
    ),
    Rule(
        id="github-fine-grained-token",
        description="GitHub fine-grained personal access token",
        pattern=re.compile(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{60,244}(?![A-Za-z0-9_])"),
        keywords=("github_pat_",),
        token=True,
    ),
    Rule(
        id="google-api-key",
        description="Google API key",
        pattern=re.compile(r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        keywords=("AIza",),
        token=True,
    ),
    Rule(
        id="stripe-secret-key",
        description="Stripe secret or restricted key",
        pattern=re.compile(
            r"(?<![A-Za-z0-9])[sr]k_(?:live|test|prod)_[0-9A-Za-z]{10,247}(?![0-9A-Za-z])"
        ),
        keywords=("sk_", "rk_"),
        token=True,
    ),
    Rule(
        id="anthropic-api-key",
        description="Anthropic API key",
        pattern=re.compile(r"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,250}"),
        keywords=("sk-ant-",),
        token=True,
        validator=random_looking(3.0),
    ),
    Rule(
        id="openai-api-key",
        description="OpenAI API key",
        pattern=re.compile(
            r"(?<![A-Za-z0-9_-])sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,250}"
            r"(?![A-Za-z0-9_-])"
        ),
        keywords=("sk-",),
        token=True,
        validator=random_looking(3.5, min_classes=3),
    ),
    Rule(
        id="jwt",
        description="JSON Web Token",
        pattern=re.compile(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{13,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
        ),
        keywords=("eyJ",),
        token=True,
        validator=jwt_valid,
    ),
    Rule(
        id="url-credentials",
        description="password in a URL",
        pattern=re.compile(
            r"://[^\s/?#@:'\"<>\\]{1,128}:(?P<secret>[^\s/?#'\"<>\\]{1,256})@(?=[A-Za-z0-9\[])"
        ),
        keywords=("://",),
        validator=url_password_valid,
    ),
    Rule(
        id="bearer-token",
        description="bearer token",
        pattern=re.compile(r"(?i:bearer)\s{1,3}(?P<secret>[A-Za-z0-9._~+/-]{20,2048}=*)"),
        keywords=("bearer",),
        validator=random_looking(3.5),
        generic=True,
    ),
    Rule(
        id="generic-secret",
        description="secret in a key=value pair",
        pattern=re.compile(
            rf"(?i:(?:{_KEY_LOOKBEHIND})key|passw(?:or)?d|pwd|secret|token|credentials?)"
            rf"{_KEY_REST}[\"'`]?(?P<secret>[^\s\"'`,;<>()\[\]{{}}]{{8,200}})"
        ),
        keywords=("password", "passwd", "pwd", "secret", "token", "key", "credential"),
        validator=generic_secret_valid,
        generic=True,
    ),
    Rule(
        id="payment-card-number",
        description="payment card number",
        # 13-19 digits in a row, or grouped as printed: 4-4-4-4 or 4-6-5 (4-6-4), with one
        # kind of separator. Other groupings are dates, phone and order numbers.
        pattern=re.compile(
            r"(?<![\w.-])(?P<secret>\d{13,19}(?![\w-])"
            r"|\d{4}(?P<sep>[ -])(?:\d{4}(?P=sep)\d{4}(?P=sep)\d{4}|\d{6}(?P=sep)\d{4,5})(?![\w-]))"
        ),
        validator=card_number_valid,
    ),
    Rule(
        id="jp-my-number",
        description="Japanese individual number (My Number)",
        pattern=re.compile(
            r"(?<![\w.-])(?P<secret>\d{12}(?![\w-])"
            r"|(?<!\d[ -])\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?![\w-]|(?P=sep)\d))"
        ),
        validator=my_number_valid,
        context=("マイナンバー", "個人番号", "my number", "mynumber", "my_number", "my-number"),
        reveal=0,
    ),
)
