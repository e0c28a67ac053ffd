"""The local relay's credentials file: which made-up access keys may sign, and as whom.

In AWS, IAM knows every access key and the role session behind it. Locally this TOML file
plays that part::

    [[principals]]
    access_key_id = "LOCALPAYMENTSNIGHTLY"     # any made-up id; never a real AWS key
    secret_access_key = "local-secret-payments"
    role_arn = "arn:aws:sts::000000000000:assumed-role/slackgate-payments-nightly/local"

A request signed with `access_key_id`/`secret_access_key` reaches the relay as
`role_arn` (requestContext.identity.userArn), and only as that: nothing in the request
can choose another identity. Every problem in the file is reported, not just the first.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# For local use only: its secrets are published in the repository.
DEFAULT_CREDENTIALS_PATH = Path(__file__).with_name("credentials.example.toml")

# What may appear in `Credential=<id>/...` without breaking the header's syntax.
ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{4,128}")
# Prefixes of real AWS access key ids (long-term and temporary, and the rarer ones): a local
# file must never hold one, and made-up ids must not look like one to secret scanners.
REAL_KEY_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")
# IAM's character sets: role names 1-64, session names 2-64 of [\w+=,.@-].
ROLE_ARN = re.compile(
    r"arn:aws:sts::(?P<account>\d{12}):assumed-role/"
    r"(?P<role>[\w+=,.@-]{1,64})/(?P<session>[\w+=,.@-]{2,64})",
    re.ASCII,
)
PRINCIPAL_KEYS = ("access_key_id", "secret_access_key", "role_arn")
# Credentials a shell may carry that botocore would prefer over, or add to, the local keys.
AMBIENT_CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class CredentialsError(ValueError):
    """The credentials file cannot be used. `problems` lists every problem, one line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {source}: {p}" for p in problems)
        super().__init__(
            f"invalid credentials file {source} ({len(problems)} problem(s)):\n{lines}"
        )


@dataclass(frozen=True, slots=True)
class Principal:
    """One signer: an access key, its secret, and the assumed-role session it stands for."""

    access_key_id: str
    secret_access_key: str
    role_arn: str

    def __repr__(self) -> str:
        # Keep the secret out of logs and test failure output.
        return f"Principal(access_key_id={self.access_key_id!r}, role_arn={self.role_arn!r})"

    @property
    def account_id(self) -> str:
        return self._arn_part("account")

    @property
    def role_name(self) -> str:
        return self._arn_part("role")

    @property
    def session_name(self) -> str:
        return self._arn_part("session")

    @property
    def role_id(self) -> str:
        """A stable stand-in for IAM's role id (AROA...), which locally does not exist."""
        digest = hashlib.sha256(self.role_name.encode()).hexdigest().upper()
        return f"AROALOCAL{digest[:12]}"

    @property
    def caller(self) -> str:
        """What API Gateway puts in identity.caller/user for an assumed role."""
        return f"{self.role_id}:{self.session_name}"

    def _arn_part(self, name: str) -> str:
        match = ROLE_ARN.fullmatch(self.role_arn)
        return match.group(name) if match else ""


def signing_variables(
    access_key_id: str, secret_access_key: str, relay_url: str, region: str
) -> dict[str, str]:
    """The environment a function needs to post to a local relay with local keys (remove
    AMBIENT_CREDENTIAL_VARIABLES as well, so that nothing else signs)."""
    return {
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "SLACKGATE_URL": relay_url,
    }


def load_credentials(path: str | Path = DEFAULT_CREDENTIALS_PATH) -> dict[str, Principal]:
    """Reads and validates a credentials file; returns principals by access key id."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CredentialsError(
            source,
            [f"file not found — copy {DEFAULT_CREDENTIALS_PATH.name} and pass --credentials"],
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(source, [f"cannot be read as UTF-8 text: {exc}"]) from None
    return parse_credentials(text, source)


def parse_credentials(text: str, source: str = "<credentials>") -> dict[str, Principal]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CredentialsError(source, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    for key in sorted(set(data) - {"principals"}):
        problems.append(f"{key}: unknown top-level key — only [[principals]] entries exist")
    entries = data.get("principals")
    if not isinstance(entries, list) or not entries:
        problems.append("principals: missing or empty — add at least one [[principals]] entry")
        entries = []
    principals: dict[str, Principal] = {}
    first_entry: dict[str, int] = {}
    for index, entry in enumerate(entries):
        principal = _parse_principal(index, entry, problems)
        if principal is None:
            continue
        key_id = principal.access_key_id
        if key_id in principals:
            problems.append(
                f"principals[{index}]: access_key_id {key_id!r} is already used by "
                f"principals[{first_entry[key_id]}] — each access key maps to exactly one role"
            )
            continue
        principals[key_id] = principal
        first_entry[key_id] = index
    if problems:
        raise CredentialsError(source, problems)
    return principals


def _parse_principal(index: int, entry: Any, problems: list[str]) -> Principal | None:
    where = f"principals[{index}]"
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be a table with {', '.join(PRINCIPAL_KEYS)}")
        return None
    key_id = entry.get("access_key_id")
    if isinstance(key_id, str):
        where = f"{where} (access_key_id {key_id!r})"
    found = len(problems)
    for key in sorted(set(entry) - set(PRINCIPAL_KEYS)):
        problems.append(f"{where}.{key}: unknown key — an entry has {', '.join(PRINCIPAL_KEYS)}")
    for key in PRINCIPAL_KEYS:
        value = entry.get(key)
        if value is None:
            problems.append(f"{where}: missing {key}")
        elif not isinstance(value, str) or not value:
            problems.append(f"{where}.{key}: must be a non-empty string")
    if len(problems) > found:
        return None
    if not ACCESS_KEY_ID.fullmatch(key_id):
        problems.append(
            f"{where}.access_key_id: use 4-128 letters, digits, '_', '.' or '-' "
            '(it is sent as "Credential=<id>/..."), e.g. "LOCALPAYMENTSNIGHTLY"'
        )
    elif key_id.upper().startswith(REAL_KEY_PREFIXES):
        problems.append(
            f"{where}.access_key_id: looks like a real AWS access key id "
            f"({'/'.join(REAL_KEY_PREFIXES)}...) — this file is for made-up local keys only; "
            'use an id such as "LOCALPAYMENTSNIGHTLY"'
        )
    role_arn = entry["role_arn"]
    if not ROLE_ARN.fullmatch(role_arn):
        problems.append(
            f"{where}.role_arn: {role_arn!r} is not an assumed-role session ARN — write "
            '"arn:aws:sts::<12-digit account>:assumed-role/<role name>/<session name>", '
            'e.g. "arn:aws:sts::000000000000:assumed-role/slackgate-payments-nightly/local"'
        )
    if len(problems) > found:
        return None
    return Principal(
        access_key_id=key_id, secret_access_key=entry["secret_access_key"], role_arn=role_arn
    )
