"""The registry of teams and channels: a TOML file, loaded once and validated whole.

Format (docs/contracts.md of the slackgate repository)::

    [teams.payments]
    channels = ["payments-alerts"]
    link_domains = ["example.com"]
    action = "block"                  # or "redact": replace findings and forward
    [teams.payments.personal_data]    # per class: "block", "redact" or "allow"
    email = "allow"

    [channels.payments-alerts]
    secret = "slackgate/channels/payments-alerts"
    # url = "http://127.0.0.1:9000/hook"   # local development and tests only

Every problem is collected (not just the first) and reported as
``<file>: <key>: <what is wrong> — <how to fix it>``.
"""

from __future__ import annotations

import os
import re

from .lean_typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any

TEAM_SLUG = re.compile(r"[a-z][a-z0-9]{1,20}")
# Slugs no team may have: they name, or could be mistaken for, the gateway's own roles and
# stacks (`slackgate-gateway`, the platform's roles, the relay, the audit, administrators), so
# a role `slackgate-<slug>-...` of one of them can never be a team's.
RESERVED_TEAM_SLUGS = frozenset({"admin", "audit", "gateway", "platform", "relay", "slackgate"})
# A team deploys through a CDK bootstrap of its own whose qualifier is the first 10 characters
# of its slug (the team template's cdk.json): the bootstrap template allows at most 10
# (`[A-Za-z0-9_-]{1,10}`, to keep `cdk-<qualifier>-...-<account>-<region>` role names within
# IAM's 64). Two teams sharing those 10 characters would share one bootstrap, hence its roles.
BOOTSTRAP_QUALIFIER_LENGTH = 10
CHANNEL_ALIAS = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# A DNS name as a registry author writes it: labels of letters, digits and hyphens.
DOMAIN_NAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}"
)
SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
ACTIONS = ("block", "redact")
PERSONAL_ACTIONS = ("block", "redact", "allow")
# What a finding of each personal-data class does when the team's `personal_data` does not
# say. None: the team's `action`, as for secrets (these numbers identify a person or an
# account on their own, and their leak is a reportable incident). E-mail addresses and phone
# numbers are in ordinary operational messages every day (an author, an on-call contact):
# refusing those messages would be a false alarm, forwarding them spreads personal data to
# every reader of the channel, so they are redacted.
PERSONAL_DEFAULTS: dict[str, str | None] = {
    "card": None,
    "my-number": None,
    "ssn": None,
    "iban": None,
    "email": "redact",
    "phone": "redact",
}

TEAM_KEYS = {
    "channels",
    "link_domains",
    "action",
    "rate_limit_per_minute",
    "personal_data",
    "accounts",
}
# An AWS account id: twelve ASCII digits (\d would admit other scripts' digits).
ACCOUNT_ID = re.compile(r"[0-9]{12}")
CHANNEL_KEYS = {"secret", "url"}
TOP_LEVEL_KEYS = {"teams", "channels"}


class RegistryError(ValueError):
    """The registry cannot be used. `problems` lists every problem found, one line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {source}: {p}" for p in problems)
        super().__init__(f"invalid registry {source} ({len(problems)} problem(s)):\n{lines}")


class Channel(NamedTuple):
    alias: str
    secret: str | None = None  # Secrets Manager secret holding the webhook URL
    url: str | None = None  # local development and tests only


class Team(NamedTuple):
    slug: str
    channels: frozenset[str]
    link_domains: tuple[str, ...]
    action: str = "block"
    # Messages per calendar minute across every relay container (the deployed relay counts
    # in DynamoDB, shared_ratelimit.py; the local relay in its process); None: unlimited.
    rate_limit_per_minute: int | None = None
    # The team's choices per personal-data class ("email" -> "allow"); unnamed classes
    # follow PERSONAL_DEFAULTS.
    personal_data: tuple[tuple[str, str], ...] = ()
    # The AWS accounts whose slackgate-<team>-* roles are this team's (an organisation's
    # team accounts, sharing the gateway's subnets); empty: the gateway's own account only.
    accounts: tuple[str, ...] = ()

    def decision(self, category: str) -> str:
        """What a finding of `category` ("secret" or a personal-data class) does to a message:
        "block", "redact" or "allow"."""
        for name, choice in self.personal_data:
            if name == category:
                return choice
        return PERSONAL_DEFAULTS.get(category) or self.action


class Registry(NamedTuple):
    source: str
    teams: dict[str, Team]
    channels: dict[str, Channel]

    def team_accounts(self) -> tuple[str, ...]:
        """Every account a team is registered in, besides the gateway's own, sorted."""
        return tuple(sorted({account for team in self.teams.values() for account in team.accounts}))

    def local_url_channels(self) -> list[str]:
        """Aliases configured with a plain `url` (fine locally, refused for deployment)."""
        return sorted(alias for alias, ch in self.channels.items() if ch.url is not None)


def load_registry(path: str | os.PathLike[str]) -> Registry:
    """Reads and validates the registry at `path`; raises RegistryError naming every problem."""
    # open() and os.fspath, not pathlib: pathlib's import (fnmatch, urllib.parse, ...) would be
    # most of the relay's own import time at a cold start.
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise RegistryError(
            source, ["file not found — set SLACKGATE_CONFIG to the registry's path"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(source, [f"cannot be read as UTF-8 text: {exc}"]) from None
    if source.endswith(".json"):
        return parse_registry_json(text, source)
    return parse_registry(text, source)


def parse_registry(text: str, source: str = "<registry>") -> Registry:
    """The registry as people write it: TOML."""
    import tomllib  # on first use, and never in the deployed relay (it reads the JSON copy)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # TOML's own message carries the line and column; it also catches duplicate keys.
        raise RegistryError(source, [f"not valid TOML: {exc}"]) from None
    return registry_from_data(data, source)


def parse_registry_json(text: str, source: str = "<registry>") -> Registry:
    """The registry as the gateway bundles it into the relay: the TOML's data as JSON, read
    with the json module the relay has loaded already (tomllib and its parse would add
    milliseconds to every cold start). Same rules, same messages."""
    import json

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a key appears twice in one object: {sorted(keys)}")
        return dict(pairs)

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as exc:  # json.JSONDecodeError among them
        raise RegistryError(source, [f"not valid JSON: {exc}"]) from None
    if not isinstance(data, dict):
        raise RegistryError(source, ["must be a JSON object with teams and channels"])
    return registry_from_data(data, source)


def registry_from_data(data: dict[str, Any], source: str) -> Registry:
    """Validates parsed registry data (from TOML or its JSON copy); raises RegistryError."""
    problems: list[str] = []
    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        problems.append(f"{key}: unknown top-level key — only [teams.*] and [channels.*] exist")
    channels = _parse_channels(_table(data, "channels", problems), problems)
    teams = _parse_teams(_table(data, "teams", problems), channels, problems)
    if not teams and "teams" in data:
        problems.append("teams: no team defined — add a [teams.<slug>] table")
    if problems:
        raise RegistryError(source, problems)
    return Registry(source=source, teams=teams, channels=channels)


def _table(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a table of tables, like [{key}.<name>]")
        return {}
    if not value:
        problems.append(f"{key}: missing or empty — add at least one [{key}.<name>] table")
    return value


def _parse_channels(raw: dict[str, Any], problems: list[str]) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    for alias, body in raw.items():
        where = f"channels.{alias}"
        if not CHANNEL_ALIAS.fullmatch(alias):
            problems.append(
                f"{where}: bad channel alias {alias!r} — use 1-63 lowercase letters, digits "
                "and hyphens, starting with a letter or digit"
            )
            continue
        if not isinstance(body, dict):
            problems.append(f"{where}: must be a table with `secret` or `url`")
            continue
        for key in sorted(set(body) - CHANNEL_KEYS):
            problems.append(f"{where}.{key}: unknown key — a channel has `secret` or `url`")
        secret, url = body.get("secret"), body.get("url")
        if (secret is None) == (url is None):
            problems.append(
                f"{where}: needs exactly one of `secret` (the Secrets Manager secret holding the "
                "webhook URL) or `url` (local development only)"
            )
            continue
        if secret is not None and not (isinstance(secret, str) and SECRET_NAME.fullmatch(secret)):
            problems.append(
                f"{where}.secret: {secret!r} is not a Secrets Manager secret name "
                '(letters, digits and /_+=.@-), e.g. "slackgate/channels/' + alias + '"'
            )
            continue
        if url is not None and not (
            isinstance(url, str) and re.fullmatch(r"https?://[^\s/]+(/\S*)?", url)
        ):
            problems.append(f"{where}.url: {url!r} is not an http(s) URL")
            continue
        channels[alias] = Channel(alias=alias, secret=secret, url=url)
    return channels


def bootstrap_qualifier(slug: str) -> str:
    """The CDK bootstrap qualifier of a team's deployments (its repository's cdk.json)."""
    return slug[:BOOTSTRAP_QUALIFIER_LENGTH]


def _parse_teams(
    raw: dict[str, Any], channels: dict[str, Channel], problems: list[str]
) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    owners: dict[str, str] = {}
    qualifiers: dict[str, str] = {}  # bootstrap qualifier -> the first team that has it
    for slug, body in raw.items():
        where = f"teams.{slug}"
        if not TEAM_SLUG.fullmatch(slug):
            problems.append(
                f"{where}: bad team slug {slug!r} — use 2-21 lowercase letters and digits, "
                "starting with a letter (it becomes part of role names: slackgate-<team>-...)"
            )
            continue
        if slug in RESERVED_TEAM_SLUGS:
            problems.append(
                f"{where}: team slug {slug!r} is reserved for the gateway's own resources "
                f"(reserved: {', '.join(sorted(RESERVED_TEAM_SLUGS))}) — choose another slug"
            )
            continue
        qualifier = bootstrap_qualifier(slug)
        other = qualifiers.setdefault(qualifier, slug)
        if other != slug:
            problems.append(
                f"{where}: team slug {slug!r} starts with the same "
                f"{BOOTSTRAP_QUALIFIER_LENGTH} characters as team {other!r} ({qualifier!r}), "
                "so their CDK bootstrap qualifiers would collide (each team deploys through "
                f"its own bootstrap, qualified by the first {BOOTSTRAP_QUALIFIER_LENGTH} "
                "characters of its slug) — choose a slug that differs from "
                f"{other!r} within its first {BOOTSTRAP_QUALIFIER_LENGTH} characters"
            )  # the rest of the team is still checked: every problem is reported at once
        if not isinstance(body, dict):
            problems.append(f"{where}: must be a table with `channels` and `link_domains`")
            continue
        for key in sorted(set(body) - TEAM_KEYS):
            problems.append(
                f"{where}.{key}: unknown key — a team has {', '.join(sorted(TEAM_KEYS))}"
            )
        team_channels = _string_list(body, "channels", where, problems, required=True)
        for alias in team_channels:
            if alias not in channels:
                problems.append(
                    f"{where}.channels: unknown channel {alias!r} — define [channels.{alias}]"
                )
            owners.setdefault(alias, slug)
        if len(set(team_channels)) != len(team_channels):
            problems.append(f"{where}.channels: lists a channel more than once")
        domains = _string_list(body, "link_domains", where, problems, required=False)
        normalised_domains = []
        for domain in domains:
            name = domain.strip().lower().rstrip(".")
            # An ASCII name is its own IDNA form (DOMAIN_NAME checks its labels), and the
            # codec's import (stringprep, a regex) would cost every cold start a millisecond.
            if not name.isascii():
                try:
                    name = name.encode("idna").decode("ascii")
                except UnicodeError:
                    name = ""
            if not DOMAIN_NAME.fullmatch(name):
                problems.append(
                    f"{where}.link_domains: {domain!r} is not a domain name — write a bare "
                    'host such as "example.com" (no scheme, port, path or wildcard)'
                )
            else:
                normalised_domains.append(name)
        action = body.get("action", "block")
        if action not in ACTIONS:
            problems.append(f'{where}.action: {action!r} — use "block" or "redact"')
        rate = body.get("rate_limit_per_minute")
        if rate is not None and (not isinstance(rate, int) or isinstance(rate, bool) or rate < 1):
            problems.append(f"{where}.rate_limit_per_minute: {rate!r} — use a positive integer")
        personal = _personal_data(body.get("personal_data"), where, problems)
        accounts = _string_list(body, "accounts", where, problems, required=False)
        for account in accounts:
            if not ACCOUNT_ID.fullmatch(account):
                problems.append(
                    f"{where}.accounts: {account!r} is not an AWS account id — write its 12 "
                    'digits as a string, e.g. accounts = ["111111111111"]'
                )
        if len(set(accounts)) != len(accounts):
            problems.append(f"{where}.accounts: lists an account more than once")
        teams[slug] = Team(
            slug=slug,
            channels=frozenset(team_channels),
            link_domains=tuple(dict.fromkeys(normalised_domains)),
            action=action if action in ACTIONS else "block",
            rate_limit_per_minute=rate if isinstance(rate, int) else None,
            personal_data=personal,
            accounts=tuple(sorted(set(accounts))),
        )
    for alias in sorted(set(channels) - set(owners)):
        problems.append(
            f"channels.{alias}: no team lists this channel — add it to a team's `channels` "
            "or remove it"
        )
    return teams


def _personal_data(raw: object, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    where = f"{where}.personal_data"
    classes = ", ".join(PERSONAL_DEFAULTS)
    if not isinstance(raw, dict):
        problems.append(
            f"{where}: must be a table of class = action, e.g. "
            f'[{where}] with email = "allow" (classes: {classes})'
        )
        return ()
    chosen: list[tuple[str, str]] = []
    for name, choice in raw.items():
        if name not in PERSONAL_DEFAULTS:
            problems.append(f"{where}.{name}: unknown personal-data class — use one of {classes}")
        elif choice not in PERSONAL_ACTIONS:
            problems.append(f'{where}.{name}: {choice!r} — use "block", "redact" or "allow"')
        else:
            chosen.append((name, choice))
    return tuple(sorted(chosen))


def _string_list(
    body: dict[str, Any], key: str, where: str, problems: list[str], *, required: bool
) -> list[str]:
    value = body.get(key)
    if value is None:
        if required:
            problems.append(f'{where}.{key}: missing — e.g. {key} = ["..."]')
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}.{key}: must be a list of strings")
        return []
    if required and not value:
        problems.append(f"{where}.{key}: empty — list at least one")
    return value
