"""Validators: a rule's final say on a regex match (checksums, entropy, structure).

Each takes the `re.Match` and returns whether it is a real finding. They run only on a match,
so what they import (json) is imported there, off the cold start.
"""

from __future__ import annotations

import binascii
import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cache

Validator = Callable[[re.Match[str]], bool]

_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


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


def _classes(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def random_looking(min_entropy: float, min_classes: int = 2) -> Validator:
    """A token that is not a word or a placeholder: enough entropy and a mix of classes."""

    def validator(match: re.Match[str]) -> bool:
        value = secret_of(match)
        return _classes(value) >= min_classes and shannon_entropy(value) >= min_entropy

    return validator


# --- checksums --------------------------------------------------------------------------


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
    digits = secret_of(match).replace(" ", "").replace("-", "")
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
    digits = secret_of(match).replace(" ", "").replace("-", "")
    return len(digits) == 12 and my_number_check_digit(digits[:11]) == int(digits[11])


BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit in range(5):
            checksum ^= generator[bit] if (top >> bit) & 1 else 0
    return checksum


def bech32_valid(text: str) -> bool:
    """BIP-173 checksum of a bech32 string (age keys are bech32, upper case)."""
    text = text.lower()
    hrp, _, data = text.rpartition("1")
    if not hrp or len(data) < 6 or any(c not in BECH32_ALPHABET for c in data):
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    return _bech32_polymod(expanded + [BECH32_ALPHABET.index(c) for c in data]) == 1


def bech32_checksum(hrp: str, data: str) -> str:
    """The six checksum characters that make ``hrp + "1" + data`` valid (for evidence)."""
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values = expanded + [BECH32_ALPHABET.index(c) for c in data] + [0] * 6
    polymod = _bech32_polymod(values) ^ 1
    return "".join(BECH32_ALPHABET[(polymod >> 5 * (5 - i)) & 31] for i in range(6))


def age_key_valid(match: re.Match[str]) -> bool:
    return bech32_valid(match.group(0))


# --- structure --------------------------------------------------------------------------


def jwt_valid(match: re.Match[str]) -> bool:
    import json  # only a JWT-shaped match gets here; keeps import time off the cold start

    if match.group(0).count(".") != 2:  # header.payload.signature (the pattern stops early)
        return False
    header = match.group(0).split(".", 1)[0].translate(_URLSAFE_TO_STANDARD)
    try:
        decoded = json.loads(binascii.a2b_base64(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def der_private_key_valid(match: re.Match[str]) -> bool:
    """A base64 run that starts like the DER of a private key, not a certificate or public key.

    PKCS#1 RSA, PKCS#8 and SEC1 EC private keys are SEQUENCE { INTEGER 0 or 1, ... } followed
    by an INTEGER (RSA modulus), a SEQUENCE (algorithm of PKCS#8) or an OCTET STRING (EC key);
    a certificate's and a public key's SEQUENCE starts with another SEQUENCE instead.
    """
    head = re.sub(r"[^A-Za-z0-9+/]", "", secret_of(match)[:96])[:64]
    if len(head) < 64:
        return False
    try:
        der = binascii.a2b_base64(head)
    except binascii.Error:
        return False
    if der[0] != 0x30:
        return False
    length_byte = der[1]
    if length_byte < 0x80:
        body, length = 2, length_byte
    elif length_byte in (0x81, 0x82, 0x83):
        body = 2 + (length_byte - 0x80)
        length = int.from_bytes(der[2:body], "big")
    else:
        return False
    version, following = der[body : body + 3], der[body + 3]
    if length < 100 or version not in (b"\x02\x01\x00", b"\x02\x01\x01"):
        return False
    return following in (0x02, 0x30, 0x04)


def basic_auth_valid(match: re.Match[str]) -> bool:
    """``Authorization: Basic`` carries base64 of ``user:password``: decode and check that."""
    value = secret_of(match)
    try:
        decoded = binascii.a2b_base64(value + "=" * (-len(value) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon and user and password and decoded.isprintable()) and not is_placeholder(
        password
    )


# --- generic key = value ----------------------------------------------------------------

# Template variables, masks and empty markers: a key=value that only names or hides a secret.
_PLACEHOLDER = r"""(?ix)
    [*x.#?-]+                                  # ****, xxxx, ...
    | \$\{?[a-z_][\w.:-]*\}? | \$\(.*\) | %[a-z_]+% | \#\{.*\}   # $VAR ${VAR} $(cmd) %VAR% #{v}
    | \{\{.*\}\} | \{[a-z_][\w.]*\} | %[sd]    # {{ var }}, {var}, %s
    | \[redacted[^\]]*\]? | redacted | <[^>]*>? | (?:null|none|nil|true|false|undefined|empty)
    | (?:your|my|the|some|example|sample|dummy|fake|test|placeholder)[\w-]*
    | (?:changeme|change[_-]me|secret|password|passwd|token|required|optional|hidden|masked)
    | (?:https?://|/|~/|\./|\.\./|file:|arn:|s3://|gs://).*   # where a secret lives, not it
    """
# Key names that mention a secret without holding one: token_count, password_policy, ...
_BENIGN_KEY_SUFFIX = (
    r"(?i)[_.-]?(?:count|type|types|len|length|size|limit|min|max|expires?|expiry|expires_in|"
    r"ttl|url|uri|endpoint|path|file|name|names|field|arn|id|ids|policy|hint|prompt|reset|"
    r"changed|updated|created|rotated|version|ref|refs|keyref|label|kind|format|usage|used|"
    r"provider|store|manager|source|header|param|mode|length|enabled|required|env|var)$"
)
# Prefixes that turn a secret's key into the name of where it is kept (Helm, Kubernetes).
_REFERENCE_KEY_PREFIX = r"(?i)(?:existing|external|sealed|from|use|value[_-]?from)$"
# A value made of lower-case words joined by - _ . (my-tls, prod-db-credentials): the name
# of an object, not a secret, when the key is a secret/token/key (not a password).
_OBJECT_NAME = r"[a-z]+(?:[-_.][a-z]+)*(?:[-_.]v?\d{1,3})?"


# A lower-case name or path (prod/db-credentials, vault:kv/app): where a secret is kept.
_LOWER_REFERENCE = r"[a-z0-9]+(?:[/_.:-][a-z0-9]+)+"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # Validator-only patterns compile on first use, off the import path.
    return re.compile(pattern)


def is_placeholder(value: str) -> bool:
    return _compiled(_PLACEHOLDER).fullmatch(value) is not None


def not_a_placeholder(min_entropy: float) -> Validator:
    """A value given on a command line: not a placeholder ($TOKEN, ****), and varied."""

    def validator(match: re.Match[str]) -> bool:
        value = match.group("secret")
        return not is_placeholder(value) and shannon_entropy(value) >= min_entropy

    return validator


def prose_secret_valid(match: re.Match[str]) -> bool:
    """A value named in a sentence ("the password is ...") must look made up: letters with
    digits or symbols, varied, and neither a placeholder, a word nor the name of a place."""
    value = match.group("secret")
    if is_placeholder(value) or _compiled(_LOWER_REFERENCE).fullmatch(value):
        return False
    if not any(c.isalpha() for c in value) or value.isalpha():
        return False  # "2024-01-12", "Password": a date or a word, not a password
    return shannon_entropy(value) >= 3.0


def generic_secret_valid(match: re.Match[str]) -> bool:
    if _compiled(_BENIGN_KEY_SUFFIX).search(match.group("suffix") or ""):
        return False
    before = match.string[max(0, match.start() - 12) : match.start()]
    if _compiled(_REFERENCE_KEY_PREFIX).search(before.rstrip("_.-")):
        return False
    value = match.group("secret")
    if is_placeholder(value) or value.isdigit():
        return False
    is_password = match.group("name")[:1].lower() == "p"
    if not is_password and _compiled(_OBJECT_NAME).fullmatch(value):
        return False
    entropy = shannon_entropy(value)
    if value.isalpha() and (value.islower() or value.isupper()):
        # A single-case word needs to be long and varied to count as a passphrase.
        return len(value) >= 16 and entropy >= 3.3
    return entropy >= 2.5


def url_password_valid(match: re.Match[str]) -> bool:
    return not is_placeholder(match.group("secret"))


def aws_secret_valid(match: re.Match[str]) -> bool:
    value = secret_of(match)
    # Random base64 always mixes cases; a hex digest (git SHA) has one case only.
    return (
        any(c.islower() for c in value)
        and any(c.isupper() for c in value)
        and shannon_entropy(value) >= 4.0
    )
