"""The detection rules, one by one: what each must find, and what it must leave alone.

Every secret here is a fake built at run time (random characters from a fixed seed, check
digits computed), so that the repository itself holds nothing that looks like a credential.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string

import pytest

from shared_gateway.relay.rules import (
    CORE_RULES,
    RULES,
    luhn_valid,
    my_number_check_digit,
    shannon_entropy,
)
from shared_gateway.relay.scanner import scan
from shared_gateway.relay.vendor_rules import VENDOR_RULES

UPPER_BASE32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def fake(prefix: str, alphabet: str, length: int, seed: int) -> str:
    """A credential-shaped random string; the same one on every run."""
    rng = random.Random(seed)
    # Make sure every class of the alphabet shows up, as in real random keys.
    body = [rng.choice(alphabet) for _ in range(length)]
    return prefix + "".join(body)


def with_luhn(partial: str) -> str:
    """`partial` plus the digit that makes it pass the Luhn check."""
    for digit in "0123456789":
        if luhn_valid(partial + digit):
            return partial + digit
    raise AssertionError("unreachable")


def my_number(first_eleven: str) -> str:
    return first_eleven + str(my_number_check_digit(first_eleven))


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


AWS_KEY_ID = fake("AKIA", UPPER_BASE32, 16, 1)
AWS_SESSION_KEY_ID = fake("ASIA", UPPER_BASE32, 16, 2)
AWS_SECRET = fake("", BASE64, 40, 3)
SLACK_BOT = "xoxb-" + fake("", string.digits, 12, 4) + "-" + fake("", string.digits, 13, 5)
SLACK_BOT += "-" + fake("", ALNUM, 24, 6)
SLACK_USER = "xoxp-" + fake("", string.digits, 12, 7) + "-" + fake("", ALNUM, 32, 8)
SLACK_HOOK = "https://hooks.slack.com/services/" + "/".join(
    (fake("T", UPPER_BASE32, 10, 9), fake("B", UPPER_BASE32, 10, 10), fake("", ALNUM, 24, 11))
)
GITHUB_CLASSIC = fake("ghp" + "_", ALNUM, 36, 12)
GITHUB_APP = fake("ghs" + "_", ALNUM, 36, 13)
GITHUB_FINE = fake("github" + "_pat_", ALNUM, 22, 14) + "_" + fake("", ALNUM, 59, 15)
GOOGLE = fake("AI" + "za", URLSAFE, 35, 16)
STRIPE_LIVE = fake("sk" + "_live_", ALNUM, 24, 17)
STRIPE_TEST = fake("sk" + "_test_", ALNUM, 24, 18)
STRIPE_RESTRICTED = fake("rk" + "_live_", ALNUM, 24, 19)
OPENAI = fake("sk-" + "proj-", URLSAFE, 48, 20)
OPENAI_LEGACY = fake("sk-", ALNUM, 48, 21)
ANTHROPIC = fake("sk-" + "ant-api03-", URLSAFE, 93, 22)
JWT = ".".join(
    (
        b64url({"alg": "HS256", "typ": "JWT"}),
        b64url({"sub": "1234", "n": 1}),
        fake("", URLSAFE, 43, 23),
    )
)
PRIVATE_KEY = "\n".join(
    [
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        *(fake("", BASE64, 64, 24 + i) for i in range(4)),
        "-----END " + "RSA PRIVATE KEY-----",
    ]
)
OPENSSH_KEY = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\n" + fake("", BASE64, 70, 30)
URL_PASSWORD = "Pw" + fake("", ALNUM, 10, 31)
GENERIC_PASSWORD = "Zx9!" + fake("", ALNUM, 10, 32)
GENERIC_TOKEN = fake("", ALNUM, 32, 33)
BEARER = fake("", ALNUM + "._-", 40, 34)
VISA = with_luhn("411111111111111")
MASTERCARD = with_luhn("555555555555444")
AMEX = with_luhn("37828224631000")
JCB = with_luhn("353011133330000")
MY_NUMBER = my_number("12345678901")

# (rule id, text holding the secret, the secret as the finding's span must cover it)
HITS: list[tuple[str, str, str]] = [
    ("aws-access-key-id", f"aws_access_key_id = {AWS_KEY_ID}", AWS_KEY_ID),
    ("aws-access-key-id", f"creds: {AWS_SESSION_KEY_ID}.", AWS_SESSION_KEY_ID),
    ("aws-secret-access-key", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    ("aws-secret-access-key", f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
    ("aws-secret-access-key", f"{AWS_KEY_ID}\n{AWS_SECRET}", AWS_SECRET),
    ("aws-secret-access-key", f"id={AWS_KEY_ID}, {AWS_SECRET}", AWS_SECRET),
    ("private-key", f"key:\n{PRIVATE_KEY}\nbye", PRIVATE_KEY),
    ("private-key", OPENSSH_KEY, OPENSSH_KEY),
    ("slack-token", f"token {SLACK_BOT} end", SLACK_BOT),
    ("slack-token", SLACK_USER, SLACK_USER),
    ("slack-webhook-url", f"post to {SLACK_HOOK} now", SLACK_HOOK.removeprefix("https://")),
    ("github-token", f"GITHUB_TOKEN={GITHUB_CLASSIC}", GITHUB_CLASSIC),
    ("github-token", f"app token {GITHUB_APP}", GITHUB_APP),
    ("github-fine-grained-token", f"pat: {GITHUB_FINE}", GITHUB_FINE),
    ("google-api-key", f"https://maps.example.com/?key={GOOGLE}", GOOGLE),
    ("stripe-secret-key", f"stripe {STRIPE_LIVE}", STRIPE_LIVE),
    ("stripe-secret-key", f"stripe {STRIPE_TEST}", STRIPE_TEST),
    ("stripe-secret-key", f"stripe {STRIPE_RESTRICTED}", STRIPE_RESTRICTED),
    ("openai-api-key", f"OPENAI_API_KEY={OPENAI}", OPENAI),
    ("openai-api-key", f"key {OPENAI_LEGACY}", OPENAI_LEGACY),
    ("anthropic-api-key", f"ANTHROPIC_API_KEY={ANTHROPIC}", ANTHROPIC),
    ("jwt", f"Authorization: Bearer {JWT}", JWT),
    ("url-credentials", f"postgres://app:{URL_PASSWORD}@db.internal:5432/x", URL_PASSWORD),
    ("url-credentials", f"https://user:{URL_PASSWORD}@example.com/", URL_PASSWORD),
    ("generic-secret", f"password={GENERIC_PASSWORD}", GENERIC_PASSWORD),
    ("generic-secret", f'{{"db_password": "{GENERIC_PASSWORD}"}}', GENERIC_PASSWORD),
    ("generic-secret", f"client_secret: {GENERIC_TOKEN}", GENERIC_TOKEN),
    ("generic-secret", f"X-Api-Key: {GENERIC_TOKEN}", GENERIC_TOKEN),
    ("generic-secret", f"apiKey={GENERIC_TOKEN}", GENERIC_TOKEN),
    ("generic-secret", f"auth_token = '{GENERIC_TOKEN}'", GENERIC_TOKEN),
    ("generic-secret", f"credentials => {GENERIC_TOKEN}", GENERIC_TOKEN),
    ("bearer-token", f"Authorization: Bearer {BEARER}", BEARER),
    ("payment-card-number", f"card {VISA} exp 12/30", VISA),
    (
        "payment-card-number",
        f"card {' '.join(re.findall('....', VISA))} ok",
        " ".join(re.findall("....", VISA)),
    ),
    (
        "payment-card-number",
        f"card {'-'.join(re.findall('....', MASTERCARD))}",
        "-".join(re.findall("....", MASTERCARD)),
    ),
    (
        "payment-card-number",
        f"amex {AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}",
        f"{AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}",
    ),
    ("payment-card-number", f"JCB:{JCB}", JCB),
    ("jp-my-number", f"マイナンバー: {MY_NUMBER}", MY_NUMBER),
    (
        "jp-my-number",
        f"個人番号は{MY_NUMBER[:4]}-{MY_NUMBER[4:8]}-{MY_NUMBER[8:]}です",
        f"{MY_NUMBER[:4]}-{MY_NUMBER[4:8]}-{MY_NUMBER[8:]}",
    ),
    ("jp-my-number", f"my number {MY_NUMBER}", MY_NUMBER),
]


def finding_texts(text: str) -> list[tuple[str, str]]:
    return [(f.rule, text[f.start : f.end]) for f in scan(text)]


@pytest.mark.parametrize(
    ("rule", "text", "secret"), HITS, ids=[f"{h[0]}-{i}" for i, h in enumerate(HITS)]
)
def test_rule_finds_its_secret(rule: str, text: str, secret: str) -> None:
    assert (rule, secret) in finding_texts(text)


def test_rule_ids_are_unique_and_keywords_usable() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.description
        assert re.fullmatch(r"[a-z0-9-]+", rule.id)
        for keyword in rule.keywords:
            assert keyword and keyword.isascii()
        # Context words are matched against lower-case text.
        assert all(word == word.lower() for word in rule.context)


@pytest.mark.parametrize(
    ("rule", "text", "secret"), HITS, ids=[f"{h[0]}-{i}" for i, h in enumerate(HITS)]
)
def test_match_starts_at_a_keyword(rule: str, text: str, secret: str) -> None:
    """Keyword rules are tried only where a keyword occurs: their matches must start there."""
    table = {r.id: r for r in RULES}[rule]
    if not table.keywords:
        return
    starts = [
        m.start()
        for keyword in table.keywords
        for m in re.finditer(re.escape(keyword), text, 0 if keyword != keyword.lower() else re.I)
    ]
    assert any(table.pattern.match(text, start) for start in starts)


NEAR_MISSES = [
    # hashes, ids, cloud names
    "commit 3f786850e387550fdab836ed7d6dc881de23001b merged",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "request 550e8400-e29b-41d4-a716-446655440000 done",
    "arn:aws:iam::123456789012:role/slackgate-payments-nightly",
    "arn:aws:lambda:ap-northeast-1:123456789012:function:nightly-report",
    "account 123456789012 in ap-northeast-1",
    "AKIA is the prefix of long-term AWS access keys",
    # times and numbers
    "2024-05-01T12:34:56.789Z took 1234 ms",
    "epoch 1715000000000 ms and 1715000000 s",
    f"order {VISA[:-1] + str((int(VISA[-1]) + 1) % 10)} shipped",  # fails Luhn
    "order 1234 5678 9012 3456 shipped",
    "tracking 9400 1000 0000 0000 0000 00",
    "phone 090-1234-5678, fax 03-1234-5678",
    "price 1234567890123.45 yen",
    f"my number {MY_NUMBER[:-1] + str((int(MY_NUMBER[-1]) + 1) % 10)}",  # wrong check digit
    f"invoice {MY_NUMBER} issued",  # valid check digit, but nothing says it is a My Number
    # prose that talks about secrets
    "Please reset your password at the portal before Friday.",
    "The token you used has expired; ask for a new token.",
    "password: required",
    "token: expired",
    "secret: classified",
    "passwords: must be 12 characters",
    "tokenizer: bert-base-uncased",
    "token_count=12345678",
    "password_policy: strong-and-long",
    "secret_name=prod/db/password",
    'api_key: "${API_KEY}"',
    "password=********",
    "password=<your password here>",
    "PWD=/home/app/service",
    "monkey=bananas12345",
    "本日のバッチ処理は正常に終了しました。パスワードは管理者に確認してください。",
    "お客様番号 12345678 のご注文を承りました。",
    # log lines
    "INFO request_id=4f1c2a9e7b3d4c5a8e9f0a1b2c3d4e5f user=u1234 path=/api/v1/orders/99 ok=1",
    '{"level":"info","msg":"token refreshed","expires_in":3600,"token_type":"Bearer"}',
    "Authorization: Bearer <token>",
    # URLs without credentials
    "https://example.com:8443/path?x=1#frag",
    "ssh://git@github.com/org/repo.git",
    "mailto:someone@example.com",
    # base64 of harmless text and other long runs
    base64.b64encode(b"Hello there, this is a perfectly harmless sentence.").decode(),
    "sk-learn-is-a-library-for-machine-learning",
    "eyJub3QiOiJhIGp3dCJ9 is just base64 of JSON",
    "github_pat_ is the prefix of fine-grained tokens",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
]


# This file's rules: secrets, cards and My Number (personal.py's classes are tested there).
OWN_RULES = {rule.id for rule in CORE_RULES + VENDOR_RULES}


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_miss_is_clean(text: str) -> None:
    assert [f.rule for f in scan(text) if f.rule in OWN_RULES] == []


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("79927398710")


def test_my_number_check_digit_matches_the_official_algorithm() -> None:
    # Worked by hand: digits 1..11 weighted 6,5,4,3,2,7,6,5,4,3,2 from the left.
    first = "12345678901"
    weights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    remainder = sum(int(d) * w for d, w in zip(first, weights, strict=True)) % 11
    expected = 0 if remainder <= 1 else 11 - remainder
    assert my_number_check_digit(first) == expected
    assert my_number_check_digit("00000000000") == 0


def test_entropy() -> None:
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2
    assert shannon_entropy(AWS_SECRET) > 4


def test_jwt_needs_a_json_header_with_alg() -> None:
    header = b64url({"typ": "JWT"})
    no_alg = f"{header}.{b64url({'sub': '1'})}.{fake('', URLSAFE, 20, 40)}"
    assert scan(no_alg) == []
