"""Detection rules for secrets and personal data, kept as data (the way gitleaks keeps its rules).

Adding a detector is one `Rule` (rule.py) in a table here, in vendor_rules.py or personal.py,
with its own ``examples`` and ``near_misses`` (tests/relay/test_rule_evidence.py runs them).
How the scanner uses a rule:

* Keyword rules (``keywords`` set): the scanner finds every occurrence of every keyword in one
  pass per leading character and tries ``pattern.match`` *at* each occurrence. So a pattern
  starts with one of its keywords; context before the keyword goes into a look-behind. A
  keyword written in lower case is found case-insensitively, one holding an upper-case letter
  exactly as written. No keyword in the text, no regex run: that is the prefilter, and it is
  also why patterns compile lazily (rule.LazyPattern): most never run in a cold start.
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

Bounded work (tests/relay/test_rule_work.py): every repeat is bounded; a long repeat is
possessive or stops where its own keyword starts again; no repeat nests another that can match
the same characters. So one attempt reads at most what it matches plus a short bounded window.
"""

from __future__ import annotations

from .rule import LazyPattern, Rule, fake_alnum, fake_base64, lazy
from .validators import (
    Validator,
    aws_secret_valid,
    basic_auth_valid,
    card_number_valid,
    generic_secret_valid,
    is_placeholder,
    jwt_valid,
    luhn_valid,
    my_number_check_digit,
    my_number_valid,
    not_a_placeholder,
    prose_secret_valid,
    random_looking,
    secret_of,
    shannon_entropy,
    url_password_valid,
)
from .vendor_rules import VENDOR_RULES

__all__ = [
    "RULES",
    "LazyPattern",
    "Rule",
    "Validator",
    "card_number_valid",
    "is_placeholder",
    "luhn_valid",
    "my_number_check_digit",
    "my_number_valid",
    "random_looking",
    "secret_of",
    "shannon_entropy",
]

# An 8192-bit RSA key in PEM is under 7,000 characters.
_KEY_BODY_MAX = 16_000
_PEM_LABEL = r"[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----"


def _lookbehind_any(words: list[str]) -> str:
    """One look-behind per width (Python needs fixed-width look-behinds) for `words`."""
    by_width: dict[int, list[str]] = {}
    for word in words:
        by_width.setdefault(len(word.replace("[_. -]", "_")), []).append(word)
    return "|".join(f"(?<={'|'.join(group)})" for _, group in sorted(by_width.items()))


# Qualifiers that turn a bare "key" into a secret's name (api_key, PrivateKey, x-api-key,
# app key, AccountKey, SharedAccessKey).
_KEY_QUALIFIERS = (
    "api access private secret client signing encryption master auth license app account "
    "storage shared consumer subscription webhook hmac session sas"
)
_KEY_LOOKBEHIND = _lookbehind_any(
    [q for word in _KEY_QUALIFIERS.split() for q in (word, word + "[_. -]")]
)
# "key" after one of those qualifiers. The look-ahead first: where no "key" starts (every
# "password" of a long text), the dozens of look-behinds are not tried (half a failed
# attempt's time).
_QUALIFIED_KEY = f"(?=key)(?:{_KEY_LOOKBEHIND})key"
# The key name: a secret word (chat's pw and creds too), then the rest of the name (joined
# by _ . - or camelCase). Not after ":" or "/": that is an ARN or path segment
# (arn:...:secret:prod/db-AbCdEf), except the "user/pass" of a login pair.
_SECRET_NAME = (
    r"(?:(?<![:/])|(?i:(?<=user/)|(?<=login/)))"
    r"(?i:(?P<name>passw(?:or)?d|passphrase|passcode|(?<![a-z])pass|pwd|(?<![a-z])pw(?![a-z])"
    rf"|secret|token|credentials?|(?<![a-z])creds?(?![a-z])|{_QUALIFIED_KEY}))"
    r"(?P<suffix>(?:[_.-]|(?<=[a-z])[A-Z])[\w.-]{0,30}?)?"
)
# A value: quoted (anything to the closing quote, spaces and ; included) or bare (up to
# whitespace; a ";" only when no `Key=` pair follows it, as in connection strings).
_VALUE = (
    r"(?P<q>[\"'`])?(?P<secret>(?(q)[^\"'`\n\x00\\]"
    r"|(?:[^\s\"'`,;<>()\[\]{}=\\]|;(?![ \t]{0,3}[A-Za-z][\w .]{0,30}=))){6,200}+={0,3})"
)

# After the name: its closing quote (JSON, also \"escaped\"), or the mrkdwn markers a Slack
# label is written in (*Password:* value, *Password*: value, `api_key`: value, and after a
# marked label the value may start the next line), spaces (aligned), an operator (chat's
# "->" too).
_OPERATOR = (
    r"\\?[\"']?(?:[*_~`]{1,2}(?=[ \t:=-]))?[ \t]{0,40}(?::=|=>|->|[:=])"
    r"(?:[*_~`]{1,2}(?:[ \t]{0,8}\n)?)?[ \t]{0,8}\\?"
)

# A secret named in a sentence: its name (a password word, or a qualified "key"), then "is"
# or "was" (after up to two "for <thing>" phrases of a few words), or ":" after such a
# phrase ("password for admin: ..."; a bare "name: value" is the generic rule's), maybe
# "now" or "set to", then the value, without the sentence's closing punctuation.
_PROSE_FOR = r"[ \t]{1,3}+(?i:for|of|to|on)(?:[ \t]{1,3}+[\w.@/-]{1,40}+){1,3}"
_PROSE_SECRET = (
    r"(?<![\w/:.-])(?i:(?P<name>passw(?:or)?d|passphrase|passcode|pass|pwd|secret|token"
    rf"|{_QUALIFIED_KEY}))"
    rf"(?:(?:{_PROSE_FOR}){{1,2}}[ \t]{{0,3}}+:|(?:{_PROSE_FOR}){{0,2}}[ \t]{{1,3}}+(?i:is|was))"
    r"(?:[ \t]{1,3}+(?i:now|still|set[ \t]to|changed[ \t]to))?[ \t]{1,3}+[\"'`]?"
    r"(?P<secret>[^\s\"'`,;()<>\x00]{7,127}?[^\s\"'`,;()<>\x00.!?])"
    r"(?=[.!?]?(?:[\s\"'`,;()<>\x00]|$))"
)
_SLACK = "xox"
_PRIVATE_KEY = (
    rf"-----BEGIN{_PEM_LABEL}"
    # The body: base64 lines and their RFC 1421 headers (Proc-Type: 4,ENCRYPTED), also with
    # JSON's \n escapes; possessive and stopping at the next "-----", so a header repeated
    # thousands of times costs what it spans, once.
    rf"(?:[A-Za-z0-9+/=:,.\\ \t\r]|\n(?!\x00)|-(?!----)){{0,{_KEY_BODY_MAX}}}+"
    rf"(?:-----END{_PEM_LABEL})?"
)
_PEM_RSA = "\n".join(
    [
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        fake_base64(64),
        fake_base64(64, 3),
        "-----END " + "RSA PRIVATE KEY-----",
    ]
)

CORE_RULES: tuple[Rule, ...] = (
    Rule(
        id="aws-access-key-id",
        description="AWS access key id",
        pattern=lazy(
            r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])"
        ),
        keywords=("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
        examples=("aws_access_key_id = AKIA" + "IOSFODNN7EXAMPLE",),  # AWS's documented example
        near_misses=("AKIA is the prefix of long-term AWS access keys", "AKIA" + "IOSFODNN7EXAMPL"),
    ),
    Rule(
        id="aws-secret-access-key",
        description="AWS secret access key",
        # Either named by a "secret" key, or following an access key id within a few lines.
        pattern=lazy(
            r"(?:(?i:secret)[\w.-]{0,30}?[\"']?\s{0,3}(?::=|=>|[:=])\s{0,3}[\"']?"
            r"|(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])[^\x00]{1,160}?)"
            r"(?<![A-Za-z0-9/+])(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        keywords=("secret", "AKIA", "ASIA"),
        validator=aws_secret_valid,
        examples=(f"aws_secret_access_key = {fake_base64(40)}",),
        near_misses=("secret: 3f786850e387550fdab836ed7d6dc881de23001b",),
    ),
    Rule(
        id="private-key",
        description="private key",
        pattern=lazy(_PRIVATE_KEY),
        keywords=("-----begin",),
        examples=(_PEM_RSA, "-----BEGIN " + f"OPENSSH PRIVATE KEY-----\n{fake_base64(70)}"),
        near_misses=(
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        ),
    ),
    Rule(
        id="slack-token",
        description="Slack token",
        # xoxb-<team>-<bot>-<secret>, xoxp-..., xoxe.xoxp-1-..., xapp-1-<app>-<n>-<hex>: digits
        # first, then dash-separated runs (a run cannot hold a dash, so no run overlaps the next).
        pattern=lazy(
            rf"(?<![A-Za-z0-9])(?:{_SLACK}[abeoprs]|xapp)(?:\.{_SLACK}[bp])?-[0-9]{{1,16}}"
            r"(?:-[0-9A-Za-z]{1,250}+){1,5}"
        ),
        keywords=(_SLACK, "xapp-"),
        token=True,
        validator=random_looking(3.0),
        examples=(f"token {_SLACK}b-123456789012-1234567890123-{fake_alnum(24)} end",),
        near_misses=(f"{_SLACK}b-not-a-token", f"{_SLACK}b-{_SLACK}b-{_SLACK}b-"),
    ),
    Rule(
        id="slack-webhook-url",
        description="Slack webhook URL",
        pattern=lazy(r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,250}"),
        keywords=("hooks.slack.com",),
        examples=(
            f"post to https://hooks.slack.com/services/T{fake_alnum(10)}/B{fake_alnum(10, 1)}/"
            f"{fake_alnum(24, 2)} now",
        ),
        near_misses=("see https://hooks.slack.com/ for docs",),
    ),
    Rule(
        id="github-token",
        description="GitHub token",
        pattern=lazy(r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])"),
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        token=True,
        examples=(f"GITHUB_TOKEN=ghp_{fake_alnum(36)}",),
        near_misses=("ghp_ is the prefix of classic tokens", f"ghp_{fake_alnum(30)}"),
    ),
    Rule(
        id="github-fine-grained-token",
        description="GitHub fine-grained personal access token",
        pattern=lazy(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{60,244}(?![A-Za-z0-9_])"),
        keywords=("github_pat_",),
        token=True,
        examples=(f"pat: github_pat_{fake_alnum(22)}_{fake_alnum(59, 3)}",),
        near_misses=("github_pat_ is the prefix of fine-grained tokens",),
    ),
    Rule(
        id="google-api-key",
        description="Google API key",
        pattern=lazy(r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        keywords=("AIza",),
        token=True,
        examples=(f"https://maps.example.com/?key=AIza{fake_alnum(35)}",),
        near_misses=(f"AIza{fake_alnum(30)}",),
    ),
    Rule(
        id="stripe-secret-key",
        description="Stripe secret or restricted key",
        pattern=lazy(
            r"(?<![A-Za-z0-9])[sr]k_(?:live|test|prod)_[0-9A-Za-z]{10,247}(?![0-9A-Za-z])"
        ),
        keywords=("sk_", "rk_"),
        token=True,
        examples=(f"stripe sk_live_{fake_alnum(24)}", f"stripe rk_test_{fake_alnum(24, 1)}"),
        near_misses=("pk_live_ keys are public", "sk_live_short"),
    ),
    Rule(
        id="anthropic-api-key",
        description="Anthropic API key",
        pattern=lazy(r"(?<![A-Za-z0-9_-])sk-ant-[a-z]{2,8}[0-9]{2}-[A-Za-z0-9_-]{20,250}+"),
        keywords=("sk-ant-",),
        token=True,
        validator=random_looking(3.0),
        examples=(f"ANTHROPIC_API_KEY=sk-ant-api03-{fake_base64(93, urlsafe=True)}",),
        near_misses=("sk-ant-api03-" + "x" * 40, "sk-ant-sk-ant-sk-ant-"),
    ),
    Rule(
        id="openai-api-key",
        description="OpenAI API key",
        # sk-<48 alphanumerics> (legacy), sk-proj-/sk-svcacct-/sk-admin-<long url-safe>. A
        # pod or job name (sk-batch-runner-7d9f8b6c5-x2k4p) has neither shape.
        pattern=lazy(
            r"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-(?:(?!sk-)[A-Za-z0-9_-]){40,250}+"
            r"|[A-Za-z0-9]{48}(?![A-Za-z0-9_-]))"
        ),
        keywords=("sk-",),
        token=True,
        validator=random_looking(3.5, min_classes=3),
        examples=(
            f"OPENAI_API_KEY=sk-proj-{fake_base64(64, urlsafe=True)}",
            f"key sk-{fake_alnum(48)}",
        ),
        near_misses=(
            "sk-batch-runner-7d9f8b6c5-x2k4p",
            "sk-learn-is-a-library-for-machine-learning",
        ),
    ),
    Rule(
        id="jwt",
        description="JSON Web Token",
        # A header never holds "eyJ" again: each attempt stops at the next one, so a text of
        # repeated "eyJ" costs one read, not one per occurrence.
        pattern=lazy(
            r"(?<![A-Za-z0-9_-])eyJ(?:(?!eyJ)[A-Za-z0-9_-]){13,1500}+\.[A-Za-z0-9_-]{2}"
            r"[A-Za-z0-9_-]{0,8190}+(?:\.[A-Za-z0-9_-]{0,2048}+)?"
        ),
        keywords=("eyJ",),
        token=True,
        validator=jwt_valid,
        examples=(
            # {"alg":"HS256","typ":"JWT"} . {"sub":"1234"} . signature
            "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0In0."
            + fake_base64(43, urlsafe=True),
        ),
        near_misses=("eyJub3QiOiJhIGp3dCJ9 is just base64 of JSON",),
    ),
    Rule(
        id="url-credentials",
        description="password in a URL",
        pattern=lazy(
            r"://[^\s/?#@:'\"<>\\]{1,128}:(?P<secret>[^\s/?#'\"<>\\]{1,256})@(?=[A-Za-z0-9\[])"
        ),
        keywords=("://",),
        validator=url_password_valid,
        examples=(f"postgres://app:Pw{fake_alnum(10)}@db.internal:5432/x",),
        near_misses=("ssh://git@github.com/org/repo.git", "https://user:${PASSWORD}@example.com/"),
    ),
    Rule(
        id="bearer-token",
        description="bearer token",
        pattern=lazy(r"(?i:bearer)\s{1,3}(?P<secret>[A-Za-z0-9._~+/-]{20,2048}+={0,2})"),
        keywords=("bearer",),
        validator=random_looking(3.5),
        generic=True,
        examples=(f"Authorization: Bearer {fake_alnum(40)}",),
        near_misses=("Authorization: Bearer <token>",),
    ),
    Rule(
        id="basic-auth",
        description="HTTP basic credentials",
        pattern=lazy(
            r"(?i:basic)[ \t]{1,3}(?P<secret>[A-Za-z0-9+/]{6,400}+={0,2})(?![A-Za-z0-9+/=])"
        ),
        keywords=("basic",),
        validator=basic_auth_valid,  # base64 of user:password, decoded and checked
        examples=(
            "Authorization: Basic YWxpY2U6czNjcmV0LVBhc3M=",  # alice:s3cret-Pass
            "curl -H 'Authorization: basic Ym9iOmh1bnRlcjI='",  # bob:hunter2
        ),
        near_misses=(
            "basic information about the service",
            "Authorization: Basic dXNlcm5hbWU=",  # "username", no colon
            "Authorization: Basic dXNlcjo8cGFzc3dvcmQ+",  # user:<password>
        ),
    ),
    Rule(
        id="auth-credentials",
        description="user and password in an auth field (base64 of user:password)",
        # ~/.docker/config.json ("auth": "<base64>"), .npmrc (_auth=<base64>), Helm and
        # registry configs: the same user:password as basic credentials, named "auth".
        pattern=lazy(
            r"(?<![A-Za-z0-9])(?i:auth)\\?[\"']?[ \t]{0,8}[:=][ \t]{0,8}\\?[\"']?"
            r"(?P<secret>[A-Za-z0-9+/]{6,400}+={0,2})(?![A-Za-z0-9+/=])"
        ),
        keywords=("auth",),
        validator=basic_auth_valid,  # base64 of user:password, decoded and checked
        examples=(
            '{"auths": {"registry.example.com": {"auth": "ZGVwbG95OlpxOHJUMm1LOXBMNHhX"}}}',
            "_auth=ZGVwbG95OlpxOHJUMm1LOXBMNHhX",  # deploy:Zq8rT2mK9pL4xW
            "auth: YWxpY2U6czNjcmV0LVBhc3M=",
        ),
        near_misses=(
            "auth: required",
            "oauth: ZGVwbG95OlpxOHJUMm1LOXBMNHhX",  # another field: not this format
            '"auth": "dXNlcm5hbWU="',  # "username", no colon
            "author: QWxpY2UgU21pdGg=",
            '"auth": "ZGVwbG95OiR7VE9LRU59"',  # deploy:${TOKEN}
        ),
    ),
    Rule(
        id="generic-secret",
        description="secret in a key=value pair",
        # env files, YAML, JSON, INI/TOML, connection strings, HTTP headers (X-Api-Key: ...),
        # aligned configuration (key      = value).
        pattern=lazy(_SECRET_NAME + _OPERATOR + _VALUE),
        # "pw" and "cred" find chat's shorthand; "pwd" and "credential" stay for the views
        # that take only words of three letters or more (reversed text, labelled keys).
        keywords=("pass", "pw", "pwd", "secret", "token", "key", "cred", "credential"),
        validator=generic_secret_valid,
        generic=True,
        examples=(
            "password=Zx9!" + fake_alnum(10),
            f'{{"db_password": "{fake_alnum(14)}"}}',
            f"client_secret: {fake_alnum(32)}",
            f"X-Api-Key: {fake_alnum(32)}",
            f"DB_PASS={fake_alnum(16)}",
            f"app key = {fake_alnum(24)}",
            f"api_key          = {fake_alnum(24)}",
            f"Server=db;User Id=app;Password=Pa;{fake_alnum(8)};Database=orders",
            "Server=db;Password=hunter2!x;Database=orders",
            "passphrase: 'correct horse battery staple'",
            f"auth_token = '{fake_alnum(32)}'",
            f"credentials => {fake_alnum(32)}",
            f"*Password:* {fake_alnum(14)}",  # a Slack label in bold
            f"*DB password*: {fake_alnum(14)}",
            f"`api_key`: {fake_alnum(24)}",
            f"*Password:*\n{fake_alnum(14)}",  # the value under its label
            f"PW: {fake_alnum(14)}",  # chat shorthand
            f"creds: admin:{fake_alnum(14)}",
            f"user/pass: admin/{fake_alnum(14)}",
            f"password -> {fake_alnum(14)}",
        ),
        near_misses=(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
            "existingSecret: name",
            "existingSecret: prod-db-credentials",
            "secretName: my-tls",
            "secretKeyRef: app-credentials",
            "password: ${DB_PASSWORD}",
            'password: "${DB_PASSWORD}"',
            "token: <redacted>",
            "password: required",
            "token: expired",
            "tokenizer: bert-base-uncased",
            "token_count=12345678",
            "password_policy: strong-and-long",
            "PWD=/home/app/service",
            "monkey=bananas12345",
            "bypass=everything-ok",
            "password=********",
            "*Password:* see the vault entry",
            "*Token:* expired",
            "password:\n  valueFrom: secretKeyRef",  # YAML: a mapping under the key
            "upward: Zq8rT2mK9pL4xW",  # pw inside a word
            "credit: Zq8rT2mK9pL4xW",  # cred inside a word
            "s3://bucket/pass: Zq8rT2mK9pL4xW",  # a path segment
            "password -> reset flow",
        ),
    ),
    Rule(
        id="prose-secret",
        description="secret named in a sentence",
        # "the password is ...", "API key for staging: ...", "token was set to ...": how a
        # person writes one down, without the operator a configuration file has.
        pattern=lazy(_PROSE_SECRET),
        keywords=("pass", "pwd", "secret", "token", "key"),
        validator=prose_secret_valid,
        generic=True,
        examples=(
            "the password is Zx9!" + fake_alnum(8),
            f"FYI the new db password is now {fake_alnum(12)}.",
            f"api key for staging is {fake_alnum(24)}",
            f"Password for admin@example.com: {fake_alnum(10)}1",
            f"the token was set to '{fake_alnum(20)}'",
            f"client secret of the billing app is {fake_alnum(32)}!",
        ),
        near_misses=(
            "the password is required",
            "password is incorrect for user admin",
            "the token is expired",
            "the secret is stored in vault",
            "api key is missing from the request",
            "password was changed on 2024-01-12",
            "the password is Password",
            "the secret is prod/db-credentials",
            "token is ${GITHUB_TOKEN}",
            "password is at least 12 characters long",
            "pass is 2024-11-26T06:00:12Z",
            "the key is ready",
            "the passport is DE1234",
        ),
    ),
    Rule(
        id="cli-secret-flag",
        description="secret on a command line",
        # --password x, --password=x, --db-password 'x', --api-key x, --token x. Not after a
        # dash: no tool takes ---password, and the guard lets a run of dashes (a separator
        # line repeated to the body limit) be skipped whole instead of tried at every "--".
        pattern=lazy(
            r"(?<![-])--(?:[a-z0-9]{1,20}+-){0,2}(?P<name>password|passwd|pass|token|secret|api-key|apikey"
            r"|client-secret|secret-key|access-key)(?:=|[ \t]{1,3})[\"']?"
            r"(?P<secret>[^\s\"'\x00-][^\s\"'\x00]{5,200}+)"
        ),
        keywords=("--",),
        validator=not_a_placeholder(2.5),
        examples=(
            f"mysqladmin --password {fake_alnum(12)} status",
            f"vault login --token={fake_alnum(26)}",
            f"deploy --db-password 'Zx9!{fake_alnum(8)}'",
        ),
        near_misses=(
            "use --password to set it",
            "--token $TOKEN",
            "--password-file /run/secrets/db",
        ),
    ),
    Rule(
        id="cli-password-short-flag",
        description="password on a command line (-p)",
        # mysql -pSECRET (attached), sshpass -p SECRET: only with such a tool named nearby.
        pattern=lazy(
            r"(?:(?<=sshpass )-p[ \t]{1,3}|(?<![\w-])-p)[\"']?"
            r"(?P<secret>[^\s\"'\x00-][^\s\"'\x00]{5,100}+)"
        ),
        keywords=("-p",),
        context=("mysql", "mariadb", "sshpass"),
        validator=not_a_placeholder(2.5),
        examples=(
            f"mysql -u root -p{fake_alnum(12)} orders",
            f"sshpass -p '{fake_alnum(12)}' ssh host",
        ),
        near_misses=("mysql -u root -p orders", "mkdir -p /var/lib/mysql"),
    ),
    Rule(
        id="cli-user-password",
        description="user and password on a command line (-u user:password)",
        # curl -u user:password, curl --user user:password, wget/http(ie) alike: the one
        # command-line form that carries both, with a colon between them.
        pattern=lazy(
            r"(?<![\w-])(?:-u|--user)(?:[ \t]{1,3}|=)[\"']?[^\s:\"'\x00]{0,64}+:"
            r"(?P<secret>[^\s\"'\x00]{6,200}+)"
        ),
        keywords=("-u", "--user"),
        validator=not_a_placeholder(2.0),
        examples=(
            f"curl -u admin:{fake_alnum(12)} https://api.example.com/v1/x",
            f"curl --user 'deploy:Zx9!{fake_alnum(8)}' https://ci.example.com",
            f"curl -u :{fake_alnum(32)} https://api.example.com",  # a token as the password
        ),
        near_misses=(
            "curl -u admin https://api.example.com",  # curl asks for the password
            "curl -u $USER:$TOKEN https://api.example.com",
            "curl -u user:password https://api.example.com",
            "curl -u deploy:${DEPLOY_TOKEN} https://ci.example.com",
            "sort -u names.txt",
            "git push -u origin main:main",
        ),
    ),
    Rule(
        id="payment-card-number",
        description="payment card number",
        # 13-19 digits in a row, or grouped as printed: 4-4-4-4 or 4-6-5 (4-6-4), with one
        # kind of separator. Other groupings are dates, phone and order numbers.
        pattern=lazy(
            r"(?<![\w.-])(?P<secret>\d{13,19}(?![\w-])"
            r"|\d{4}(?P<sep>[ -])(?:\d{4}(?P=sep)\d{4}(?P=sep)\d{4}|\d{6}(?P=sep)\d{4,5})(?![\w-]))"
        ),
        validator=card_number_valid,
        category="card",
        examples=(
            "card 4111111111111111 exp 12/30",
            "card 5555 5555 5555 4444",
            "amex 3782 822463 10005",
        ),
        near_misses=("order 4111111111111112 shipped", "order 1234 5678 9012 3456 shipped"),
    ),
    Rule(
        id="jp-my-number",
        description="Japanese individual number (My Number)",
        pattern=lazy(
            r"(?<![\w.-])(?P<secret>\d{12}(?![\w-])"
            r"|(?<!\d[ -])\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?![\w-]|(?P=sep)\d))"
        ),
        validator=my_number_valid,
        context=("マイナンバー", "個人番号", "my number", "mynumber", "my_number", "my-number"),
        reveal=0,
        category="my-number",
        # 123456789018: check digit 8 for 12345678901.
        examples=("マイナンバー: 123456789018", "個人番号は1234-5678-9018です"),
        near_misses=("my number 123456789017", "invoice 123456789018 issued"),
    ),
)


def _personal_rules() -> tuple[Rule, ...]:
    try:
        from .personal import PERSONAL_RULES
    except ModuleNotFoundError as error:  # personal.py not in this build
        if error.name != f"{__package__}.personal":
            raise
        return ()
    return tuple(PERSONAL_RULES)


RULES: tuple[Rule, ...] = CORE_RULES + VENDOR_RULES + _personal_rules()
